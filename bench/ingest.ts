/**
 * npm run bench:ingest — claims per second through POST /claims/bulk over
 * real HTTP (JSON, NDJSON, CSV), against the raw better-sqlite3 insert of the
 * same rows in one transaction with prepared statements, in the same run.
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
import { UKRAINE_EVENT_ID, ukraineClaimsCsv, ukraineDataset } from '../src/demo/ukraine.js'
import { waitForHealth } from './process.js'

/** A benchmark measures throughput: no rate limit, and no shedding while a large batch holds the event loop. */
const UNLIMITED = { RECKON_RATE_LIMIT: '0', RECKON_MAX_EVENT_LOOP_DELAY_MS: '0' }

const CLAIMS = Number(process.env.CLAIMS ?? 100_000)
const BATCH = Number(process.env.BATCH ?? 10_000)
const PORT = Number(process.env.BENCH_PORT ?? 3999)

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

async function throughHttp(format: string, dir: string): Promise<number> {
  const enc = encode[format]
  if (!enc) throw new Error(format)
  const server: ChildProcess = spawn(process.execPath, ['dist/server.js'], {
    env: { ...process.env, PORT: String(PORT), RECKON_DB: join(dir, `${format}.db`), LOG_LEVEL: 'warn', RECKON_API_KEYS: '', ...UNLIMITED },
    stdio: 'inherit',
  })
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
    server.kill('SIGTERM')
    await new Promise((r) => server.once('exit', r))
  }
}

/** The floor of what SQLite can do: the same rows, one transaction, prepared statements, no checks. */
function raw(dir: string): number {
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
    `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, external_id, fingerprint,
       metric, population, party, qualifier, value, low, high)
     VALUES (?, ?, 'figure', ?, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  // Ids and fingerprints are made before the clock starts: this is SQLite's floor, nothing else.
  const rows = claims.map((c) => [
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
  const start = process.hrtime.bigint()
  sqlite.transaction(() => {
    for (const row of rows) insertClaim.run(...row)
  })()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  sqlite.close()
  return claims.length / seconds
}

const dir = mkdtempSync(join(tmpdir(), 'reckon-bench-'))
try {
  console.log(`${claims.length} claims over ${copies} events, batches of ${BATCH}; node ${process.version}`)
  const rawRate = raw(dir)
  console.log(`raw better-sqlite3 insert     ${rawRate.toFixed(0).padStart(8)} claims/s   ratio 1.00`)
  for (const format of ['json', 'ndjson', 'csv']) {
    const rate = await throughHttp(format, dir)
    console.log(`POST /claims/bulk ${format.padEnd(7)}     ${rate.toFixed(0).padStart(8)} claims/s   ratio ${(rate / rawRate).toFixed(2)}`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
