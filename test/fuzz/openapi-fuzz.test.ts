/**
 * The OpenAPI fuzzer in CI: a fixed-seed sample over every operation of
 * openapi/openapi.json (`npm run fuzz` runs it at length with any seed), and
 * checks that the fuzzer's own judge and checks catch what they should.
 */
import t from 'tap'
import { build } from '../helper.js'
import type { Domain } from './arbitraries.js'
import {
  type JudgedRequest,
  type Observed,
  type RequestParts,
  check,
  describeFailure,
  formatReport,
  judge,
  makeContext,
  planFor,
  runFuzz,
  toRequest,
} from './fuzzer.js'
import { label, operations, readDocument } from './openapi.js'

/** Fixed, so that CI is reproducible; `npm run fuzz` draws a new one each time. */
const SEED = 20_170_404
/** About 20 cases per operation: some 15 s on a small machine. */
const RUNS = 660
/** Failures shown in full (all are counted). */
const SHOWN = 25

t.test(`a fixed-seed sample of ${RUNS} requests over every operation: no 5xx, every response as documented`, async (t) => {
  const report = await runFuzz({ seed: SEED, runs: RUNS })
  t.comment(formatReport(report, 0))
  t.equal(report.runs, RUNS, 'every case ran')
  for (const [name, stats] of Object.entries(report.operations)) t.ok(stats.cases > 0, `${name} was fuzzed`)
  const statuses = Object.keys(report.statuses)
  t.ok(
    statuses.some((s) => s.startsWith('2')),
    'some requests succeeded',
  )
  t.ok(
    statuses.some((s) => s.startsWith('4')),
    'some requests were refused',
  )
  for (const failure of report.failures.slice(0, SHOWN)) {
    const [headline = '', ...reproduction] = describeFailure(failure, report).split('\n')
    t.fail(headline, { reproduction: reproduction.map((line) => line.trim()) })
  }
  t.equal(report.failures.length, 0, 'no failures')
})

t.test('the judge: what the document says of a request', async (t) => {
  const doc = readDocument()
  const domain: Domain = { ids: {}, aliases: {}, cursors: [], positions: [] }
  const ctx = makeContext(doc, domain)
  const find = (name: string) => {
    const op = operations(doc).find((o) => label(o) === name)
    if (!op) throw new Error(`${name} is not in the document`)
    return planFor(ctx, op)
  }
  const create = find('POST /sources')
  const get = find('GET /sources/{id}')
  const parts = (over: Partial<RequestParts>): RequestParts => ({
    path: {},
    query: [],
    rawQuery: '',
    headers: {},
    body: { kind: 'none' },
    ...over,
  })
  const verdict = (plan: typeof create, p: RequestParts) => judge(ctx, plan, p, toRequest(plan.op, p))
  const json = (value: Record<string, unknown>): RequestParts['body'] => ({
    kind: 'json',
    value: value as never,
    contentType: 'application/json',
  })

  t.strictSame(verdict(create, parts({ body: json({ name: 'SOHR', kind: 'monitor' }) })), [], 'a valid body')
  t.match(verdict(create, parts({ body: json({ name: 'SOHR' }) })), [/kind/], 'a missing required field')
  t.match(
    verdict(create, parts({ body: json({ name: 'SOHR', kind: 'monitor', colour: 'red' }) })),
    [/additional|colour/],
    'an unknown field',
  )
  t.match(verdict(create, parts({ body: json({ name: 7, kind: 'monitor' }) })), [/name/], 'a wrong type')
  t.match(
    verdict(create, parts({ body: { kind: 'text', text: '{"name":', contentType: 'application/json' } })),
    [/not JSON/],
    'malformed JSON',
  )
  t.match(
    verdict(create, parts({ body: { kind: 'text', text: '{}', contentType: 'text/plain' } })),
    [/content type/],
    'an undocumented content type',
  )
  t.match(verdict(create, parts({})), [/required/], 'no body')
  t.strictSame(verdict(get, parts({ path: { id: 'sohr' } })), [], 'a valid path')
  t.match(verdict(get, parts({ path: { id: '%ZZ' } })), [/percent-decodable/], 'an undecodable path')
  t.match(verdict(get, parts({ path: { id: 'x'.repeat(201) } })), [/200/], 'an overlong id')
})

t.test('the checks: what counts as a failure', async (t) => {
  const doc = readDocument()
  const ctx = makeContext(doc, { ids: {}, aliases: {}, cursors: [], positions: [] })
  const op = operations(doc).find((o) => label(o) === 'GET /sources/{id}')
  if (!op) throw new Error('GET /sources/{id} is not in the document')
  const plan = planFor(ctx, op)
  const request = (invalid: string[] = [], headers: Record<string, string> = {}): JudgedRequest => ({
    method: 'GET',
    url: '/sources/sohr',
    headers,
    payload: undefined,
    invalid,
  })
  const problem = (status: number) => JSON.stringify({ type: 'urn:reckon:problem:x', title: 'X', status, detail: 'x' })
  const kinds = (req: JudgedRequest, res: Observed) => check(ctx, plan, req, res).findings.map((f) => f.kind)
  const source = { id: 'sohr', name: 'SOHR', kind: 'monitor' }
  // A real source, as the API shows it.
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/sources', payload: source })
  const ok = (await app.inject({ method: 'GET', url: '/sources/sohr' })).body

  t.strictSame(kinds(request(), { status: 404, contentType: 'application/problem+json', body: problem(404) }), [], 'a documented problem')
  t.strictSame(kinds(request(), { status: 200, contentType: 'application/json; charset=utf-8', body: ok }), [], 'a documented success')
  t.strictSame(
    kinds(request(), { status: 200, contentType: 'application/json', body: JSON.stringify(source) }),
    ['schema-mismatch'],
    'a body off its schema',
  )
  t.strictSame(
    kinds(request(), { status: 200, contentType: 'text/plain', body: ok }),
    ['undocumented-content-type'],
    'an undocumented content type',
  )
  t.strictSame(
    kinds(request(), { status: 418, contentType: 'application/problem+json', body: problem(418) }),
    ['undocumented-status'],
    'an undocumented status',
  )
  t.strictSame(
    kinds(request(), { status: 404, contentType: 'application/json', body: '{"error":"Not Found"}' }),
    ['not-a-problem-document', 'undocumented-content-type'],
    'a 4xx that is not a problem document',
  )
  t.match(kinds(request(), { status: 500, contentType: 'application/problem+json', body: problem(500) }), ['server-error'], 'a 5xx')
  t.match(
    kinds(request(), {
      status: 500,
      contentType: 'application/problem+json',
      body: `${problem(500).slice(0, -1)},"stack":"Error\\n    at f (/src/x.ts:1:2)"}`,
    }),
    ['server-error', 'stack-trace'],
    'a stack trace',
  )
  t.match(
    kinds(request(['path /id too long']), { status: 200, contentType: 'application/json', body: ok }),
    ['invalid-accepted'],
    'an invalid request accepted',
  )
  const conditional = check(ctx, plan, request([], { 'if-none-match': '*' }), { status: 304, contentType: undefined, body: '' })
  t.strictSame(conditional.findings, [], 'a 304 to a conditional GET is documented: no failure…')
  t.strictSame(conditional.notes, [], '…and nothing to note')
  const healthOp = operations(doc).find((o) => label(o) === 'GET /health')
  if (!healthOp) throw new Error('GET /health is not in the document')
  const health = { ...request([], { 'if-none-match': '*' }), url: '/health' }
  const undocumented = check(ctx, planFor(ctx, healthOp), health, { status: 304, contentType: undefined, body: '' })
  t.strictSame(undocumented.findings, [], 'a 304 where the document has none is no failure (HTTP allows it)…')
  t.equal(undocumented.notes.length, 1, '…but it is noted')
})
