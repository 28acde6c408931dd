import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import errorsPlugin, { frameworkErrors } from '../../src/plugins/errors.js'
import { type Problem, assertNoLeak, assertProblem, build, countRows, json, paths, post } from '../helper.js'

const TABLES = ['sources', 'actors', 'events', 'aliases', 'changes'] as const
type Counts = Record<(typeof TABLES)[number], number>

async function counts(app: FastifyInstance): Promise<Counts> {
  const out = {} as Counts
  for (const table of TABLES) out[table] = await countRows(app, table)
  return out
}

const validSource = { name: 'Syrian Observatory for Human Rights', kind: 'monitor' }

t.test('an unknown route is a 404 problem', async (t) => {
  const app = await build(t)
  for (const [method, url] of [
    ['GET', '/nowhere'],
    ['POST', '/sources/sohr/unknown'],
    ['DELETE', '/sources/sohr'],
    ['PUT', '/events/x'],
  ] as const) {
    const res = await app.inject({ method, url, payload: method === 'GET' ? undefined : {} })
    const problem = assertProblem(t, res, 404)
    t.equal(problem.errors, undefined, `${method} ${url}`)
  }
})

t.test('a malformed JSON body is a 400 problem', async (t) => {
  const app = await build(t)
  const before = await counts(app)
  for (const payload of ['{"name": "SOHR", "kind": ', '{name: "SOHR"}', "{'name':'x'}", '[1, 2', 'nul']) {
    const res = await app.inject({
      method: 'POST',
      url: '/sources',
      headers: { 'content-type': 'application/json' },
      payload,
    })
    assertProblem(t, res, 400)
  }
  const patch = await app.inject({
    method: 'PATCH',
    url: '/sources/sohr',
    headers: { 'content-type': 'application/json' },
    payload: '{"name": ',
  })
  assertProblem(t, patch, 400)
  t.strictSame(await counts(app), before, 'nothing written')
})

t.test('an empty JSON body is a 400 problem', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'POST', url: '/sources', headers: { 'content-type': 'application/json' }, payload: '' })
  assertProblem(t, res, 400)
})

t.test('a body that is JSON but not an object is a 400 problem', async (t) => {
  const app = await build(t)
  for (const payload of ['[]', '"SOHR"', '42', 'null']) {
    const res = await app.inject({ method: 'POST', url: '/sources', headers: { 'content-type': 'application/json' }, payload })
    assertProblem(t, res, 400)
  }
})

t.test('a body of the wrong content type is a 415 problem', async (t) => {
  const app = await build(t)
  const before = await counts(app)
  const cases: Array<[string, string]> = [
    ['text/plain', JSON.stringify(validSource)],
    ['application/xml', '<source><name>SOHR</name></source>'],
    ['application/x-www-form-urlencoded', 'name=SOHR&kind=monitor'],
  ]
  for (const [type, payload] of cases) {
    const res = await app.inject({ method: 'POST', url: '/sources', headers: { 'content-type': type }, payload })
    t.equal(res.statusCode, 415, type)
    t.match(res.headers['content-type'], /^application\/problem\+json/, type)
    const problem = json<Problem>(res)
    t.equal(problem.status, 415, type)
    t.type(problem.type, 'string')
    t.type(problem.title, 'string')
    assertNoLeak(t, res)
  }
  const patch = await app.inject({ method: 'PATCH', url: '/sources/x', headers: { 'content-type': 'text/plain' }, payload: '{}' })
  t.equal(patch.statusCode, 415, 'PATCH with text/plain')
  t.strictSame(await counts(app), before, 'nothing written')
})

t.test('application/json with a charset is fine', async (t) => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: '/sources',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    payload: JSON.stringify(validSource),
  })
  t.equal(res.statusCode, 201)
})

t.test('unknown fields are a 400 with one error per unknown field', async (t) => {
  const app = await build(t)
  const before = await counts(app)
  const res = await post(app, '/sources', { ...validSource, colour: 'blue', 'we/ird~key': 1, Name: 'x' })
  const problem = assertProblem(t, res, 400)
  t.strictSame(paths(problem).sort(), ['/Name', '/colour', '/we~1ird~0key'], 'each unknown field named, as a JSON Pointer')
  for (const e of problem.errors ?? []) {
    t.equal(e.in, 'body')
    t.type(e.message, 'string')
    t.ok(e.message.length > 0)
  }

  const nested = await post(app, '/events', { title: 'x', occurred_on: '2017', location: { place: 'Idlib', town: 'x' } })
  t.strictSame(paths(assertProblem(t, nested, 400)), ['/location/town'], 'unknown nested fields are named too')

  const actor = await post(app, '/actors', { name: 'x', kind: 'state', parent: 'y' })
  t.strictSame(paths(assertProblem(t, actor, 400)), ['/parent'])
  t.strictSame(await counts(app), before, 'nothing written')
})

t.test('several bad fields at once are all listed', async (t) => {
  const app = await build(t)
  const res = await post(app, '/sources', {
    id: 'Not A Slug',
    name: '',
    kind: 'blog',
    country: 'SYR',
    url: 'ftp://example.org',
    aliases: ['ok', ''],
    extra: true,
  })
  const problem = assertProblem(t, res, 400)
  t.strictSame(paths(problem).sort(), ['/aliases/1', '/country', '/extra', '/id', '/kind', '/name', '/url'])
  for (const p of ['/id', '/kind', '/country']) t.match(problem.detail, p, `detail mentions ${p}`)

  const events = await post(app, '/events', { title: 7, occurred_on: 'April 2017', ended_on: '2017-13', tags: 'x' })
  t.strictSame(paths(assertProblem(t, events, 400)).sort(), ['/ended_on', '/occurred_on', '/tags', '/title'])
})

t.test('validation problems name where the bad field is', async (t) => {
  const app = await build(t)
  const body = json<Problem>(await post(app, '/sources', { kind: 'monitor' }))
  t.strictSame(body.errors, [{ path: '/name', in: 'body', message: body.errors?.[0]?.message }])
  const query = json<Problem>(await app.inject({ method: 'GET', url: '/sources?limit=0&q=' }))
  t.ok((query.errors ?? []).length >= 1)
  t.ok((query.errors ?? []).every((e) => e.in === 'query'))
  t.ok(paths(query).includes('/limit'))
})

t.test('no response ever carries a stack trace, not even a server error', async (t) => {
  const app = await build(t)
  app.get('/test-only/boom', async () => {
    throw new Error('secret internals at /work/main/src/secret.ts:12:3')
  })
  const boom = await app.inject({ method: 'GET', url: '/test-only/boom' })
  const problem = assertProblem(t, boom, 500)
  t.notMatch(boom.body, /secret/, 'the error message is not echoed')

  // A real route failing inside the database layer.
  await app.writes.now(() => app.sql.run('DROP TABLE changes'))
  const res = await post(app, '/sources', validSource)
  const dbProblem = assertProblem(t, res, 500)
  t.notMatch(res.body, /SqliteError|no such table|SQLITE/i, 'database errors are not echoed')
  t.equal(dbProblem.type, problem.type)
  // Read the table directly: without its change log, the API's reads fail too (their ETags come from it).
  t.equal(await countRows(app, 'sources'), 0, 'the failed write left nothing behind')
})

t.test('nothing is lost and nothing half-written: failing writes change no table', async (t) => {
  const app = await build(t)
  t.equal((await post(app, '/actors', { id: 'gov', name: 'Government', aliases: ['Regime'], kind: 'state' })).statusCode, 201)
  t.equal((await post(app, '/actors', { id: 'af', name: 'Air force', kind: 'armed_forces', parent_id: 'gov' })).statusCode, 201)
  t.equal((await post(app, '/sources', { id: 'sohr', name: 'SOHR', aliases: ['Observatory'], kind: 'monitor' })).statusCode, 201)
  t.equal((await post(app, '/events', { id: 'ks', title: 'KS', occurred_on: '2017-04-04' })).statusCode, 201)
  const before = await counts(app)
  t.strictSame(before, { sources: 1, actors: 2, events: 1, aliases: 2, changes: 4 }, 'the setup wrote what it should')

  const failing: Array<{ what: string; method: 'POST' | 'PATCH'; url: string; payload: unknown; status: number }> = [
    { what: 'invalid source', method: 'POST', url: '/sources', payload: { name: 'x', kind: 'blog', aliases: ['A'] }, status: 400 },
    { what: 'unknown field', method: 'POST', url: '/sources', payload: { ...validSource, aliases: ['B'], x: 1 }, status: 400 },
    { what: 'taken id', method: 'POST', url: '/sources', payload: { id: 'sohr', name: 'x', kind: 'media', aliases: ['C'] }, status: 409 },
    {
      what: 'taken alias after a free one',
      method: 'POST',
      url: '/sources',
      payload: { name: 'New', kind: 'media', aliases: ['Fresh', 'OBSERVATORY'] },
      status: 409,
    },
    {
      what: 'unknown affiliated actor, with aliases',
      method: 'POST',
      url: '/sources',
      payload: { name: 'New', kind: 'media', aliases: ['Fresh'], affiliated_actor_id: 'ghost' },
      status: 422,
    },
    {
      what: 'unknown parent',
      method: 'POST',
      url: '/actors',
      payload: { name: 'New', kind: 'state', aliases: ['N'], parent_id: 'ghost' },
      status: 422,
    },
    {
      what: 'taken actor alias',
      method: 'POST',
      url: '/actors',
      payload: { name: 'New', kind: 'state', aliases: ['regime'] },
      status: 409,
    },
    { what: 'taken event id', method: 'POST', url: '/events', payload: { id: 'ks', title: 'x', occurred_on: '2017' }, status: 409 },
    { what: 'bad event date', method: 'POST', url: '/events', payload: { title: 'x', occurred_on: '2017-02-30' }, status: 400 },
    {
      what: 'PATCH source: new aliases then an unknown actor',
      method: 'PATCH',
      url: '/sources/sohr',
      payload: { aliases: ['Renamed'], affiliated_actor_id: 'ghost' },
      status: 422,
    },
    { what: 'PATCH actor: cycle', method: 'PATCH', url: '/actors/gov', payload: { parent_id: 'af', aliases: ['Other'] }, status: 422 },
    { what: 'PATCH unknown event', method: 'PATCH', url: '/events/nope', payload: { title: 'x' }, status: 404 },
    { what: 'PATCH with id', method: 'PATCH', url: '/events/ks', payload: { id: 'x' }, status: 400 },
  ]
  for (const c of failing) {
    const snapshot = await counts(app)
    const res = await app.inject({ method: c.method, url: c.url, payload: c.payload as Record<string, unknown> })
    t.equal(res.statusCode, c.status, c.what)
    t.match(res.headers['content-type'], /^application\/problem\+json/, c.what)
    t.strictSame(await counts(app), snapshot, `${c.what}: no table changed`)
  }
  t.strictSame(await counts(app), before)

  const sohr = json<{ aliases: string[]; affiliated_actor_id: string | null; updated_at: string; created_at: string }>(
    await app.inject({ method: 'GET', url: '/sources/sohr' }),
  )
  t.strictSame(sohr.aliases, ['Observatory'], 'the failed PATCH did not replace the aliases')
  t.equal(sohr.updated_at, sohr.created_at)
  const q = await app.inject({ method: 'GET', url: '/sources?q=renamed' })
  t.strictSame(json<{ items: unknown[] }>(q).items, [], 'the alias index was rolled back')
  const gov = json<{ parent_id: string | null; aliases: string[] }>(await app.inject({ method: 'GET', url: '/actors/gov' }))
  t.equal(gov.parent_id, null)
  t.strictSame(gov.aliases, ['Regime'])
})

t.test('successful writes each add one change', async (t) => {
  const app = await build(t)
  const before = await counts(app)
  t.equal((await post(app, '/sources', validSource)).statusCode, 201)
  t.equal(
    (await app.inject({ method: 'PATCH', url: '/sources/syrian-observatory-for-human-rights', payload: { notes: 'n' } })).statusCode,
    200,
  )
  const after = await counts(app)
  t.equal(after.sources, before.sources + 1)
  t.equal(after.changes, before.changes + 2)
  const rows = await app.sql.all('SELECT type, id FROM changes ORDER BY seq')
  t.strictSame(rows, [
    { type: 'source.created', id: 'syrian-observatory-for-human-rights' },
    { type: 'source.updated', id: 'syrian-observatory-for-human-rights' },
  ])
})

t.test('a body over the limit is a 413 problem, and every operation with a body documents 413 and 415', async (t) => {
  // Found by the OpenAPI fuzzer: the 413 of the 1 MiB body limit was documented on the bulk routes only.
  const app = await build(t)
  const before = await counts(app)
  const big = { ...validSource, notes: 'a'.repeat(1_100_000) }
  const routes: Array<['POST' | 'PATCH', string]> = [
    ['POST', '/sources'],
    ['PATCH', '/sources/x'],
    ['POST', '/events'],
    ['POST', '/events/x/claims'],
    ['POST', '/claims'],
    ['POST', '/claims/x/retraction'],
  ]
  for (const [method, url] of routes) assertProblem(t, await app.inject({ method, url, payload: big }), 413)
  t.strictSame(await counts(app), before, 'nothing written')

  await app.ready()
  const doc = app.swagger() as { paths: Record<string, Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>> }
  let bodies = 0
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op.requestBody === undefined) continue
      bodies++
      t.ok(op.responses?.['413'], `${method.toUpperCase()} ${path} documents 413`)
      t.ok(op.responses?.['415'], `${method.toUpperCase()} ${path} documents 415`)
    }
  }
  t.ok(bodies >= routes.length, 'the operations with a body were checked')
})

t.test('router errors (a malformed URL, an overlong path parameter) are problem documents with frameworkErrors', async (t) => {
  // Found by the OpenAPI fuzzer: Fastify answers these before any route, with a JSON body of its own.
  const app = Fastify({ logger: false, frameworkErrors, routerOptions: { maxParamLength: 10 } })
  t.teardown(() => app.close())
  await app.register(errorsPlugin)
  app.get('/things/:id', async () => ({ ok: true }))
  for (const url of ['/things/%ZZ', '/things/a%E0%A4%A', `/things/${'x'.repeat(11)}`]) {
    const problem = assertProblem(t, await app.inject({ method: 'GET', url }), 400)
    t.equal(problem.type, 'urn:reckon:problem:invalid-request', url)
    t.equal(problem.instance, url.split('?')[0], url)
  }
  t.equal((await app.inject({ method: 'GET', url: '/things/ok' })).statusCode, 200, 'a good URL still reaches its route')
})

t.test('an id with a control character is a 400 naming it, on either store (PostgreSQL cannot compare a text holding NUL)', async (t) => {
  const app = await build(t)
  for (const url of ['/events/%00/claims', '/events/a%00b/summary', '/events/%1F/estimates', '/sources/%00/record', '/claims/%00']) {
    const res = await app.inject({ method: 'GET', url })
    const problem = assertProblem(t, res, 400)
    t.strictSame(paths(problem), ['/id'], url)
  }
  t.equal((await app.inject({ method: 'GET', url: '/events/no-such-event/claims' })).statusCode, 404, 'other unknown ids stay 404s')
})
