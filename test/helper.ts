/** The one way tests build the app (a fresh database of the suite's store, test/store.ts, closed at teardown), and what the tests share to drive it. */
import { parse } from 'csv-parse/sync'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { buildApp } from '../src/app.js'
import { type ApiKey, parseApiKeys } from '../src/config.js'
import { loadFixture, readFixture } from '../src/demo/load-fixture.js'
import type { AttributionClaim, Claim, FigureClaim } from '../src/engine/types.js'
import type { ClaimInsert } from '../src/repositories/claims-repository.js'
import { testStore } from './store.js'

export interface Teardown {
  teardown(fn: () => unknown): void
}

export async function build(t: Teardown, opts: { apiKeys?: string; dbPath?: string } = {}): Promise<FastifyInstance> {
  const apiKeys: ApiKey[] = opts.apiKeys ? parseApiKeys(opts.apiKeys) : []
  const app = await buildApp({ config: { ...(await testStore(opts.dbPath)), apiKeys, logLevel: 'silent' }, logger: false })
  t.teardown(() => app.close())
  return app
}

/** A directory of its own for the test (`reckon-<name>-…` under the system's temporary one), removed at teardown. */
export function tempDir(t: Teardown, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `reckon-${name}-`))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** JSON body of a response, typed loosely for assertions. */
export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T
}

/** A POST of a body as it is, with its content type (a raw JSON text, a CSV, XML). */
export function postText(app: FastifyInstance, url: string, contentType: string, payload: string) {
  return app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload })
}

export async function post(app: FastifyInstance, url: string, payload: unknown, headers: InjectOptions['headers'] = {}) {
  return app.inject({ method: 'POST', url, payload: payload as InjectOptions['payload'], headers })
}

/** A problem document as the tests read it (RFC 9457, contract §7). */
export interface FieldError {
  path: string
  message: string
  in?: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  errors?: FieldError[]
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** The dispute block GET /events gives each event (contract §10). */
export interface Dispute {
  level: string | null
  relative_spread: number | null
  range: { low: number; high: number | null } | null
  status: string
  claims: number
}

/** What POST /claims/bulk answers (contract §9). */
export interface BulkResult {
  dry_run: boolean
  inserted: number
  existing: number
  ids: Array<string | null>
}

/** One write as GET /changes lists it (contract §11). */
export interface Change {
  seq: number
  at: string
  type: string
  id: string
  event_id: string | null
}

/** The timestamp format of every stored moment. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The JSON Pointers a problem's `errors` name, in order. */
export function paths(problem: Problem): string[] {
  return (problem.errors ?? []).map((e) => e.path)
}

export function patch(app: FastifyInstance, url: string, payload: object) {
  return app.inject({ method: 'PATCH', url, payload })
}

/** A valid figure row of POST /claims/bulk (SOHR, Khan Shaykhun, exact 87 killed), with `extra` fields set or replaced. */
export function figureRow(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: 'khan-shaykhun', ...figureClaim({ stated_at: '2017-04-08', value: 87, ...extra }) }
}

/** A GET, with headers if given. */
export function get(app: FastifyInstance, url: string, headers: InjectOptions['headers'] = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers })
}

/** The JSON body of a GET that must answer 200 (a read the test relies on: anything else throws with the body). */
export async function getJson<T = Record<string, unknown>>(app: FastifyInstance, url: string): Promise<T> {
  const res = await get(app, url)
  if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
  return json<T>(res)
}

/** A request that must answer `status` (set-up, not an assertion): anything else throws with the body. */
export async function succeeded(res: Promise<LightMyRequestResponse>, status = 201): Promise<LightMyRequestResponse> {
  const done = await res
  if (done.statusCode !== status) throw new Error(`expected ${status}, got ${done.statusCode}: ${done.body}`)
  return done
}

/** POSTs a record that must be created (201) and returns what the API answered. */
export async function created<T = Record<string, unknown>>(app: FastifyInstance, url: string, body: unknown): Promise<T> {
  const res = await post(app, url, body)
  if (res.statusCode !== 201) throw new Error(`POST ${url} failed: ${res.statusCode} ${res.body}`)
  return json<T>(res)
}

/** Creates records in order: `[url, body]` pairs, each of which must answer 201. */
export async function createAll(app: FastifyInstance, records: ReadonlyArray<readonly [string, unknown]>): Promise<void> {
  for (const [url, body] of records) await created(app, url, body)
}

/** An app holding the §8 worked example (fixtures/khan-shaykhun.json), and the ids of its claims. */
export async function khanShaykhun(t: Teardown): Promise<{ app: FastifyInstance; ids: string[] }> {
  const app = await build(t)
  const ids = await loadFixture(app, readFixture())
  return { app, ids }
}

/** The rows of a table. */
export async function countRows(app: FastifyInstance, table: string): Promise<number> {
  return Number(await app.sql.value(`SELECT COUNT(*) FROM ${table}`))
}

/** A valid figure claim of event `ev`'s tests (SOHR, exact 58 killed on 2017-04-04), with `extra` fields set or replaced. */
export function figureClaim(extra: object = {}): Record<string, unknown> {
  return { kind: 'figure', source_id: 'sohr', stated_at: '2017-04-04', metric: 'killed', qualifier: 'exact', value: 58, ...extra }
}

/** CSV rows as objects keyed by the header; `skip` rows after the header (the HXL row). */
export function csvRecords(text: string, skip = 0): Array<Record<string, string>> {
  const [header = [], ...rest] = parse(text) as string[][]
  return rest.slice(skip).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])))
}

/** The values of an NDJSON body, which must end with a newline. */
export function ndjsonLines(text: string): unknown[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('NDJSON must end with a newline')
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown)
}

/** The assertions the helpers below use; any tap test (root or subtest) has them. */
export type Asserts = Pick<Test, 'equal' | 'match' | 'notMatch' | 'ok' | 'type' | 'strictSame'>

/** A problem document: the content type, the members of RFC 9457, and no leak of internals. */
export function assertProblem(t: Asserts, res: LightMyRequestResponse, status: number): Problem {
  t.equal(res.statusCode, status, `status ${status}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/, 'application/problem+json')
  const problem = json<Problem>(res)
  t.type(problem.type, 'string')
  t.ok(problem.type.length > 0, 'type is not empty')
  t.type(problem.title, 'string')
  t.ok(problem.title.length > 0, 'title is not empty')
  t.equal(problem.status, status, 'status member matches the HTTP status')
  t.type(problem.detail, 'string')
  assertNoLeak(t, res)
  return problem
}

export function assertNoLeak(t: Asserts, res: LightMyRequestResponse): void {
  t.notMatch(res.body, /\n\s*at /, 'no stack frames')
  t.notMatch(res.body, /\bat [^"]*\(?[/\\][^"]*\.(?:ts|js):\d+/, 'no "at file:line" frames')
  t.notMatch(res.body, /\/work\/|node_modules|file:\/\/|\.ts:\d+|\.js:\d+/, 'no file paths')
  t.notMatch(res.body, /"stack"/, 'no stack member')
}

/** A 400 problem whose only error names the query parameter `path` (a JSON Pointer such as `/limit`). */
export function assertQueryRefused(t: Asserts, res: LightMyRequestResponse, path: string, what: string): void {
  t.equal(res.statusCode, 400, what)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: a problem document`)
  t.strictSame(
    json<Problem>(res).errors?.map((e) => [e.path, e.in]),
    [[path, 'query']],
    `${what} names ${path} in the query`,
  )
}

/** A 4xx whose problem names exactly the JSON Pointers `pointers`, in order. */
export function assertRefused(
  t: Asserts,
  res: LightMyRequestResponse,
  status: number,
  pointers: string[],
  what = `${status} naming ${pointers.join(', ')}`,
): void {
  t.equal(res.statusCode, status, what)
  t.strictSame(paths(json<Problem>(res)), pointers, what)
}

/** Every page of a list, following next_cursor from `url` (at most 10 pages); each page must answer 200. */
export async function allPages<T>(t: Asserts, app: FastifyInstance, url: string): Promise<Array<Page<T>>> {
  const pages: Array<Page<T>> = []
  let next: string | null = url
  while (next !== null && pages.length < 10) {
    const res = await get(app, next)
    t.equal(res.statusCode, 200, next)
    const page = json<Page<T>>(res)
    pages.push(page)
    next = page.next_cursor === null ? null : `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(page.next_cursor)}`
  }
  return pages
}

/** What every record of the API carries. */
export interface Stamped {
  id: string
  created_at: string
  updated_at: string
}

/**
 * POSTs `body` to the collection `url` and checks what every create answers:
 * 201 as JSON with the Location of the new record `id`, exactly the output
 * `fields` (in any order), both timestamps, and the same record from GET.
 */
export async function assertCreated<T extends Stamped>(
  t: Asserts,
  app: FastifyInstance,
  url: string,
  body: unknown,
  id: string,
  fields: string[],
): Promise<T> {
  const res = await post(app, url, body)
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, `${url}/${id}`)
  t.match(res.headers['content-type'], /^application\/json/)
  const record = json<T>(res)
  t.equal(record.id, id)
  t.strictSame(Object.keys(record).sort(), [...fields].sort(), 'exactly the output fields')
  t.match(record.created_at, ISO_UTC)
  t.match(record.updated_at, ISO_UTC)
  const got = await get(app, `${url}/${id}`)
  t.equal(got.statusCode, 200)
  t.strictSame(json<T>(got), record, 'GET returns what POST returned')
  return record
}

/**
 * PATCHes `change` into the record `before` (at `url`), a few milliseconds
 * later, and checks the answer: 200, the record with exactly those fields
 * changed, updated_at moved forward and created_at kept.
 */
export async function assertPatched<T extends Stamped>(
  t: Asserts,
  app: FastifyInstance,
  url: string,
  before: T,
  change: Partial<T>,
): Promise<T> {
  await new Promise((resolve) => setTimeout(resolve, 5))
  const res = await patch(app, url, change)
  t.equal(res.statusCode, 200)
  const after = json<T>(res)
  t.strictSame(after, { ...before, ...change, updated_at: after.updated_at }, 'only the fields given changed')
  t.equal(after.created_at, before.created_at, 'created_at never changes')
  t.match(after.updated_at, ISO_UTC)
  t.ok(after.updated_at > before.updated_at, 'updated_at moves forward')
  return after
}

/** POSTs one record per `[name, id]` case, in order, and checks each is a 201 at the id derived from its name. */
export async function assertDerivedIds(
  t: Asserts,
  app: FastifyInstance,
  url: string,
  body: (name: string) => Record<string, unknown>,
  cases: Array<[string, string]>,
): Promise<void> {
  for (const [name, id] of cases) {
    const res = await post(app, url, body(name))
    t.equal(res.statusCode, 201, name)
    t.equal(json<Stamped>(res).id, id, `${JSON.stringify(name)} → ${id}`)
    t.equal(res.headers.location, `${url}/${id}`)
  }
}

/**
 * A child Node process (a server, a script) as it runs outside the tests:
 * the command and arguments for spawn/execFile, and its environment
 * (childEnv). Through env(1), because tap wraps spawn() to put its own hooks
 * back into NODE_OPTIONS and NODE_V8_COVERAGE: with them, tap would gather
 * the child's coverage of src/ as tsx compiles it, which differs from the
 * tests' own compilation, the merged report would count lines the tests do
 * run as not run, and each start would take twice as long.
 */
export function childNode(args: string[]): [command: string, args: string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', '-u', 'NODE_V8_COVERAGE', process.execPath, ...args]]
}

/** The environment of a child process: this one without the test runner's variables (see childNode). */
export function childEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key === 'NODE_V8_COVERAGE' || key.startsWith('TAP') || key.startsWith('_TAPJS')) continue
    env[key] = value
  }
  return { ...env, ...vars }
}

/** An engine claim as the claims table holds it (claims-repository insert), with its own recorded_at: for tests that write histories straight to a repository. */
export function claimRow(c: Claim): Required<ClaimInsert> {
  const figure: FigureClaim | null = c.kind === 'figure' ? c : null
  const attribution: AttributionClaim | null = c.kind === 'attribution' ? c : null
  return {
    id: c.id,
    eventId: c.event_id,
    kind: c.kind,
    sourceId: c.source_id,
    via: c.via,
    statedAt: c.stated_at,
    recordedAt: c.recorded_at,
    quote: c.quote,
    url: c.url,
    language: null,
    note: null,
    externalId: null,
    supersedes: c.supersedes,
    fingerprint: c.id,
    metric: figure?.metric ?? null,
    population: figure?.population ?? null,
    party: figure?.party ?? null,
    qualifier: figure?.qualifier ?? null,
    value: figure?.value ?? null,
    low: figure?.low ?? null,
    high: figure?.high ?? null,
    best: figure?.best ?? null,
    stance: attribution?.stance ?? null,
    actorIds: attribution?.actor_ids ?? null,
    certainty: attribution?.certainty ?? null,
    role: attribution?.role ?? null,
  }
}
