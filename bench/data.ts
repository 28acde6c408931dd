/**
 * npm run bench:data — a realistic database for the benchmarks: EVENTS events
 * (default 100,000) with CLAIMS_PER_EVENT claims each (default 10: 1,000,000),
 * written straight through better-sqlite3 on the migrated schema.
 *
 * Each event has 2–5 sources giving killed/all figures that they revise over
 * the following days (exact, at_least, approximately, range), an injured
 * figure, sometimes a children's figure, and accusations and denials among a
 * few actors. Deterministic: the same seed gives the same database.
 *
 * On PostgreSQL (bench/read.ts with BENCH_STORE=postgres or both), the
 * records of that very file are copied into a database of the run's own
 * (copyToPostgres), so that both stores hold the same rows, claim ids
 * included; the derived rows (lanes, tallies, dispute blocks, stored
 * summaries) are then computed there by Reckon's own code (prepareStored).
 */
import { rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import { uuidv7 } from 'uuidv7'
import { openDatabase } from '../src/db/client.js'
import { openPostgres } from '../src/db/pg/client.js'
import { PostgresSql } from '../src/db/pg/sql.js'
import { type Sql, SqliteSql } from '../src/db/sql.js'
import { createActorsRepository } from '../src/repositories/actors-repository.js'
import { createClaimsRepository } from '../src/repositories/claims-repository.js'
import { createDisputesRepository } from '../src/repositories/disputes-repository.js'
import { createSourcesRepository } from '../src/repositories/sources-repository.js'
import { createRepositories } from '../src/services/repositories.js'
import { benchDatabaseName, createDatabase, databaseExists, databaseUrl, dropDatabase } from './postgres.js'

export const BENCH_DB = process.env.BENCH_DB ?? 'bench/data/reckon-bench.db'

/** A small deterministic PRNG (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function generate(
  path: string,
  events: number,
  perEvent: number,
): Promise<{ claims: number; seconds: number; indexSeconds: number; disputeSeconds: number }> {
  rmSync(path, { force: true })
  rmSync(`${path}-wal`, { force: true })
  rmSync(`${path}-shm`, { force: true })
  const started = process.hrtime.bigint()
  const database = openDatabase(path)
  const db = database.$client
  const rnd = random(20170404)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T
  const now = new Date().toISOString()
  const SOURCES = Array.from({ length: 200 }, (_, i) => `source-${i}`)
  const ACTORS = ['government', 'air-force', 'militia', 'rebels', 'foreign-forces', 'unknown-group']
  const COUNTRIES = ['SY', 'UA', 'YE', 'SD', 'ML', 'MM', 'ET', 'SO', 'IQ', 'AF']

  db.prepare(
    "INSERT INTO actors (id, name, aliases, kind, parent_id, created_at, updated_at) VALUES ('government', 'Government', '[]', 'state', NULL, ?, ?)",
  ).run(now, now)
  const actor = db.prepare(
    "INSERT INTO actors (id, name, aliases, kind, parent_id, created_at, updated_at) VALUES (?, ?, '[]', 'armed_group', ?, ?, ?)",
  )
  for (const id of ACTORS.slice(1)) actor.run(id, id, id === 'air-force' ? 'government' : null, now, now)
  const source = db.prepare(
    "INSERT INTO sources (id, name, aliases, kind, affiliated_actor_id, created_at, updated_at) VALUES (?, ?, '[]', ?, ?, ?, ?)",
  )
  SOURCES.forEach((id, i) =>
    source.run(
      id,
      `Source ${i}`,
      pick(['monitor', 'media', 'ngo', 'government', 'news_agency']),
      i % 20 === 0 ? 'government' : null,
      now,
      now,
    ),
  )

  const event = db.prepare(
    "INSERT INTO events (id, title, occurred_on, location, tags, external_ids, created_at, updated_at) VALUES (?, ?, ?, ?, '[]', '{}', ?, ?)",
  )
  const claim = db.prepare(
    `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, fingerprint, metric, population, qualifier,
       value, low, high, stance, actor_ids, certainty)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const change = db.prepare('INSERT INTO changes (at, type, id, event_id) VALUES (?, ?, ?, ?)')
  let total = 0
  const base = Date.UTC(2015, 0, 1)
  const writeEvent = (e: number) => {
    const id = `event-${e}`
    const day = new Date(base + Math.floor(rnd() * 3650) * 86_400_000)
    const occurred = day.toISOString().slice(0, 10)
    event.run(id, `Attack ${e}`, occurred, JSON.stringify({ country: pick(COUNTRIES), place: `Place ${e % 5000}` }), now, now)
    change.run(now, 'event.created', id, id)
    const sources = Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => pick(SOURCES))
    const truth = 5 + Math.floor(rnd() ** 3 * 400)
    for (let k = 0; k < perEvent; k++) {
      const src = sources[k % sources.length] as string
      const stated = new Date(day.getTime() + (k + Math.floor(rnd() * 3)) * 86_400_000).toISOString()
      const id = uuidv7()
      const r = rnd()
      if (r < 0.2) {
        const stance = rnd() < 0.7 ? 'accuses' : 'denies'
        const actors = rnd() < 0.3 ? [pick(ACTORS), pick(ACTORS)].filter((a, i, all) => all.indexOf(a) === i) : [pick(ACTORS)]
        claim.run(
          id,
          `event-${e}`,
          'attribution',
          src,
          '[]',
          stated,
          now,
          id,
          null,
          null,
          null,
          null,
          null,
          null,
          stance,
          JSON.stringify(actors),
          rnd() < 0.3 ? 'suspected' : 'asserted',
        )
      } else {
        const metric = r < 0.3 ? 'injured' : 'killed'
        const population = rnd() < 0.15 ? 'children' : 'all'
        const scale = population === 'children' ? 0.3 : metric === 'injured' ? 2 : 1
        const value = Math.max(0, Math.round(truth * scale * (0.6 + rnd() * 0.8) * (1 + k * 0.05)))
        const q = rnd()
        const [qualifier, v, lo, hi] =
          q < 0.55
            ? ['exact', value, null, null]
            : q < 0.75
              ? ['at_least', value, null, null]
              : q < 0.9
                ? ['approximately', value, null, null]
                : ['range', null, value, value + Math.floor(value * 0.3) + 1]
        claim.run(
          id,
          `event-${e}`,
          'figure',
          src,
          rnd() < 0.3 ? JSON.stringify([pick(SOURCES)]) : '[]',
          stated,
          now,
          id,
          metric,
          population,
          qualifier,
          v,
          lo,
          hi,
          null,
          null,
          null,
        )
      }
      change.run(now, 'claim.created', id, `event-${e}`)
      total++
    }
  }
  const CHUNK = 5000
  for (let from = 0; from < events; from += CHUNK) {
    db.transaction(() => {
      for (let e = from; e < Math.min(events, from + CHUNK); e++) writeEvent(e)
    })()
  }
  // The claims went in straight through SQL: index their lanes and tallies, and compute every event's
  // dispute block (GET /events), as the app would at start.
  const indexStarted = process.hrtime.bigint()
  const sql = new SqliteSql(database)
  const claims = createClaimsRepository(sql)
  await claims.reindexIfIncomplete()
  const indexSeconds = Number(process.hrtime.bigint() - indexStarted) / 1e9
  const disputesStarted = process.hrtime.bigint()
  await createDisputesRepository(sql, {
    claims,
    sources: createSourcesRepository(sql),
    actors: createActorsRepository(sql),
  }).refreshAll()
  const disputeSeconds = Number(process.hrtime.bigint() - disputesStarted) / 1e9
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { claims: total, seconds: Number(process.hrtime.bigint() - started) / 1e9, indexSeconds, disputeSeconds }
}

/**
 * The tables of records the generator writes, in an order their references
 * allow. Every other table is derived from them (lanes, tallies, dispute
 * blocks, stored summaries) or left empty by the generator.
 */
const RECORDS = ['actors', 'sources', 'events', 'claims', 'changes'] as const

/** Parameters per INSERT: PostgreSQL takes at most 65,535. */
const PARAMS_PER_STATEMENT = 30_000

/**
 * Copies the records of the SQLite file `from` into the PostgreSQL database
 * at `url` (migrated by openPostgres, and empty), with multi-row INSERTs in
 * one transaction, rows in rowid order: the same rows, the same ids, the same
 * change-log sequence. Identity columns (claims.rowid, changes.seq) are
 * PostgreSQL's to number, in that same order. Then ANALYZE, as after any bulk load.
 */
export async function copyToPostgres(from: string, url: string): Promise<{ rows: number; seconds: number }> {
  const started = process.hrtime.bigint()
  const sqlite = new Database(from, { readonly: true, fileMustExist: true })
  const postgres = await openPostgres(url)
  let rows = 0
  try {
    const client = await postgres.pool.connect()
    try {
      await client.query('BEGIN')
      for (const table of RECORDS) {
        const pgColumns = await client.query<{ column_name: string; is_identity: string }>(
          "SELECT column_name, is_identity FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
          [table],
        )
        const identity = new Set(pgColumns.rows.filter((c) => c.is_identity === 'YES').map((c) => c.column_name))
        const known = new Set(pgColumns.rows.map((c) => c.column_name))
        const columns = (sqlite.pragma(`table_info(${table})`) as Array<{ name: string }>)
          .map((c) => c.name)
          .filter((name) => !identity.has(name))
        const missing = columns.filter((name) => !known.has(name))
        if (missing.length > 0) throw new Error(`${table}: PostgreSQL's schema has no column ${missing.join(', ')}; the schemas differ`)
        const perStatement = Math.max(1, Math.floor(PARAMS_PER_STATEMENT / columns.length))
        const list = columns.map((c) => `"${c}"`).join(', ')
        let chunk: unknown[][] = []
        const flush = async () => {
          const values = chunk.map((_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ')
          await client.query(`INSERT INTO ${table} (${list}) VALUES ${values}`, chunk.flat())
          rows += chunk.length
          chunk = []
        }
        for (const row of sqlite.prepare(`SELECT ${list} FROM ${table} ORDER BY rowid`).raw().iterate()) {
          chunk.push(row as unknown[])
          if (chunk.length === perStatement) await flush()
        }
        if (chunk.length > 0) await flush()
      }
      await client.query('COMMIT')
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
    await postgres.pool.query('ANALYZE')
  } finally {
    sqlite.close()
    await postgres.close()
  }
  return { rows, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

/** What a read benchmark depends on being computed before it starts, on either store. */
export interface StoredState {
  events: number
  claims: number
  /** Events with a dispute block (GET /events). */
  blocks: number
  /** Events whose stored summary does not show now (none stored, another directory, or a claim come due since): computed per request. */
  stale: number
  /** Events queued for a refresh. */
  queued: number
}

/**
 * Brings a database's derived rows up to date, through Reckon's own code,
 * as the server would in its first seconds (its start-up and background
 * refresher) — so that neither store's server spends the measured time
 * catching up, and every summary read is the stored one: the claims' lanes
 * and tallies if incomplete, a dispute block for every event lacking one,
 * the queue, then every stored summary that does not show now. A database
 * generated just now (generate) or copied just now (copyToPostgres and
 * nothing else yet) differs only in what is missing. Returns the state after.
 */
export async function prepareStored(sql: Sql): Promise<StoredState> {
  const repos = createRepositories(sql)
  await repos.claims.reindexIfIncomplete()
  await repos.disputes.backfill()
  await repos.disputes.refreshQueued()
  for (let after: string | null = ''; after !== null;) after = await repos.disputes.refreshStale(after, 1000)
  const state = await sql.get<StoredState>(
    `SELECT (SELECT COUNT(*) FROM events) AS events, (SELECT COUNT(*) FROM claims) AS claims,
       (SELECT COUNT(*) FROM event_disputes) AS blocks, (SELECT COUNT(*) FROM dispute_queue) AS queued,
       (SELECT COUNT(*) FROM events AS e LEFT JOIN stored_summaries AS s ON s.event_id = e.id
         WHERE s.event_id IS NULL OR s.directory <> ? OR s.until <= ?) AS stale`,
    [await repos.disputes.directoryStamp(), new Date().toISOString()],
  )
  if (state === undefined) throw new Error('no answer to the count of stored rows')
  return state
}

/** prepareStored on the SQLite file. */
export async function prepareSqlite(path: string): Promise<StoredState> {
  const sql = new SqliteSql(openDatabase(path))
  try {
    return await prepareStored(sql)
  } finally {
    await sql.close()
  }
}

/** prepareStored on the PostgreSQL database at `url`, then ANALYZE (the derived tables were just written). */
export async function preparePostgres(url: string): Promise<StoredState> {
  const postgres = await openPostgres(url)
  const sql = new PostgresSql(postgres.pool)
  try {
    const state = await prepareStored(sql)
    await postgres.pool.query('ANALYZE')
    return state
  } finally {
    await sql.close()
  }
}

/** The claims of a database, in brief: two databases holding the same claims answer the same. */
export async function claimsFingerprint(sql: Sql): Promise<string> {
  const row = await sql.get<{ n: number; first: string | null; last: string | null }>(
    'SELECT COUNT(*) AS n, MIN(id) AS first, MAX(id) AS last FROM claims',
  )
  return `${row?.n ?? 0}|${row?.first ?? ''}|${row?.last ?? ''}`
}

/**
 * A PostgreSQL database holding the records of the SQLite file `from`, with
 * its URL and how to be rid of it. BENCH_PG_DB names one to keep between runs
 * (as BENCH_DB keeps the file): reused while it holds the file's claims,
 * otherwise filled afresh; without it, a database of the run's own, which
 * `drop` drops.
 */
export async function postgresCopyOf(from: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const kept = process.env.BENCH_PG_DB
  const name = kept ?? benchDatabaseName()
  const drop = kept === undefined ? () => dropDatabase(name) : async () => undefined
  if (kept !== undefined && (await databaseExists(kept))) {
    const sqlite = new SqliteSql(openDatabase(from))
    const want = await claimsFingerprint(sqlite).finally(() => sqlite.close())
    const postgres = await openPostgres(databaseUrl(kept))
    const got = await claimsFingerprint(new PostgresSql(postgres.pool)).finally(() => postgres.close())
    if (got === want) {
      console.log(`postgres: reusing ${kept} (BENCH_PG_DB), which holds the claims of ${from}`)
      return { name, url: databaseUrl(kept), drop }
    }
    console.log(`postgres: ${kept} (BENCH_PG_DB) does not hold the claims of ${from}: filling it afresh`)
    await dropDatabase(kept)
  }
  const url = await createDatabase(name)
  try {
    const { rows, seconds } = await copyToPostgres(from, url)
    console.log(`postgres: copied ${rows} rows of ${from} into ${name} in ${seconds.toFixed(1)} s`)
  } catch (err) {
    await drop()
    throw err
  }
  return { name, url, drop }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.env.EVENTS ?? 100_000)
  const perEvent = Number(process.env.CLAIMS_PER_EVENT ?? 10)
  const { claims, seconds, indexSeconds, disputeSeconds } = await generate(BENCH_DB, events, perEvent)
  console.log(
    `${BENCH_DB}: ${events} events, ${claims} claims in ${seconds.toFixed(1)} s (of which the claims' lanes and tallies ${indexSeconds.toFixed(1)} s, dispute blocks ${disputeSeconds.toFixed(1)} s)`,
  )
}
