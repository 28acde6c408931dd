/**
 * U+0000 (NUL) in any text a request carries is a 400 naming the field, on
 * either store (schemas/validator): PostgreSQL cannot hold or compare such a
 * text (it answered 500), SQLite stored it. Every query parameter and path
 * parameter of the OpenAPI document, and each kind of body: JSON (values,
 * array items, keys), and the rows of a bulk body in JSON, NDJSON and CSV.
 */
import t from 'tap'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { NUL_MESSAGE } from '../../src/schemas/validator.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { type Problem, assertProblem, build, countRows, figureRow, json, khanShaykhun, postText } from '../helper.js'

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; example?: unknown; schema?: { enum?: unknown[]; example?: unknown } }>
  requestBody?: { content: Record<string, { example?: unknown; schema?: { example?: unknown } }> }
}

const ADMIN = 'admin-token-nul-0123456789'
const AUTH = { authorization: `Bearer ${ADMIN}` }

const TABLES = ['sources', 'actors', 'events', 'claims', 'aliases', 'changes'] as const

async function counts(app: FastifyInstance): Promise<number[]> {
  return Promise.all(TABLES.map((table) => countRows(app, table)))
}

/** The problem's errors as `in path: message`. */
function named(problem: Problem): string[] {
  return (problem.errors ?? []).map((e) => `${e.in} ${e.path}: ${e.message}`)
}

t.test('every query and path parameter of every operation: a NUL in it is a 400 naming it, and nothing else', async (t) => {
  // With an admin key on every request: the keys' operations check their parameters once the key is known.
  const app = await build(t, { apiKeys: `${ADMIN}:read+write+admin` })
  await loadFixture(app, readFixture(), AUTH)
  const before = await counts(app)
  const doc = app.swagger() as { paths: Record<string, Record<string, Operation>> }
  let checked = 0
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const content = operation.requestBody?.content['application/json']
      const body = content?.example ?? content?.schema?.example ?? (content === undefined ? undefined : {})
      const request = (url: string): InjectOptions => ({
        method: method.toUpperCase() as InjectOptions['method'],
        url,
        headers: AUTH,
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      })
      const withIds = (text: string) => text.replace(/\{(\w+)\}/g, 'khan-shaykhun')
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'query' && parameter.in !== 'path') continue
        // The other required query parameters, as documented: only the one tested is wrong.
        const required = (operation.parameters ?? [])
          .filter((p) => p.in === 'query' && p.required === true && p.name !== parameter.name)
          .map((p) => `&${p.name}=${encodeURIComponent(String(p.example ?? p.schema?.example ?? p.schema?.enum?.[0]))}`)
          .join('')
        const url =
          parameter.in === 'query'
            ? `${withIds(path)}?${parameter.name}=a%00b${required}`
            : `${withIds(path.replace(`{${parameter.name}}`, 'a%00b'))}${required.replace('&', '?')}`
        const res = await app.inject(request(url))
        const what = `${method.toUpperCase()} ${url}`
        const problem = assertProblem(t, res, 400)
        t.strictSame(named(problem), [`${parameter.in} /${parameter.name}: ${NUL_MESSAGE}`], what)
        checked++
      }
    }
  }
  t.ok(checked >= 60, `${checked} parameters checked`)
  t.strictSame(await counts(app), before, 'nothing written')
})

t.test('a NUL in a JSON body: each field holding one is named, beside the schema’s other errors', async (t) => {
  const { app } = await khanShaykhun(t)
  const before = await counts(app)
  const cases: Array<[method: 'POST' | 'PATCH', url: string, body: unknown, expected: string[]]> = [
    ['POST', '/sources', { name: 'x\u0000y', kind: 'ngo' }, [`body /name: ${NUL_MESSAGE}`]],
    ['POST', '/sources', { name: 'Desk', kind: 'ngo', aliases: ['ok', 'b\u0000'] }, [`body /aliases/1: ${NUL_MESSAGE}`]],
    [
      'POST',
      '/sources',
      { name: 'Desk', kind: 'ngo', 'no\u0000tes': 'x' },
      [`body /no\u0000tes: ${NUL_MESSAGE}`], // the key, not an unknown field besides
    ],
    [
      'POST',
      '/sources',
      { name: '\u0000', kind: 'nonsense', url: 'x\u0000' },
      [
        `body /name: ${NUL_MESSAGE}`,
        `body /url: ${NUL_MESSAGE}`,
        'body /kind: must be one of news_agency, media, monitor, ngo, igo, government, military, health_authority, individual, other (any letter case); got "nonsense".',
      ],
    ],
    ['PATCH', '/sources/sohr', { notes: 'a\u0000' }, [`body /notes: ${NUL_MESSAGE}`]],
    ['POST', '/actors', { name: 'Unit\u0000', kind: 'armed_group' }, [`body /name: ${NUL_MESSAGE}`]],
    ['POST', '/events', { id: 'ev', title: 'T\u0000', occurred_on: '2020' }, [`body /title: ${NUL_MESSAGE}`]],
    ['PATCH', '/events/khan-shaykhun', { tags: ['chemical', '\u0000'] }, [`body /tags/1: ${NUL_MESSAGE}`]],
    ['POST', '/events/khan-shaykhun/claims', figureRow({ event_id: undefined, quote: 'said\u0000' }), [`body /quote: ${NUL_MESSAGE}`]],
    ['POST', '/claims', figureRow({ source_id: 'so\u0000hr' }), [`body /source_id: ${NUL_MESSAGE}`]],
    [
      'POST',
      '/sources/bulk',
      [
        { name: 'A', kind: 'ngo' },
        { name: 'B\u0000', kind: 'ngo' },
      ],
      [`body /1/name: ${NUL_MESSAGE}`],
    ],
    ['POST', '/claims/bulk', [figureRow(), figureRow({ quote: '\u0000' })], [`body /1/quote: ${NUL_MESSAGE}`]],
  ]
  for (const [method, url, body, expected] of cases) {
    const res = await app.inject({ method, url, payload: body as InjectOptions['payload'] })
    const problem = assertProblem(t, res, 400)
    t.strictSame(named(problem), expected, `${method} ${url} ${JSON.stringify(body)}`)
  }
  t.strictSame(await counts(app), before, 'nothing written')
})

t.test('a NUL in a row of an NDJSON or CSV bulk body is a 400 naming its row, field and line', async (t) => {
  const { app } = await khanShaykhun(t)
  const before = await counts(app)
  const rows = [figureRow(), figureRow({ value: 88, quote: 'fifty\u0000eight' })]
  const ndjson = await postText(app, '/claims/bulk', 'application/x-ndjson', rows.map((r) => JSON.stringify(r)).join('\n') + '\n')
  t.strictSame(
    (assertProblem(t, ndjson, 400).errors ?? []).map((e) => [e.path, e.in, e.message]),
    [['/1/quote', 'body', `line 2: ${NUL_MESSAGE}`]],
    'NDJSON: the escape \\u0000 in a string of line 2',
  )
  const csv = [
    'event_id,kind,source_id,stated_at,metric,qualifier,value,quote',
    'khan-shaykhun,figure,sohr,2017-04-08,killed,exact,87,fine',
    'khan-shaykhun,figure,sohr,2017-04-08,killed,exact,88,"a raw \u0000 byte"',
  ].join('\n')
  const res = await postText(app, '/claims/bulk', 'text/csv', `${csv}\n`)
  t.strictSame(
    (assertProblem(t, res, 400).errors ?? []).map((e) => [e.path, e.in, e.message]),
    [['/1/quote', 'body', `line 3: ${NUL_MESSAGE}`]],
    'CSV: a cell of line 3 (after the header)',
  )
  const dry = await postText(app, '/claims/bulk?dry_run=true', 'text/csv', `${csv}\n`)
  t.equal(dry.statusCode, 400, 'a dry run says the same')
  t.strictSame(await counts(app), before, 'nothing written')
})

t.test('a NUL is refused whatever the store would do with it; other text is kept as sent', async (t) => {
  const app = await build(t)
  const sent = 'tab\there, bell \u0007, and ✓ — kept'
  const res = await app.inject({ method: 'POST', url: '/sources', payload: { id: 'desk', name: sent, kind: 'ngo' } })
  t.equal(res.statusCode, 201, res.body)
  t.equal(json<{ name: string }>(res).name, sent, 'control characters other than NUL are stored and given back')
  const search = await app.inject({ method: 'GET', url: `/sources?q=${encodeURIComponent('bell \u0007')}` })
  t.strictSame(
    json<{ items: Array<{ id: string }> }>(search).items.map((s) => s.id),
    ['desk'],
    'and searched for',
  )
})
