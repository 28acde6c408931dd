/**
 * Crash test (issue #5): 20 rounds of starting the real server on a file
 * database, streaming bulk batches at it from several clients, kill -9 while
 * requests are in flight, and restarting it. After each restart:
 *
 * - every acknowledged batch (a 201 received) is present in full;
 * - every unacknowledged batch (the connection died first) is there in full
 *   or not at all: a bulk request is one transaction;
 * - no batch is there twice, and no claim is there that nobody sent;
 * - each claim has its `claim.created` change and nothing else does;
 * - the API (GET /claims export, GET /events/{id}/summary) reads exactly
 *   what SQLite holds;
 * - PRAGMA integrity_check is "ok" and PRAGMA foreign_key_check finds nothing,
 *   read through a separate better-sqlite3 connection;
 * - the batches of every earlier round are still exactly as found.
 *
 * The kill comes at a random moment (seeded: DURABILITY_SEED replays the
 * sizes and delays, though not the scheduling) after the round's first
 * acknowledgement, while the clients keep requests in flight.
 */
import Database from 'better-sqlite3'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { testSeed } from '../seed.js'
import { type ServerProcess, bundleServer, ndjson, random, sleep, startServer, tempDir } from './server-process.js'

const ROUNDS = 20
const CLIENTS = 4
/** Batch sizes are log-uniform from 1 to MAX_ROWS: small ones, and some whose transaction takes a while. */
const MAX_ROWS = 1000
/** The kill comes up to this long after a round's first acknowledgement. */
const MAX_KILL_DELAY_MS = 300
const KEY = 'crash'
const WRITE = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }
const SOURCE = 'crash-desk'

type Outcome = 'in_flight' | 'acknowledged' | 'refused' | 'cut'

interface Batch {
  id: string
  rows: number
  outcome: Outcome
  status?: number
}

interface Figures {
  rounds: number
  roundsSurvived: number
  batchesSent: number
  acknowledged: number
  acknowledgedRows: number
  acknowledgedFound: number
  acknowledgedRowsFound: number
  unacknowledged: number
  unacknowledgedWhole: number
  unacknowledgedAbsent: number
  unacknowledgedPartial: number
  inFlightAtKill: number[]
  walAtKill: number[]
  claimsInDatabase: number
}

function rowsOf(batch: Batch, eventId: string) {
  return Array.from({ length: batch.rows }, (_, i) => ({
    event_id: eventId,
    kind: 'figure',
    source_id: SOURCE,
    stated_at: '2024-01-01',
    metric: 'killed',
    qualifier: 'exact',
    value: i,
    quote: batch.id,
    external_id: `${batch.id}/${i}`,
  }))
}

async function postJson(base: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: WRITE, body: JSON.stringify(body) })
}

interface ClaimRow {
  id: string
  event_id: string
  quote: string | null
  external_id: string | null
  value: number | null
}

const kib = (bytes: number) => Math.round(bytes / 1024)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

t.setTimeout(180_000)

t.test(`kill -9 mid-stream, ${ROUNDS} rounds: acknowledged batches survive whole, the rest whole or absent`, async (t) => {
  const started = Date.now()
  const dir = tempDir(t, 'reckon-crash-')
  const entry = await bundleServer(dir)
  const dbPath = join(dir, 'reckon.db')
  const rand = random(testSeed())

  let server: ServerProcess | undefined
  t.teardown(() => server?.kill('SIGKILL'))
  const startups: number[] = []
  const start = async () => {
    const at = Date.now()
    server = await startServer({ entry, dbPath, apiKeys: `${KEY}:read+write` })
    startups.push(Date.now() - at)
    return server
  }

  let current = await start()
  const source = await postJson(current.base, '/sources', { id: SOURCE, name: 'Crash desk', kind: 'other' })
  t.equal(source.status, 201, 'the source is recorded')

  const figures: Figures = {
    rounds: 0,
    roundsSurvived: 0,
    batchesSent: 0,
    acknowledged: 0,
    acknowledgedRows: 0,
    acknowledgedFound: 0,
    acknowledgedRowsFound: 0,
    unacknowledged: 0,
    unacknowledgedWhole: 0,
    unacknowledgedAbsent: 0,
    unacknowledgedPartial: 0,
    inFlightAtKill: [],
    walAtKill: [],
    claimsInDatabase: 0,
  }
  /** Claims found per event after each round: later rounds must find them unchanged. */
  const foundPerEvent = new Map<string, number>()

  for (let round = 0; round < ROUNDS; round++) {
    const eventId = `crash-round-${round}`
    const event = await postJson(current.base, '/events', { id: eventId, title: `Crash round ${round}`, occurred_on: '2024-01-01' })
    t.equal(event.status, 201, `round ${round}: the event is recorded`)

    // ---- stream batches until the kill ----
    const batches: Batch[] = []
    let stopping = false
    let firstAck: () => void = () => undefined
    const acknowledged = new Promise<void>((resolve) => (firstAck = resolve))
    const base = current.base
    const clients = Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; !stopping; n++) {
        const batch: Batch = { id: `r${round}-c${client}-b${n}`, rows: Math.floor(MAX_ROWS ** rand()), outcome: 'in_flight' }
        batches.push(batch)
        try {
          const res = await postJson(base, '/claims/bulk', rowsOf(batch, eventId))
          // The server answers only after the transaction has committed: the status alone acknowledges.
          batch.outcome = res.status === 201 ? 'acknowledged' : 'refused'
          batch.status = res.status
          if (res.status === 201) firstAck()
          await res.arrayBuffer().catch(() => undefined)
        } catch {
          if (batch.outcome === 'in_flight') batch.outcome = 'cut'
        }
        if (batch.outcome === 'refused') return
      }
    })
    const died = current.exited.then(() => {
      if (!stopping) throw new Error(`round ${round}: the server exited on its own:\n${current.tail()}`)
    })
    died.catch(() => undefined)
    // (Or every client stopped at a refusal: then the assertion below says which.)
    await Promise.race([acknowledged, died, Promise.all(clients)])
    await sleep(rand() * MAX_KILL_DELAY_MS)
    stopping = true
    figures.inFlightAtKill.push(batches.filter((b) => b.outcome === 'in_flight').length)
    current.kill('SIGKILL')
    const exit = await current.exited
    await Promise.all(clients)
    t.equal(exit.signal, 'SIGKILL', `round ${round}: killed by SIGKILL`)
    // What recovery will have to read: the write-ahead log the dead server left.
    figures.walAtKill.push(existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size : 0)
    t.strictSame(
      batches.filter((b) => b.outcome === 'refused').map((b) => `${b.id}: ${b.status}`),
      [],
      `round ${round}: no batch was refused before the kill`,
    )

    // ---- restart and look ----
    current = await start()
    const problems: string[] = []

    const db = new Database(dbPath, { readonly: true, fileMustExist: true })
    let sqlRows: ClaimRow[]
    let changeIds: string[]
    try {
      t.equal(db.pragma('integrity_check', { simple: true }), 'ok', `round ${round}: PRAGMA integrity_check is ok`)
      t.strictSame(db.pragma('foreign_key_check'), [], `round ${round}: PRAGMA foreign_key_check finds nothing`)
      sqlRows = db.prepare('SELECT id, event_id, quote, external_id, value FROM claims WHERE event_id = ?').all(eventId) as ClaimRow[]
      changeIds = (
        db.prepare("SELECT id FROM changes WHERE type = 'claim.created' AND event_id = ?").all(eventId) as Array<{ id: string }>
      ).map((r) => r.id)
      const perEvent = db.prepare('SELECT event_id AS e, count(*) AS n FROM claims GROUP BY event_id').all() as Array<{
        e: string
        n: number
      }>
      figures.claimsInDatabase = perEvent.reduce((sum, r) => sum + r.n, 0)
      const now = new Map(perEvent.map((r) => [r.e, r.n]))
      for (const [earlier, n] of foundPerEvent) {
        if (now.get(earlier) !== n) problems.push(`${earlier} held ${n} claims after its round, now ${now.get(earlier) ?? 0}`)
      }
    } finally {
      db.close()
    }

    // Each claim has its change, and each change its claim (the same transaction writes both).
    const claimIds = new Set(sqlRows.map((r) => r.id))
    const changes = new Set(changeIds)
    if (claimIds.size !== changes.size || [...claimIds].some((id) => !changes.has(id))) {
      problems.push(`claims and claim.created changes differ: ${claimIds.size} claims, ${changes.size} changes`)
    }

    // Per batch: which rows are there.
    const found = new Map<string, Set<number>>()
    for (const row of sqlRows) {
      const batchId = row.quote ?? '(no quote)'
      const rows = found.get(batchId) ?? new Set<number>()
      if (row.external_id !== `${batchId}/${row.value}`)
        problems.push(`claim ${row.id}: external_id ${row.external_id} with value ${row.value}`)
      if (row.value !== null && rows.has(row.value)) problems.push(`${batchId} row ${row.value} is there twice`)
      if (row.value !== null) rows.add(row.value)
      found.set(batchId, rows)
    }
    const sent = new Set(batches.map((b) => b.id))
    for (const batchId of found.keys()) if (!sent.has(batchId)) problems.push(`${batchId} is there but was never sent`)
    for (const batch of batches) {
      const rows = found.get(batch.id)?.size ?? 0
      const whole = rows === batch.rows && [...(found.get(batch.id) ?? [])].every((v) => v < batch.rows)
      figures.batchesSent++
      if (batch.outcome === 'acknowledged') {
        figures.acknowledged++
        figures.acknowledgedRows += batch.rows
        if (whole) {
          figures.acknowledgedFound++
          figures.acknowledgedRowsFound += rows
        } else problems.push(`LOST: ${batch.id} was acknowledged with ${batch.rows} rows; ${rows} are there`)
      } else {
        figures.unacknowledged++
        if (whole) figures.unacknowledgedWhole++
        else if (rows === 0) figures.unacknowledgedAbsent++
        else {
          figures.unacknowledgedPartial++
          problems.push(`PARTIAL: ${batch.id} (${batch.outcome}) has ${rows} of ${batch.rows} rows`)
        }
      }
    }

    // The API reads what SQLite holds.
    const exported = await fetch(`${current.base}/claims?event_id=${eventId}&format=ndjson`)
    t.equal(exported.status, 200, `round ${round}: GET /claims export`)
    const apiRows = ndjson<ClaimRow>(await exported.text())
    const key = (r: ClaimRow) => `${r.id} ${r.quote} ${r.external_id} ${r.value}`
    t.strictSame(
      apiRows.map(key).sort(),
      sqlRows.map(key).sort(),
      `round ${round}: the export lists exactly the claims SQLite holds (${sqlRows.length})`,
    )
    const summary = await fetch(`${current.base}/events/${eventId}/summary`)
    t.equal(summary.status, 200, `round ${round}: GET summary`)
    const { claims_total } = (await summary.json()) as { claims_total: number }
    t.equal(claims_total, sqlRows.length, `round ${round}: the summary counts them all`)

    t.strictSame(
      problems,
      [],
      `round ${round}: ${batches.filter((b) => b.outcome === 'acknowledged').length} acknowledged of ${batches.length} batches, every one whole; no partial batch`,
    )
    foundPerEvent.set(eventId, sqlRows.length)
    figures.rounds++
    if (problems.length === 0) figures.roundsSurvived++
  }

  current.kill('SIGTERM')
  t.equal((await current.exited).code, 0, 'the last server stops cleanly on SIGTERM')

  const inFlight = figures.inFlightAtKill
  t.comment(
    [
      `rounds survived: ${figures.roundsSurvived} of ${figures.rounds}`,
      `batches sent: ${figures.batchesSent}; acknowledged ${figures.acknowledged} (${figures.acknowledgedRows} claims), found whole ${figures.acknowledgedFound} (${figures.acknowledgedRowsFound} claims)`,
      `unacknowledged: ${figures.unacknowledged}; found whole ${figures.unacknowledgedWhole}, absent ${figures.unacknowledgedAbsent}, partial ${figures.unacknowledgedPartial}`,
      `requests in flight at each kill: ${Math.min(...inFlight)}–${Math.max(...inFlight)} (total ${inFlight.reduce((a, b) => a + b, 0)})`,
      `write-ahead log left at each kill: ${kib(Math.min(...figures.walAtKill))}–${kib(Math.max(...figures.walAtKill))} KiB`,
      `claims in the database at the end: ${figures.claimsInDatabase}`,
      `server starts: ${startups.length}, ${Math.min(...startups)}–${Math.max(...startups)} ms to listening (median ${median(startups)} ms)`,
      `took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ].join('\n'),
  )
  t.equal(figures.roundsSurvived, ROUNDS, 'every round survived')
  t.equal(figures.acknowledgedFound, figures.acknowledged, 'every acknowledged batch is there')
  t.equal(figures.unacknowledgedPartial, 0, 'no unacknowledged batch is there in part')
  t.ok(
    inFlight.every((n) => n > 0),
    'every kill came with requests in flight',
  )
})
