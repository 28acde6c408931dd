/**
 * npm run bench:ingest — claims per second through POST /claims/bulk over
 * real HTTP (JSON, NDJSON, CSV; FORMATS to choose), against the raw insert of
 * the same rows through the same driver, in the same run:
 *   - SQLite: better-sqlite3, one transaction, a prepared statement;
 *   - PostgreSQL (BENCH_STORE=postgres or both, databases created through
 *     BENCH_DATABASE_URL and dropped after): pg, one transaction, multi-row
 *     INSERTs of RAW_ROWS rows (default 1,000) into the same claims table.
 * Each figure is taken on an empty database of its own, the stores' in turn
 * for each way (raw, then each format), so that both meet nearby moments of
 * the machine. Each is printed as a share of its store's raw insert and, with
 * both stores, PostgreSQL's as a share of SQLite's.
 *
 * The claims are the Ukraine 2022 data (795 claims) repeated over as many
 * events as it takes to reach CLAIMS (default 100,000).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uuidv7 } from 'uuidv7'
import { openDatabase } from '../src/db/client.js'
import { openPostgres } from '../src/db/pg/client.js'
import { UKRAINE_EVENT_ID, ukraineClaimsCsv, ukraineDataset } from '../src/demo/ukraine.js'
import { type Store, benchDatabaseName, benchStores, createDatabase, dropDatabase } from './postgres.js'
import { waitForHealth } from './process.js'

/** A benchmark measures throughput: no rate limit, and no shedding while a large batch holds the event loop. */
const UNLIMITED = { RECKON_RATE_LIMIT: '0', RECKON_MAX_EVENT_LOOP_DELAY_MS: '0' }

const CLAIMS = Number(process.env.CLAIMS ?? 100_000)
const BATCH = Number(process.env.BATCH ?? 10_000)
const PORT = Number(process.env.BENCH_PORT ?? 3999)
const RAW_ROWS = Number(process.env.RAW_ROWS ?? 1000)
const FORMATS = (process.env.FORMATS ?? 'json,ndjson,csv').split(',')

type Claim = Record<string, string | number | undefined>

const data = ukraineDataset()
const copies = Math.ceil(CLAIMS / data.claims.length)
const events = Array.from({ length: copies }, (_, k) => ({
  ...data.event,
  id: `${UKRAINE_EVENT_ID}-${k}`,
  title: `Ukraine losses (copy ${k})`,
  occurred_on: '2022-02-24',
}))
const claims: Claim[] = []
for (let k = 0; k < copies && claims.length < CLAIMS; k++) {
  for (const c of data.claims as Claim[]) {
    if (claims.length === CLAIMS) break
    claims.push({ ...c, event_id: `${UKRAINE_EVENT_ID}-${k}`, external_id: `${c.external_id}-${k}` })
  }
}
const batches: Claim[][] = []
for (let i = 0; i < claims.length; i += BATCH) batches.push(claims.slice(i, i + BATCH))

const encode: Record<string, { type: string; body: (rows: Claim[]) => string }> = {
  json: { type: 'application/json', body: (rows) => JSON.stringify(rows) },
  ndjson: { type: 'application/x-ndjson', body: (rows) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n` },
  csv: { type: 'text/csv', body: (rows) => ukraineClaimsCsv(rows) },
}

async function post(url: string, type: string, body: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body })
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${(await res.text()).slice(0, 300)}`)
}

/** An empty database of the store's for one measurement: its server's environment, and how to be rid of it. */
async function emptyDatabase(store: Store, dir: string, what: string): Promise<{ env: NodeJS.ProcessEnv; drop(): Promise<void> }> {
  const env: NodeJS.ProcessEnv = { RECKON_DB: join(dir, `${what}.db`) }
  if (store === 'sqlite') return { env, drop: async () => undefined }
  const name = benchDatabaseName()
  env.RECKON_DATABASE_URL = await createDatabase(name)
  return { env, drop: () => dropDatabase(name) }
}

async function throughHttp(store: Store, format: string, dir: string): Promise<number> {
  const enc = encode[format]
  if (!enc) throw new Error(`FORMATS: unknown format ${format} (json, ndjson, csv)`)
  const database = await emptyDatabase(store, dir, format)
  // The server's environment names one store: a RECKON_DATABASE_URL of the caller's never reaches the SQLite run.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(PORT), LOG_LEVEL: 'warn', RECKON_API_KEYS: '', ...UNLIMITED }
  delete env.RECKON_DATABASE_URL
  const server: ChildProcess = spawn(process.execPath, ['dist/server.js'], { env: { ...env, ...database.env }, stdio: 'inherit' })
  const base = `http://127.0.0.1:${PORT}`
  try {
    await waitForHealth(`${base}/health`)
    await post(`${base}/actors/bulk`, 'application/json', JSON.stringify(data.actors))
    await post(`${base}/sources/bulk`, 'application/json', JSON.stringify(data.sources))
    await post(`${base}/events/bulk`, 'application/json', JSON.stringify(events))
    const bodies = batches.map((b) => enc.body(b)) // encoding is the client's work, not timed
    const start = process.hrtime.bigint()
    for (const body of bodies) await post(`${base}/claims/bulk`, enc.type, body)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    return claims.length / seconds
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM')
      await new Promise((r) => server.once('exit', r))
    }
    await database.drop()
  }
}

/** A claims row of the raw inserts, as both stores' take it: ids and fingerprints are made before the clock starts. */
function rawRows(now: string): unknown[][] {
  return claims.map((c) => [
    uuidv7(),
    c.event_id,
    c.source_id,
    `${c.stated_at}T00:00:00.000Z`,
    now,
    c.external_id,
    createHash('sha256').update(String(c.external_id)).digest('hex'),
    c.metric,
    c.population,
    c.party,
    c.qualifier,
    c.value ?? null,
    c.low ?? null,
    c.high ?? null,
  ])
}

const CLAIM_COLUMNS = `id, event_id, kind, source_id, via, stated_at, recorded_at, external_id, fingerprint,
       metric, population, party, qualifier, value, low, high`

/** The floor of what SQLite can do: the same rows, one transaction, prepared statements, no checks. */
function rawSqlite(dir: string): number {
  const db = openDatabase(join(dir, 'raw.db'))
  const sqlite = db.$client
  const now = new Date().toISOString()
  const insertEvent = sqlite.prepare(
    "INSERT INTO events (id, title, occurred_on, tags, external_ids, created_at, updated_at) VALUES (?, ?, ?, '[]', '{}', ?, ?)",
  )
  const insertActor = sqlite.prepare(
    "INSERT INTO actors (id, name, aliases, kind, parent_id, created_at, updated_at) VALUES (?, ?, '[]', ?, ?, ?, ?)",
  )
  const insertSource = sqlite.prepare("INSERT INTO sources (id, name, aliases, kind, created_at, updated_at) VALUES (?, ?, '[]', ?, ?, ?)")
  for (const a of data.actors as Array<{ id: string; name: string; kind: string; parent_id?: string }>)
    insertActor.run(a.id, a.name, a.kind, a.parent_id ?? null, now, now)
  for (const s of data.sources as Array<{ id: string; name: string; kind: string }>) insertSource.run(s.id, s.name, s.kind, now, now)
  for (const e of events) insertEvent.run(e.id, e.title, e.occurred_on, now, now)
  const insertClaim = sqlite.prepare(
    `INSERT INTO claims (${CLAIM_COLUMNS})
     VALUES (?, ?, 'figure', ?, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  // This is SQLite's floor, nothing else.
  const rows = rawRows(now)
  const start = process.hrtime.bigint()
  sqlite.transaction(() => {
    for (const row of rows) insertClaim.run(...row)
  })()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  sqlite.close()
  return claims.length / seconds
}

/**
 * The floor of what PostgreSQL does through pg: the same rows into the same
 * (migrated, empty) claims table, one transaction on one connection,
 * multi-row INSERTs of RAW_ROWS rows, no checks. The statements' texts are
 * built before the clock starts.
 */
async function rawPostgres(): Promise<number> {
  const name = benchDatabaseName()
  const postgres = await openPostgres(await createDatabase(name))
  try {
    const client = await postgres.pool.connect()
    try {
      const now = new Date().toISOString()
      const many = async (table: string, columns: string, rows: unknown[][]) => {
        const width = rows[0]?.length ?? 0
        const values = rows.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ')
        if (rows.length > 0) await client.query(`INSERT INTO ${table} (${columns}) VALUES ${values}`, rows.flat())
      }
      // Actors in the dataset's order: a parent comes before its children.
      for (const a of data.actors as Array<{ id: string; name: string; kind: string; parent_id?: string }>)
        await many('actors', 'id, name, aliases, kind, parent_id, created_at, updated_at', [
          [a.id, a.name, '[]', a.kind, a.parent_id ?? null, now, now],
        ])
      await many(
        'sources',
        'id, name, aliases, kind, created_at, updated_at',
        (data.sources as Array<{ id: string; name: string; kind: string }>).map((s) => [s.id, s.name, '[]', s.kind, now, now]),
      )
      await many(
        'events',
        'id, title, occurred_on, tags, external_ids, created_at, updated_at',
        events.map((e) => [e.id, e.title, e.occurred_on, '[]', '{}', now, now]),
      )
      const rows = rawRows(now)
      const statements: Array<{ text: string; values: unknown[] }> = []
      for (let from = 0; from < rows.length; from += RAW_ROWS) {
        const chunk = rows.slice(from, from + RAW_ROWS)
        const values = chunk
          .map((_, r) => {
            const p = (c: number) => `$${r * 14 + c}`
            return `(${p(1)}, ${p(2)}, 'figure', ${p(3)}, '[]', ${[4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map(p).join(', ')})`
          })
          .join(', ')
        statements.push({ text: `INSERT INTO claims (${CLAIM_COLUMNS}) VALUES ${values}`, values: chunk.flat() })
      }
      const start = process.hrtime.bigint()
      await client.query('BEGIN')
      for (const statement of statements) await client.query(statement)
      await client.query('COMMIT')
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      return claims.length / seconds
    } finally {
      client.release()
    }
  } finally {
    await postgres.close()
    await dropDatabase(name)
  }
}

interface Row {
  store: Store
  how: string
  /** 'raw', or the format. */
  way: string
  rate: number
}

const stores = benchStores()
const dir = mkdtempSync(join(tmpdir(), 'reckon-bench-'))
try {
  console.log(
    `${claims.length} claims over ${copies} events, batches of ${BATCH}; ${stores.join(' and ')}; node ${process.version}` +
      (stores.includes('postgres') ? `; PostgreSQL's raw insert ${RAW_ROWS} rows a statement` : ''),
  )
  const results: Row[] = []
  const report = (row: Row) => {
    results.push(row)
    const raw = results.find((r) => r.store === row.store && r.way === 'raw')?.rate ?? NaN
    console.log(
      `${row.store.padEnd(8)}  ${row.how.padEnd(30)} ${row.rate.toFixed(0).padStart(8)} claims/s   share of raw ${(row.rate / raw).toFixed(2)}`,
    )
  }
  for (const store of stores) {
    if (store === 'sqlite') report({ store, how: 'raw better-sqlite3 insert', way: 'raw', rate: rawSqlite(dir) })
    else report({ store, how: `raw pg multi-row INSERT`, way: 'raw', rate: await rawPostgres() })
  }
  for (const format of FORMATS) {
    for (const store of stores)
      report({ store, how: `POST /claims/bulk ${format}`, way: format, rate: await throughHttp(store, format, dir) })
  }
  console.log('')
  const rate = (store: Store, way: string) => results.find((r) => r.store === store && r.way === way)?.rate
  const both = stores.length === 2
  console.log(
    `${'how'.padEnd(30)} ${stores.map((s) => `${s} claims/s (share of raw)`.padStart(34)).join(' ')}${both ? '   postgres / sqlite' : ''}`,
  )
  for (const way of ['raw', ...FORMATS]) {
    const cells = stores.map((s) => {
      const r = rate(s, way) as number
      return `${r.toFixed(0)} (${(r / (rate(s, 'raw') as number)).toFixed(2)})`.padStart(34)
    })
    const ratio = both ? `   ${((rate('postgres', way) as number) / (rate('sqlite', way) as number)).toFixed(2)}` : ''
    console.log(`${(way === 'raw' ? 'raw insert through the driver' : `POST /claims/bulk ${way}`).padEnd(30)} ${cells.join(' ')}${ratio}`)
  }
  const pgNdjson = rate('postgres', 'ndjson')
  if (pgNdjson !== undefined)
    console.log(`\npostgres NDJSON / raw pg INSERT: ${(pgNdjson / (rate('postgres', 'raw') as number)).toFixed(3)} (target ≥ 0.25)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
