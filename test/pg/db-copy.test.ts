/**
 * npm run db:copy (scripts/db-copy.ts): a SQLite database written through
 * the app, copied to PostgreSQL, holds the same rows there — the change
 * log's seq and the claims' rowid included — and an app on the copy answers
 * every read as the app on the file does, then continues the seq. A target
 * that holds data, a source that is not at this schema, a row PostgreSQL
 * refuses and an unreachable server each stop the copy with nothing written.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { is } from 'drizzle-orm'
import { PgTable, getTableConfig } from 'drizzle-orm/pg-core'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { backup } from '../../scripts/backup.js'
import { CopyError, copyDatabase } from '../../scripts/db-copy.js'
import { buildApp } from '../../src/app.js'
import { parseApiKeys } from '../../src/config.js'
import { DatabaseTooNewError } from '../../src/db/client.js'
import { PostgresUnavailableError, PostgresUrlError } from '../../src/db/pg/client.js'
import * as pgSchema from '../../src/db/pg/schema.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { type Change, type Teardown, build, childEnv, childNode, figureClaim, get, json, tempDir } from '../helper.js'
import { onConnection, throwawayDatabase } from './throwaway.js'

// Five apps on SQLite, four copies and five runs of the command (a few seconds each).
t.setTimeout(180_000)

const ADMIN = 'db-copy-admin-token'
const API_KEYS = `${ADMIN}:admin`
const auth = { authorization: `Bearer ${ADMIN}` }

/** The tables of the PostgreSQL schema, each with the columns to compare (SQLite's implicit rowid included where PostgreSQL has it). */
const tables = (Object.values(pgSchema) as unknown[])
  .filter((v): v is PgTable => is(v, PgTable))
  .map((table) => {
    const config = getTableConfig(table)
    return { name: config.name, columns: config.columns.map((c) => c.name) }
  })

/** A write the set-up relies on: anything but `status` throws with the body. */
async function send(app: FastifyInstance, method: 'POST' | 'PATCH', url: string, payload: object, headers = {}): Promise<unknown> {
  const res = await app.inject({ method, url, payload, headers: { ...auth, ...headers } })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return json(res)
}

/**
 * A SQLite database written through the app, with a bit of everything: the
 * §8 worked example (sources with aliases, actors with a parent, figure and
 * attribution claims), an actor whose parent was created after it, a second
 * event created with an Idempotency-Key (and the request replayed) then
 * edited, a supersession, a retraction and a key made through POST /keys.
 */
async function sqliteStore(t: Teardown, dbPath: string): Promise<FastifyInstance> {
  const app = await build(t, { dbPath, apiKeys: API_KEYS })
  if (app.sql.dialect !== 'sqlite') throw new Error('the source app must run on SQLite')
  const ids = await loadFixture(app, readFixture(), auth)
  await send(app, 'POST', '/actors', { id: 'local-militia', name: 'Local militia', kind: 'armed_group', aliases: ['LM', 'Milice'] })
  await send(app, 'POST', '/actors', { id: 'regional-command', name: 'Regional command', kind: 'armed_group' })
  await send(app, 'PATCH', '/actors/local-militia', { parent_id: 'regional-command' })
  await send(app, 'PATCH', '/sources/reuters', { aliases: ['Thomson Reuters'] })
  const event = { id: 'ev-2', title: 'Shelling of a market', occurred_on: '2017-05-01', tags: ['shelling'] }
  const keyed = { ...auth, 'idempotency-key': 'create-ev-2' }
  await send(app, 'POST', '/events', event, keyed)
  await send(app, 'POST', '/events', event, keyed) // replayed from the idempotency record
  await send(app, 'PATCH', '/events/ev-2', { title: 'Shelling of the central market', description: 'Édité: «marché»' })
  await send(app, 'POST', '/events/ev-2/claims', figureClaim({ stated_at: '2017-05-01', value: 12 }), {
    'idempotency-key': 'claim-ev-2',
  })
  await send(app, 'POST', '/events/ev-2/claims', figureClaim({ stated_at: '2017-05-02', party: 'local-militia', value: 3 }))
  await send(app, 'POST', '/events/ev-2/claims', {
    kind: 'attribution',
    source_id: 'reuters',
    stated_at: '2017-05-02',
    stance: 'accuses',
    actor_ids: ['local-militia'],
  })
  // WHO revises its figure: the new claim supersedes the old one.
  await send(app, 'POST', '/events/khan-shaykhun/claims', {
    kind: 'figure',
    source_id: 'who',
    stated_at: '2017-04-07',
    metric: 'killed',
    population: 'all',
    qualifier: 'at_least',
    value: 84,
    supersedes: ids[2],
  })
  await send(app, 'POST', `/claims/${ids[5] ?? ''}/retraction`, { reason: 'Misattributed: the statement was about another strike.' })
  await send(app, 'POST', '/keys', { name: 'data desk', scopes: ['read', 'write'] })
  return app
}

async function postgresApp(t: Teardown, url: string): Promise<FastifyInstance> {
  const app = await buildApp({
    config: { dbPath: ':memory:', databaseUrl: url, apiKeys: parseApiKeys(API_KEYS), logLevel: 'silent' },
    logger: false,
  })
  t.teardown(() => app.close())
  return app
}

/** Every row of every table, each table's rows as sorted JSON texts: what the two stores hold, compared whole. */
async function sqliteRows(dbPath: string): Promise<Record<string, string[]>> {
  const db = new Database(dbPath, { readonly: true })
  try {
    return Object.fromEntries(
      tables.map(({ name, columns }) => [
        name,
        (db.prepare(`SELECT ${columns.join(', ')} FROM ${name}`).all() as object[]).map((row) => JSON.stringify(row)).sort(),
      ]),
    )
  } finally {
    db.close()
  }
}

async function postgresRows(url: string): Promise<Record<string, string[]>> {
  return onConnection(async (client) => {
    const rows: Record<string, string[]> = {}
    for (const { name, columns } of tables) {
      // int8 read as numbers: the parsers openPostgres installs, for the whole process (the copy has run by now).
      rows[name] = (await client.query<object>(`SELECT ${columns.join(', ')} FROM ${name}`)).rows.map((row) => JSON.stringify(row)).sort()
    }
    return rows
  }, url)
}

/** Rows per table of the PostgreSQL database at `url`. */
async function counts(url: string): Promise<Record<string, number>> {
  return onConnection(async (client) => {
    const result: Record<string, number> = {}
    for (const { name } of tables)
      result[name] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`)).rows[0]?.n)
    return result
  }, url)
}

/** The public tables of the database at `url`: none until something migrates it. */
async function publicTables(url: string): Promise<number> {
  return onConnection(
    async (c) => Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")).rows[0]?.n),
    url,
  )
}

/** Every page of GET /changes, `limit` at a time. */
async function changeFeed(app: FastifyInstance, limit: number): Promise<unknown[]> {
  const pages: unknown[] = []
  let after = ''
  for (let i = 0; i < 100; i++) {
    const res = await get(app, `/changes?limit=${limit}${after}`, auth)
    const page = json<{ items: Change[]; next_cursor: string | null; has_more: boolean }>(res)
    pages.push({ status: res.statusCode, link: res.headers.link ?? null, page })
    if (!page.has_more || page.next_cursor === null) break
    after = `&after=${encodeURIComponent(page.next_cursor)}`
  }
  return pages
}

/** The test's start: an `as_of` from then on is the moment of the request ("now"), which two requests never share. */
const started = new Date().toISOString()

function withoutNow(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNow)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [key, key === 'as_of' && typeof v === 'string' && v >= started ? 'now' : withoutNow(v)]),
  )
}

/** What an app answers to a GET: status, content type, ETag and body (JSON parsed, "now" as such). */
async function answer(app: FastifyInstance, url: string): Promise<unknown> {
  const res = await get(app, url, auth)
  const type = String(res.headers['content-type'] ?? '')
  const body = type.includes('json') ? withoutNow(JSON.parse(res.body)) : res.body
  return { status: res.statusCode, type, etag: res.headers.etag ?? null, body }
}

const KHAN_MOMENTS = ['2017-04-04', '2017-04-05', '2017-04-06', '2017-04-08T12:00:00Z']

t.test('a database copied to PostgreSQL holds every row, answers every read alike, and continues the seq', async (t) => {
  const dir = tempDir(t, 'db-copy')
  const dbPath = join(dir, 'reckon.db')
  const lite = await sqliteStore(t, dbPath)
  // The reads below refresh dispute blocks and stored summaries: read once first, so that both stores hold them fresh.
  await get(lite, '/events', auth)
  const { url } = await throwawayDatabase(t)

  const seen: string[] = []
  const report = await copyDatabase({ from: dbPath, to: url, rowsPerInsert: 3, onTable: (table) => seen.push(table.name) })
  const before = await sqliteRows(dbPath)
  t.strictSame(await postgresRows(url), before, 'every row of every table, as SQLite holds it')
  t.strictSame(
    Object.fromEntries(report.tables.map((table) => [table.name, table.rows])),
    Object.fromEntries(Object.entries(before).map(([name, rows]) => [name, rows.length])),
    'the report counts the rows of each table',
  )
  t.equal(
    report.rows,
    Object.values(before).reduce((n, rows) => n + rows.length, 0),
  )
  t.strictSame(
    seen,
    report.tables.map((table) => table.name),
    'onTable is told of each table in turn',
  )
  t.ok(seen.indexOf('actors') < seen.indexOf('sources') && seen.indexOf('events') < seen.indexOf('claims'), 'referenced tables first')
  t.ok(before.retractions?.length === 1 && (before.api_keys?.length ?? 0) === 1 && (before.idempotency_keys?.length ?? 0) >= 2)

  const pg = await postgresApp(t, url)
  t.equal(pg.sql.dialect, 'postgres')
  const lastSeq = Math.max(...(await lite.sql.values<number>('SELECT seq FROM changes')))

  t.strictSame(await changeFeed(pg, 4), await changeFeed(lite, 4), 'GET /changes, every page')
  const claimIds = await lite.sql.values<string>('SELECT id FROM claims ORDER BY id')
  const urls = [
    '/events',
    '/events?sort=-claims',
    '/events/khan-shaykhun',
    '/events/ev-2',
    '/summaries',
    '/claims',
    '/claims?limit=3',
    '/claims?include_retracted=true',
    '/sources',
    '/sources/reuters',
    '/actors',
    '/actors/local-militia',
    '/keys',
    ...claimIds.map((id) => `/claims/${id}`),
    ...['khan-shaykhun', 'ev-2'].flatMap((id) => [
      `/events/${id}/summary`,
      `/events/${id}/claims`,
      `/events/${id}/history`,
      `/events/${id}/sources`,
      `/events/${id}/timeline`,
      `/events/${id}/chart.svg`,
    ]),
    ...KHAN_MOMENTS.flatMap((moment) => [
      `/events/khan-shaykhun/summary?as_of=${moment}`,
      `/events/khan-shaykhun/summary?as_of=${moment}&known_at=${moment}`,
    ]),
  ]
  for (const path of urls) t.strictSame(await answer(pg, path), await answer(lite, path), path)

  // A new write continues the change log and the claims' rowid.
  const lastRowid = Number(await pg.sql.value('SELECT MAX(rowid) FROM claims'))
  await send(pg, 'POST', '/events/ev-2/claims', figureClaim({ stated_at: '2017-05-03', value: 14 }))
  const after = json<{ items: Change[] }>(await get(pg, `/changes?after=${lastSeq}`, auth))
  t.strictSame(
    after.items.map((c) => [c.seq, c.type]),
    [[lastSeq + 1, 'claim.created']],
    'the next seq follows the last one copied',
  )
  t.equal(Number(await pg.sql.value('SELECT MAX(rowid) FROM claims')), lastRowid + 1, 'the next rowid follows too')

  t.test('a second copy into it is refused, and writes nothing', async (t) => {
    const held = await postgresRows(url)
    const err = await copyDatabase({ from: dbPath, to: url }).then(
      () => null,
      (e: unknown) => e,
    )
    t.ok(err instanceof CopyError)
    t.match(
      (err as Error).message,
      /^The PostgreSQL database "reckon_test_\w+" at [^ ]+ \(user \w+\) already holds data \(in actors, .*\): db:copy copies into an empty database only; point RECKON_DATABASE_URL at a new one \(createdb\) and copy again\.$/,
    )
    t.notMatch((err as Error).message, /\n/, 'one line')
    t.strictSame(await postgresRows(url), held)
  })
})

t.test('a target with rows in any one table is refused', async (t) => {
  const dir = tempDir(t, 'db-copy-one')
  const dbPath = join(dir, 'reckon.db')
  await sqliteStore(t, dbPath)
  const { url } = await throwawayDatabase(t)
  const app = await postgresApp(t, url)
  await send(app, 'POST', '/keys', { name: 'early bird', scopes: ['read'] })
  await app.close()
  await t.rejects(copyDatabase({ from: dbPath, to: url }), { name: 'CopyError', message: /already holds data \(in api_keys\)/ })
  t.strictSame(
    Object.entries(await counts(url)).filter(([, n]) => n > 0),
    [['api_keys', 1]],
    'nothing written',
  )
})

t.test('a row PostgreSQL refuses rolls the whole copy back', async (t) => {
  const dir = tempDir(t, 'db-copy-atomic')
  const dbPath = join(dir, 'reckon.db')
  await sqliteStore(t, dbPath)
  const broken = join(dir, 'broken.db')
  await backup(dbPath, broken)
  // PostgreSQL text cannot hold U+0000; retractions come after claims, changes and the rest.
  const db = new Database(broken)
  db.prepare("UPDATE retractions SET reason = 'nul' || char(0) || 'byte'").run()
  db.close()
  const { url } = await throwawayDatabase(t)
  await t.rejects(copyDatabase({ from: broken, to: url }), {
    name: 'CopyError',
    message: /^Copying retractions failed, so nothing was copied: invalid byte sequence for encoding "UTF8": 0x00/,
  })
  t.strictSame(
    Object.entries(await counts(url)).filter(([, n]) => n > 0),
    [],
    'every table empty',
  )
  const sequences = await onConnection(
    (c) =>
      c.query<{ name: string; last: string | null }>(
        "SELECT sequencename AS name, last_value AS last FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
      ),
    url,
  )
  t.strictSame(
    sequences.rows,
    [
      { name: 'changes_seq_seq', last: null },
      { name: 'claims_rowid_seq', last: null },
      { name: 'retractions_rowid_seq', last: null },
    ],
    'no identity moved',
  )
  // The target is still good to copy into.
  const report = await copyDatabase({ from: dbPath, to: url })
  t.ok(report.rows > 0)
  t.strictSame(await postgresRows(url), await sqliteRows(dbPath))
})

t.test('a source that is not at this schema is refused before the target is touched', async (t) => {
  const dir = tempDir(t, 'db-copy-source')
  const dbPath = join(dir, 'reckon.db')
  const app = await sqliteStore(t, dbPath)
  await app.close()
  const { url } = await throwawayDatabase(t)

  const newer = join(dir, 'newer.db')
  await backup(dbPath, newer)
  const future = Date.UTC(2099, 0, 1)
  const ahead = new Database(newer)
  ahead.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('future', future)
  ahead.close()
  const tooNew = await copyDatabase({ from: newer, to: url }).then(
    () => null,
    (e: unknown) => e,
  )
  t.ok(tooNew instanceof DatabaseTooNewError)
  t.match((tooNew as Error).message, `The database ${newer} was migrated by a newer version of Reckon`)

  const older = join(dir, 'older.db')
  await backup(dbPath, older)
  const stale = new Database(older)
  stale.prepare('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT MAX(created_at) FROM __drizzle_migrations)').run()
  stale.close()
  await t.rejects(copyDatabase({ from: older, to: url }), {
    name: 'CopyError',
    message: new RegExp(
      `^The database ${older} is not migrated to this Reckon's schema \\(\\d+ of its \\d+ migrations applied\\): start this version of Reckon on it once`,
    ),
  })

  const foreign = join(dir, 'foreign.db')
  new Database(foreign).exec('CREATE TABLE notes (body text)').close()
  await t.rejects(copyDatabase({ from: foreign, to: url }), {
    name: 'CopyError',
    message: `${foreign} is not a Reckon database (it has no migrations table): nothing to copy.`,
  })
  await t.rejects(copyDatabase({ from: join(dir, 'missing.db'), to: url }), {
    message: `No database at ${join(dir, 'missing.db')}: set RECKON_DB to the SQLite file to copy.`,
  })
  await t.rejects(copyDatabase({ from: ':memory:', to: url }), { message: /RECKON_DB is :memory:/ })
  t.equal(await publicTables(url), 0, 'the target not even migrated')
})

t.test('an unreachable server or a bad URL is a clear error', async (t) => {
  const dir = tempDir(t, 'db-copy-unreachable')
  const dbPath = join(dir, 'reckon.db')
  const app = await sqliteStore(t, dbPath)
  await app.close()
  const refused = await copyDatabase({ from: dbPath, to: 'postgres://reckon:hunter2@127.0.0.1:1/reckon' }).then(
    () => null,
    (e: unknown) => e,
  )
  t.ok(refused instanceof PostgresUnavailableError)
  t.equal(
    (refused as Error).message,
    'Cannot open the PostgreSQL database "reckon" at 127.0.0.1:1 (user reckon): ' +
      'connection refused (ECONNREFUSED): no PostgreSQL server listens on that host and port. Check RECKON_DATABASE_URL.',
  )
  await t.rejects(copyDatabase({ from: dbPath, to: 'mysql://root@db/reckon' }), PostgresUrlError)
})

t.test('npm run db:copy as a command: exit codes and what it prints', async (t) => {
  const dir = tempDir(t, 'db-copy-cli')
  const dbPath = join(dir, 'reckon.db')
  const app = await sqliteStore(t, dbPath)
  await app.close()
  const { url } = await throwawayDatabase(t)
  const run = (vars: Record<string, string>, args: string[] = []) =>
    promisify(execFile)(...childNode(['--import', 'tsx', 'scripts/db-copy.ts', ...args]), { env: childEnv(vars) }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    )

  const copied = await run({ RECKON_DB: dbPath, RECKON_DATABASE_URL: url })
  t.equal(copied.code, 0, copied.stderr)
  t.equal(copied.stderr, '')
  t.match(copied.stdout, new RegExp(`^copying ${dbPath} …\n`))
  t.match(copied.stdout, /\n {2}claims +\d+ rows +\d+\.\d\d s\n/)
  t.match(
    copied.stdout,
    new RegExp(
      `\ncopied [\\d,]+ rows from ${dbPath} to the PostgreSQL database "reckon_test_\\w+" at [^ ]+ \\(user \\w+\\) in \\d+\\.\\d+ s \\([\\d,]+ rows/s\\)\n$`,
    ),
  )

  const again = await run({ RECKON_DB: dbPath, RECKON_DATABASE_URL: url })
  t.equal(again.code, 1, 'a target with data: exit 1')
  t.match(again.stderr, /^The PostgreSQL database "reckon_test_\w+" .* already holds data \(in actors, [^\n]*\n$/)

  const unreachable = await run({ RECKON_DB: dbPath, RECKON_DATABASE_URL: 'postgres://reckon:hunter2@127.0.0.1:1/reckon' })
  t.equal(unreachable.code, 1, 'an unreachable server: exit 1')
  t.match(unreachable.stderr, /^Cannot open the PostgreSQL database "reckon" at 127\.0\.0\.1:1 \(user reckon\): connection refused/)
  t.notMatch(unreachable.stderr, /hunter2/)

  const noUrl = await run({ RECKON_DB: dbPath, RECKON_DATABASE_URL: '' })
  t.equal(noUrl.code, 2, 'no target: a usage error')
  t.match(
    noUrl.stderr,
    /^RECKON_DATABASE_URL is not set: it names the PostgreSQL database to copy into\nusage: RECKON_DB=<file> RECKON_DATABASE_URL=/,
  )

  const withArgs = await run({ RECKON_DB: dbPath, RECKON_DATABASE_URL: url }, ['--to', url])
  t.equal(withArgs.code, 2, 'arguments: a usage error')
  t.match(withArgs.stderr, /^db:copy takes no arguments/)
})
