/** GET /health: the store, its version and schema for a load balancer or a monitor; a 503 problem, not a hang, when the database fails. */
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { MIGRATIONS_FOLDER, migrationJournal } from '../../src/db/client.js'
import { PG_MIGRATIONS_FOLDER } from '../../src/db/pg/client.js'
import type { Sql } from '../../src/db/sql.js'
import { HEALTH_TIMEOUT_MS } from '../../src/routes/meta/index.js'
import { type Problem, build, json } from '../helper.js'
import { ON_POSTGRES } from '../store.js'

const STORE = ON_POSTGRES ? 'postgres' : 'sqlite'
const newest = migrationJournal(ON_POSTGRES ? PG_MIGRATIONS_FOLDER : MIGRATIONS_FOLDER).at(-1)?.tag ?? ''
const MIGRATIONS_TABLE = ON_POSTGRES ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations'

interface Health {
  status: string
  store: string
  store_version: string
  schema: string | null
}

/** Replaces the store's `get` (the one call a check makes) until the test ends. */
function stubGet(t: Test, app: FastifyInstance, get: Sql['get']): void {
  const original = app.sql.get.bind(app.sql)
  app.sql.get = get
  t.teardown(() => {
    app.sql.get = original
  })
}

t.test('answers the store, its version and the newest migration applied', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200)
  const body = json<Health>(res)
  t.match(body.store_version, ON_POSTGRES ? /^1[5-9]\.\d+/ : /^3\.\d+\.\d+$/, 'the version of the store')
  t.strictSame(body, { status: 'ok', store: STORE, store_version: body.store_version, schema: newest })
  t.ok(newest.length > 0, `the newest migration is named (${newest})`)
})

t.test('schema is null once a newer Reckon has migrated the database under this one', async (t) => {
  const app = await build(t)
  await app.writes.now(() =>
    app.sql.run(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ('from-a-newer-reckon', 9999999999999)`),
  )
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 200, 'the replica still answers: the database does')
  t.equal(json<Health>(res).schema, null)
})

t.test('a database that fails is a 503 problem that names the cause by its code alone', async (t) => {
  const app = await build(t)
  stubGet(t, app, () =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED db.internal:5432 as reckon:hunter2'), { code: 'ECONNREFUSED' })),
  )
  const res = await app.inject({ method: 'GET', url: '/health' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(res.headers['retry-after'], '5')
  const name = ON_POSTGRES ? 'PostgreSQL' : 'SQLite'
  t.strictSame(json<Problem>(res), {
    type: 'urn:reckon:problem:store-unavailable',
    title: 'Service unavailable',
    status: 503,
    detail: `The ${name} database failed to answer (ECONNREFUSED): this replica cannot answer requests that read or write it. Retry after 5 seconds.`,
    instance: '/health',
  })
  t.notMatch(res.body, /hunter2|db\.internal/, 'nothing of the error message reaches the client')
})

t.test('a database that does not answer is a 503 after the timeout, and the next check asks anew', async (t) => {
  const app = await build(t)
  const original = app.sql.get.bind(app.sql)
  let hang = true
  let calls = 0
  stubGet(t, app, (text, params) => {
    calls++
    return hang ? new Promise<never>(() => undefined) : original(text, params)
  })
  const started = Date.now()
  const res = await app.inject({ method: 'GET', url: '/health' })
  const took = Date.now() - started
  t.equal(res.statusCode, 503)
  t.match(json<Problem>(res).detail, new RegExp(`database did not answer within ${HEALTH_TIMEOUT_MS / 1000} s`))
  t.ok(took >= HEALTH_TIMEOUT_MS - 50 && took < HEALTH_TIMEOUT_MS + 1500, `answered after the timeout (${took} ms)`)
  t.equal(calls, 1)
  hang = false
  const again = await app.inject({ method: 'GET', url: '/health' })
  t.equal(again.statusCode, 200, 'a hung query is not shared with later checks')
  t.equal(calls, 2)
})

t.test('checks that arrive together share one query', async (t) => {
  const app = await build(t)
  const original = app.sql.get.bind(app.sql)
  let calls = 0
  stubGet(t, app, async (text, params) => {
    calls++
    await new Promise((resolve) => setTimeout(resolve, 50))
    return original(text, params)
  })
  const answers = await Promise.all(Array.from({ length: 5 }, () => app.inject({ method: 'GET', url: '/health' })))
  t.strictSame(
    answers.map((a) => a.statusCode),
    [200, 200, 200, 200, 200],
  )
  t.equal(calls, 1, 'one query for five checks')
  await app.inject({ method: 'GET', url: '/health' })
  t.equal(calls, 2, 'a later check asks again')
})
