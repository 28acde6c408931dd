/**
 * Several replicas on one PostgreSQL database (#15), as real processes:
 *
 * 1. three replicas, writers spreading bulk batches over all of them, one
 *    replica killed with SIGKILL while it writes a batch: no acknowledged
 *    write lost, no batch partial, every survivor serves the same summaries,
 *    and a follower of GET /changes (round-robin over the replicas) saw
 *    every write exactly once, in order;
 * 2. the same external_id, and the same Idempotency-Key, sent to two
 *    replicas at once: one write, the other answer the replay or the 409 the
 *    contract names;
 * 3. a write acknowledged by one replica is seen by the others' reads within
 *    one second (summaries, ETags, sources, a new source, a revoked key);
 * 4. writes committing out of sequence order on two replicas: a follower
 *    paging /changes on a third never misses one.
 *
 * Random choices are seeded (RECKON_TEST_SEED replays them, though not the
 * scheduling); the seed is printed on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { BulkResult, Change } from '../helper.js'
import { testSeed } from '../seed.js'
import { bundleServer, random, sleep } from '../durability/server-process.js'
import { type Answer, type Cluster, type Replica, call, expect, firstOf, parse, poll, startCluster, withoutAsOf } from './replicas.js'

// About a minute on an idle 2-core machine; the limit leaves room for a busy one.
t.setTimeout(240_000)

const SEED = testSeed()
/** How long a write acknowledged by one replica may take to show on the others (#15). */
const FRESH_MS = 1000

let entry: string

t.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reckon-replicas-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  entry = await bundleServer(dir)
})

const EVENT_DATE = '2024-01-01'

async function setUp(cluster: Cluster, events: string[], sources: string[]): Promise<void> {
  const [first] = cluster.replicas
  if (!first) throw new Error('no replica')
  for (const id of sources) await expect(first, 201, 'POST', '/sources', { id, name: `Desk ${id}`, kind: 'monitor' })
  for (const id of events) await expect(first, 201, 'POST', '/events', { id, title: `Event ${id}`, occurred_on: EVENT_DATE })
}

function figure(eventId: string, sourceId: string, value: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: eventId,
    kind: 'figure',
    source_id: sourceId,
    stated_at: EVENT_DATE,
    metric: 'killed',
    qualifier: 'exact',
    value,
    ...extra,
  }
}

/** Everything GET /changes lists, read page by page from one replica. */
async function wholeFeed(replica: Replica): Promise<Change[]> {
  const items: Change[] = []
  let after = ''
  for (;;) {
    const page = parse<{ items: Change[]; next_cursor: string | null; has_more: boolean }>(
      await expect(replica, 200, 'GET', `/changes?limit=1000${after}`),
    )
    items.push(...page.items)
    if (!page.has_more) return items
    after = `&after=${page.next_cursor ?? ''}`
  }
}

/** The claims_total of a summary body. */
const claimsTotal = (text: string) => (JSON.parse(text) as { claims_total: number }).claims_total

const feedKey = (c: Pick<Change, 'seq' | 'type' | 'id'>) => `${c.seq} ${c.type} ${c.id}`

/**
 * A follower of GET /changes: pages with `next_cursor`, each page from the
 * next live replica in turn, until told to stop and then until it has read
 * everything. It remembers every item in the order it saw them.
 */
class Follower {
  readonly seen: Change[] = []
  pages = 0
  failedPages = 0
  private cursor = ''
  private stopping = false
  private turn = 0
  readonly done: Promise<void>

  constructor(
    private readonly replicas: readonly Replica[],
    private readonly limit: () => number,
  ) {
    this.done = this.run()
  }

  private next(): Replica {
    const live = this.replicas.filter((r) => r.alive)
    const replica = live[this.turn++ % live.length]
    if (!replica) throw new Error('no live replica')
    return replica
  }

  /** One page; false when it was empty (or could not be read). */
  private async page(): Promise<boolean> {
    const replica = this.next()
    let answer: Answer
    try {
      answer = await call(replica, 'GET', `/changes?limit=${this.limit()}${this.cursor === '' ? '' : `&after=${this.cursor}`}`)
    } catch {
      this.failedPages++
      return true
    }
    if (answer.status !== 200) throw new Error(`follower: ${replica.name} answered GET /changes with ${answer.status}: ${answer.text}`)
    const page = parse<{ items: Change[]; next_cursor: string | null; has_more: boolean }>(answer)
    this.pages++
    this.seen.push(...page.items)
    if (page.next_cursor !== null) this.cursor = page.next_cursor
    return page.items.length > 0
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      if (!(await this.page())) await sleep(5)
    }
    // Every write has been answered: read on until a page comes back empty.
    while (await this.page());
  }

  async stop(): Promise<void> {
    this.stopping = true
    await this.done
  }

  /** Seqs seen at or below one seen before them (a duplicate, or one that came late): `seq after previous`. */
  outOfOrder(): string[] {
    const problems: string[] = []
    let highest = 0
    for (const item of this.seen) {
      if (item.seq <= highest) problems.push(`${item.seq} (${item.type} ${item.id}) after ${highest}`)
      highest = Math.max(highest, item.seq)
    }
    return problems
  }
}

/** What differs between the follower's items and the feed: missed ones, and ones the feed does not have. */
function feedDifference(seen: readonly Change[], feed: readonly Change[]): { missed: string[]; extra: string[] } {
  const seenKeys = new Set(seen.map(feedKey))
  const feedKeys = new Set(feed.map(feedKey))
  return { missed: [...feedKeys].filter((k) => !seenKeys.has(k)), extra: [...seenKeys].filter((k) => !feedKeys.has(k)) }
}

interface ErrorLines {
  replica: string
  lines: string[]
}

/** Error lines the replicas logged (level ≥ 50, or stderr): a 500 shows here with its cause. */
function loggedErrors(cluster: Cluster): ErrorLines[] {
  return cluster.replicas
    .filter((r) => r.process.errors.length > 0)
    .map((r) => ({ replica: r.name, lines: [...new Set(r.process.errors.map(errorLine))].slice(0, 5) }))
}

/** A logged error in brief: its message, the error's and PostgreSQL's detail (a stack is in the replica's log). */
function errorLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; err?: { type?: unknown; message?: unknown; detail?: unknown } }
    const detail = typeof entry.err?.detail === 'string' ? ` (${entry.err.detail.replace(/[-\w]+-\d+\)/, '…)')})` : ''
    return `${String(entry.msg)}: ${String(entry.err?.type)}: ${String(entry.err?.message)}${detail}`
  } catch {
    return line.slice(0, 300)
  }
}

// ---------------------------------------------------------------------------

t.test('three replicas, bulk writers on all of them, one killed with SIGKILL mid-batch', async (t) => {
  const WRITERS = 6
  const BATCHES_PER_WRITER = 8
  const ROWS = 50
  const EVENTS = ['kill-a', 'kill-b', 'kill-c']
  const SOURCES = ['desk-a', 'desk-b', 'desk-c']
  const rand = random(SEED)
  const cluster = await startCluster(t, entry, 3)
  await setUp(cluster, EVENTS, SOURCES)
  const victim = cluster.replicas[2] as Replica

  type Outcome = 'in_flight' | 'acknowledged' | 'refused' | 'cut'
  interface Batch {
    id: string
    replica: string
    rows: Array<Record<string, unknown>>
    outcome: Outcome
    status?: number
    answer?: string
    ids?: Array<string | null>
    startedAt: number
  }
  const batches: Batch[] = []
  const inFlight = new Map<string, Set<Batch>>(cluster.replicas.map((r) => [r.name, new Set()]))
  let acknowledged = 0

  // Each batch's rows are drawn up front, from the seeded generator, in a fixed order: the same seed, the same batches.
  const planned = Array.from({ length: WRITERS }, (_, w) =>
    Array.from({ length: BATCHES_PER_WRITER }, (_, n) => {
      const id = `w${w}-b${n}`
      return Array.from({ length: ROWS }, (_, k) =>
        figure(
          EVENTS[Math.floor(rand() * EVENTS.length)] as string,
          SOURCES[Math.floor(rand() * SOURCES.length)] as string,
          Math.floor(rand() * 500),
          {
            quote: id,
            external_id: `${id}/${k}`,
          },
        ),
      )
    }),
  )
  const killAfterAcks = Math.floor(WRITERS * BATCHES_PER_WRITER * (0.2 + 0.3 * rand()))
  const killDelayMs = Math.floor(rand() * 40)

  const follower = new Follower(cluster.replicas, () => 1 + Math.floor(rand() * 200))

  const writers = planned.map(async (mine, w) => {
    for (const [n, rows] of mine.entries()) {
      const live = cluster.replicas.filter((r) => r.alive)
      const replica = live[(w + n) % live.length] as Replica
      const batch: Batch = { id: `w${w}-b${n}`, replica: replica.name, rows, outcome: 'in_flight', startedAt: Date.now() }
      batches.push(batch)
      inFlight.get(replica.name)?.add(batch)
      try {
        const answer = await call(replica, 'POST', '/claims/bulk', rows)
        batch.status = answer.status
        // A replica answers only once the transaction has committed: a 201 acknowledges the batch.
        if (answer.status === 201) {
          batch.outcome = 'acknowledged'
          batch.ids = parse<BulkResult>(answer).ids
          acknowledged++
        } else {
          batch.outcome = 'refused'
          batch.answer = answer.text.slice(0, 300)
        }
      } catch {
        batch.outcome = 'cut'
      } finally {
        inFlight.get(replica.name)?.delete(batch)
      }
    }
  })

  // The kill: once enough batches are acknowledged, the first moment the victim has had a batch in flight for killDelayMs.
  const writing = Promise.all(writers)
  let inFlightAtKill: string[] = []
  const killing = (async () => {
    for (;;) {
      const onVictim = [...(inFlight.get(victim.name) ?? [])]
      if (acknowledged >= killAfterAcks && onVictim.some((b) => Date.now() - b.startedAt >= killDelayMs)) {
        inFlightAtKill = onVictim.map((b) => b.id)
        await cluster.kill(victim)
        return
      }
      if (batches.length === WRITERS * BATCHES_PER_WRITER && onVictim.length === 0) return // every batch sent and none left on the victim
      await sleep(1)
    }
  })()
  await Promise.all([writing, killing])
  const exit = await victim.process.exited
  // A transaction of the dead replica's may still be ending in PostgreSQL (a COMMIT it sent, or a rollback): wait until none is.
  const settled = await poll(
    10_000,
    () =>
      cluster.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state NOT IN ('idle') AND pid <> pg_backend_pid()",
        [cluster.db.name],
      ),
    (rows) => rows[0]?.n === 0,
    (rows) => `${rows[0]?.n} sessions busy`,
  )
  t.ok(settled.value !== null, `the database settles after the kill (${firstOf(settled.seen, 3)})`)
  await follower.stop()

  const problems: string[] = []
  t.comment(
    `seed ${SEED}: ${batches.length} batches of ${ROWS} rows, ${acknowledged} acknowledged; ${victim.name} killed after ${killAfterAcks} acknowledgements ` +
      `with ${inFlightAtKill.length} batches in flight on it (${inFlightAtKill.join(', ')}); follower: ${follower.pages} pages, ` +
      `${follower.failedPages} failed (the dead replica)`,
  )
  t.equal(exit.signal, 'SIGKILL', `${victim.name} was killed by SIGKILL`)
  t.ok(inFlightAtKill.length > 0, `the kill came while ${victim.name} was writing a batch (seed ${SEED})`)
  t.strictSame(
    batches.filter((b) => b.outcome === 'refused').map((b) => `${b.id} on ${b.replica}: ${b.status} ${b.answer}`),
    [],
    'no batch was refused',
  )
  t.strictSame(
    batches.filter((b) => b.outcome === 'cut' && b.replica !== victim.name).map((b) => `${b.id} on ${b.replica}`),
    [],
    'only batches on the killed replica went unanswered',
  )

  // ---- what the database holds ----
  const claims = await cluster.query<{ id: string; quote: string; external_id: string; event_id: string; value: number }>(
    'SELECT id, quote, external_id, event_id, value::int AS value FROM claims',
  )
  const byBatch = new Map<string, Array<(typeof claims)[number]>>()
  for (const c of claims) byBatch.set(c.quote, [...(byBatch.get(c.quote) ?? []), c])
  const sent = new Set(batches.map((b) => b.id))
  for (const quote of byBatch.keys()) if (!sent.has(quote)) problems.push(`claims of a batch nobody sent: ${quote}`)
  let partial = 0
  let lost = 0
  for (const batch of batches) {
    const found = byBatch.get(batch.id) ?? []
    const wanted = batch.rows.map((r) => `${String(r.external_id)} ${String(r.event_id)} ${String(r.value)}`).sort()
    const got = found.map((c) => `${c.external_id} ${c.event_id} ${c.value}`).sort()
    if (found.length !== 0 && found.length !== ROWS) {
      partial++
      problems.push(`PARTIAL: ${batch.id} (${batch.outcome} on ${batch.replica}) has ${found.length} of ${ROWS} claims`)
    } else if (found.length === ROWS && got.join('\n') !== wanted.join('\n')) {
      problems.push(`${batch.id} (${batch.outcome} on ${batch.replica}): its claims are not the rows sent`)
    }
    if (batch.outcome === 'acknowledged') {
      const ids = new Set(found.map((c) => c.id))
      if (found.length !== ROWS || !(batch.ids ?? []).every((id) => id !== null && ids.has(id))) {
        lost++
        problems.push(`LOST: ${batch.id} was acknowledged by ${batch.replica} with ${ROWS} ids; ${found.length} claims are there`)
      }
    }
  }
  t.equal(lost, 0, 'every acknowledged batch is there whole, with the ids it was answered')
  t.equal(partial, 0, 'no batch is there in part')
  t.strictSame(problems, [], `seed ${SEED}: every batch all or nothing, every acknowledged one whole`)

  // ---- the change feed ----
  const feed = await cluster.query<Change>('SELECT seq::int AS seq, at, type, id, event_id FROM changes ORDER BY seq')
  const created = feed.filter((c) => c.type === 'claim.created')
  t.strictSame(
    created.map((c) => c.id).sort(),
    claims.map((c) => c.id).sort(),
    'each claim has its one claim.created change, and nothing else',
  )
  const survivors = cluster.replicas.filter((r) => r.alive)
  for (const r of survivors) {
    const listed = await wholeFeed(r)
    t.strictSame(listed.map(feedKey), feed.map(feedKey), `GET /changes on ${r.name} lists every change the database holds, in order`)
  }
  t.strictSame(follower.outOfOrder(), [], `seed ${SEED}: the follower saw every change once, in increasing seq order`)
  const { missed, extra } = feedDifference(follower.seen, feed)
  t.strictSame(
    { missed: missed.length, extra: extra.length },
    { missed: 0, extra: 0 },
    `seed ${SEED}: the follower saw exactly the feed (${follower.seen.length} items seen, ${feed.length} in the feed); ` +
      `missed: ${firstOf(missed)}; extra: ${firstOf(extra)}`,
  )
  const seenCreated = follower.seen.filter((c) => c.type === 'claim.created').map((c) => c.seq)
  t.equal(new Set(seenCreated).size, seenCreated.length, 'no claim.created seen twice')
  t.equal(seenCreated.length, created.length, 'every claim.created seen')

  // ---- the summaries: the same bytes on every survivor, counting what the database holds ----
  for (const eventId of EVENTS) {
    const total = claims.filter((c) => c.event_id === eventId).length
    const polled = await poll(
      FRESH_MS,
      () => Promise.all(survivors.map((r) => call(r, 'GET', `/events/${eventId}/summary`))),
      (answers) =>
        answers.every((a) => a.status === 200 && claimsTotal(a.text) === total) &&
        new Set(answers.map((a) => withoutAsOf(a.text))).size === 1,
      (answers) =>
        answers.map((a, i) => `${survivors[i]?.name}: ${a.status} claims_total ${a.status === 200 ? claimsTotal(a.text) : '-'}`).join('; '),
    )
    // Then what each survivor serves, asserted apart: that they agree, and that they count what is stored.
    const last = polled.value ?? (await Promise.all(survivors.map((r) => call(r, 'GET', `/events/${eventId}/summary`))))
    const bodies = last.map((x) => withoutAsOf(x.text))
    const [first, ...rest] = bodies
    const other = rest.find((body) => body !== first)
    let where = ''
    if (first !== undefined && other !== undefined) {
      const at = [...first].findIndex((ch, i) => ch !== other[i])
      where = `; they first differ at character ${at}: ${first.slice(Math.max(0, at - 60), at + 60)} | ${other.slice(Math.max(0, at - 60), at + 60)}`
    }
    t.equal(
      new Set(bodies).size,
      1,
      `${eventId}: every survivor serves the same summary body, as_of aside (${firstOf(polled.seen, 2)})${where}`,
    )
    t.strictSame(
      last.map((x, i) => `${survivors[i]?.name}: ${x.status} claims_total ${x.status === 200 ? claimsTotal(x.text) : '-'}`),
      survivors.map((r) => `${r.name}: 200 claims_total ${total}`),
      `${eventId}: every survivor's summary counts the ${total} claims stored`,
    )
  }
  t.strictSame(loggedErrors(cluster), [], 'no replica logged an error (the killed one before its death included)')
})

// ---------------------------------------------------------------------------

t.test('external_id and Idempotency-Key races on two replicas: one write each time', async (t) => {
  const ROUNDS = 20
  const cluster = await startCluster(t, entry, 2)
  await setUp(cluster, ['race'], ['race-desk'])
  const [a, b] = cluster.replicas as [Replica, Replica]
  const rand = random(SEED + 1)

  const storedWith = async (column: 'external_id' | 'quote', value: string) =>
    (await cluster.query<{ id: string }>(`SELECT id FROM claims WHERE ${column} = $1`, [value])).map((r) => r.id)
  /** Both requests at once; which goes first alternates with the seed. */
  const race = (send: (r: Replica) => Promise<Answer>) =>
    rand() < 0.5 ? Promise.all([send(a), send(b)]) : Promise.all([send(b), send(a)]).then(([y, x]) => [x, y] as const)

  // The same content twice: one 201, one 200 with the same claim.
  const same: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const body = figure('race', 'race-desk', round, { external_id: `same-${round}` })
    const [x, y] = await race((r) => call(r, 'POST', '/claims', body))
    const stored = await storedWith('external_id', `same-${round}`)
    const ids = [x, y].filter((r) => r.status === 200 || r.status === 201).map((r) => parse<{ id: string }>(r).id)
    const statuses = [x.status, y.status].sort()
    if (statuses.join() !== '200,201' || stored.length !== 1 || ids.some((id) => id !== stored[0]))
      same.push(
        `round ${round}: ${a.name} ${x.status}, ${b.name} ${y.status}; ${stored.length} claims stored; answers ${x.text.slice(0, 160)} | ${y.text.slice(0, 160)}`,
      )
  }
  t.strictSame(
    same,
    [],
    `seed ${SEED}: the same external_id and content on two replicas at once: one 201 and one 200 naming the one claim stored`,
  )

  // Different content: one 201, and a 409 for the other.
  const different: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const [x, y] = await race((r) =>
      call(r, 'POST', '/claims', figure('race', 'race-desk', r === a ? 1 : 2, { external_id: `different-${round}` })),
    )
    const stored = await cluster.query<{ value: number }>('SELECT value::int AS value FROM claims WHERE external_id = $1', [
      `different-${round}`,
    ])
    const winner = x.status === 201 ? 1 : y.status === 201 ? 2 : null
    const statuses = [x.status, y.status].sort()
    if (statuses.join() !== '201,409' || stored.length !== 1 || stored[0]?.value !== winner)
      different.push(
        `round ${round}: ${a.name} ${x.status}, ${b.name} ${y.status}; stored ${JSON.stringify(stored)}; answers ${x.text.slice(0, 160)} | ${y.text.slice(0, 160)}`,
      )
  }
  t.strictSame(
    different,
    [],
    `seed ${SEED}: the same external_id with other content on two replicas at once: one 201, the other 409, and the 201's claim stored`,
  )

  // A bulk batch replayed on both at once: its claims once; one answer inserts them, the other finds them.
  const bulk: string[] = []
  for (let round = 0; round < 5; round++) {
    const rows = Array.from({ length: 20 }, (_, k) => figure('race', 'race-desk', k, { external_id: `bulk-${round}/${k}` }))
    const [x, y] = await race((r) => call(r, 'POST', '/claims/bulk', rows))
    const stored = await cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM claims WHERE external_id LIKE $1', [
      `bulk-${round}/%`,
    ])
    const results = [x, y].filter((r) => r.status === 201).map((r) => parse<BulkResult>(r))
    const counts = results.map((r) => `${r.inserted}+${r.existing}`).sort()
    if (
      x.status !== 201 ||
      y.status !== 201 ||
      stored[0]?.n !== 20 ||
      counts.join() !== '0+20,20+0' ||
      results[0]?.ids.join() !== results[1]?.ids.join()
    )
      bulk.push(
        `round ${round}: ${a.name} ${x.status}, ${b.name} ${y.status}; ${stored[0]?.n} claims stored; inserted+existing ${counts.join(' and ')}; ${x.text.slice(0, 160)} | ${y.text.slice(0, 160)}`,
      )
  }
  t.strictSame(bulk, [], `seed ${SEED}: one bulk batch on two replicas at once: 201 inserted 20, and 201 existing 20 with the same ids`)

  // The same Idempotency-Key and body: one write; the other answer is its replay, or the 409 of a key whose first request is running.
  const idempotent: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const quote = `idempotent-${SEED}-${round}`
    const body = figure('race', 'race-desk', round, { quote })
    const [x, y] = await race((r) => call(r, 'POST', '/claims', body, { 'idempotency-key': quote }))
    const stored = await storedWith('quote', quote)
    const fresh = [x, y].filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') !== 'true')
    const other = fresh[0] === x ? y : x
    const replayed = other.status === 201 && other.headers.get('idempotent-replayed') === 'true' && other.text === fresh[0]?.text
    if (stored.length !== 1 || fresh.length !== 1 || !(replayed || other.status === 409))
      idempotent.push(
        `round ${round}: ${a.name} ${x.status} (replayed: ${x.headers.get('idempotent-replayed')}), ${b.name} ${y.status} (replayed: ${y.headers.get('idempotent-replayed')}); ` +
          `${stored.length} claims stored; ${x.text.slice(0, 160)} | ${y.text.slice(0, 160)}`,
      )
  }
  t.strictSame(
    idempotent,
    [],
    `seed ${SEED}: the same Idempotency-Key and body on two replicas at once: one claim; one 201, the other its replay or 409`,
  )
  t.strictSame(loggedErrors(cluster), [], 'no replica logged an error')
})

// ---------------------------------------------------------------------------

t.test('a write acknowledged by one replica is read on every other within one second', async (t) => {
  const cluster = await startCluster(t, entry, 3)
  await setUp(cluster, ['fresh'], ['fresh-desk'])
  const [a, b, c] = cluster.replicas as [Replica, Replica, Replica]
  const others = [a, c]
  await expect(a, 201, 'POST', '/claims', figure('fresh', 'fresh-desk', 10))

  /** GET the summary on `r` with If-None-Match: `etag` until `fresh` says it shows the write; 304s and stale 200s are listed. */
  const summaryAfter = async (r: Replica, etag: string, what: string, fresh: (body: string) => boolean) => {
    const polled = await poll(
      FRESH_MS,
      () => call(r, 'GET', '/events/fresh/summary', undefined, { 'if-none-match': etag }),
      (x) => x.status === 200 && fresh(x.text),
      (x) => `${x.status}${x.status === 200 ? (fresh(x.text) ? ' fresh' : ' stale') : ''}`,
    )
    t.ok(
      polled.value !== null,
      `${what}: ${r.name}'s summary shows it within ${FRESH_MS} ms, If-None-Match of the old ETag answered 200 (${firstOf(polled.seen, 5)}; the last: ${polled.seen.slice(-3).join(', ')})`,
    )
    if (polled.value !== null) {
      // Once seen, the new state stays: the old tag never matches again.
      const again = await call(r, 'GET', '/events/fresh/summary', undefined, { 'if-none-match': etag })
      t.equal(again.status, 200, `${what}: ${r.name} does not answer the old ETag 304 afterwards`)
    }
  }

  // A claim added on b.
  const etags = new Map<string, string>()
  for (const r of others) {
    const first = await expect(r, 200, 'GET', '/events/fresh/summary')
    const etag = first.headers.get('etag') ?? ''
    t.ok(etag !== '', `${r.name}: the summary has an ETag`)
    t.equal(
      (await call(r, 'GET', '/events/fresh/summary', undefined, { 'if-none-match': etag })).status,
      304,
      `${r.name}: its own ETag answers 304`,
    )
    etags.set(r.name, etag)
  }
  await expect(b, 201, 'POST', '/claims', figure('fresh', 'fresh-desk', 20))
  for (const r of others) await summaryAfter(r, etags.get(r.name) ?? '', `a claim added on ${b.name}`, (text) => claimsTotal(text) === 2)

  // A source renamed on b.
  for (const r of others) {
    // The source was made on a moments ago: another replica names it within a second, as it sees any write.
    const named = await poll(
      FRESH_MS,
      () => call(r, 'GET', '/events/fresh/summary'),
      (x) => x.status === 200 && x.text.includes('"source_name":"Desk fresh-desk"'),
      (x) => `${x.status}`,
    )
    t.ok(named.value !== null, `${r.name}: the summary names the source made on ${a.name} at the start, within ${FRESH_MS} ms`)
    const before = named.value ?? (await expect(r, 200, 'GET', '/events/fresh/summary'))
    etags.set(r.name, before.headers.get('etag') ?? '')
    await expect(r, 200, 'GET', '/sources')
    await expect(r, 200, 'GET', '/sources/fresh-desk')
  }
  await expect(b, 200, 'PATCH', '/sources/fresh-desk', { name: 'Renamed desk' })
  for (const r of others) {
    await summaryAfter(
      r,
      etags.get(r.name) ?? '',
      `a source renamed on ${b.name}`,
      (text) => text.includes('"source_name":"Renamed desk"') && !text.includes('Desk fresh-desk'),
    )
    const one = await expect(r, 200, 'GET', '/sources/fresh-desk')
    t.equal(parse<{ name: string }>(one).name, 'Renamed desk', `${r.name}: GET /sources/fresh-desk has the new name`)
    const list = await expect(r, 200, 'GET', '/sources')
    t.strictSame(
      parse<{ items: Array<{ id: string; name: string }> }>(list).items.map((s) => `${s.id}: ${s.name}`),
      ['fresh-desk: Renamed desk'],
      `${r.name}: GET /sources has the new name`,
    )
  }

  // A new source made on b: the others take a claim from it, and their summaries name it.
  for (const r of others) etags.set(r.name, (await expect(r, 200, 'GET', '/events/fresh/summary')).headers.get('etag') ?? '')
  await expect(b, 201, 'POST', '/sources', { id: 'late-desk', name: 'Late desk', kind: 'ngo' })
  for (const r of others) {
    const listed = await poll(
      FRESH_MS,
      () => call(r, 'GET', '/sources?q=late'),
      (x) => x.status === 200 && x.text.includes('"name":"Late desk"'),
      (x) => `${x.status} ${x.text.slice(0, 120)}`,
    )
    t.ok(
      listed.value !== null,
      `a source made on ${b.name}: GET /sources on ${r.name} lists it within ${FRESH_MS} ms (${firstOf(listed.seen, 3)})`,
    )
  }
  const accepted = await poll(
    FRESH_MS,
    () => call(a, 'POST', '/claims', figure('fresh', 'late-desk', 30, { external_id: 'late-1' })),
    (x) => x.status === 201,
    (x) => `${x.status} ${x.status === 201 ? '' : x.text.slice(0, 200)}`,
  )
  t.ok(
    accepted.value !== null,
    `a source made on ${b.name}: ${a.name} takes a claim from it within ${FRESH_MS} ms (${firstOf(accepted.seen, 3)})`,
  )
  if (accepted.value === null) await expect(b, 201, 'POST', '/claims', figure('fresh', 'late-desk', 30, { external_id: 'late-1' }))
  for (const r of others)
    await summaryAfter(r, etags.get(r.name) ?? '', `a source made on ${b.name}`, (text) => text.includes('"source_name":"Late desk"'))

  // A key made on a works on b; revoked on a, every other replica refuses it.
  const key = parse<{ id: string; token: string }>(await expect(a, 201, 'POST', '/keys', { name: 'short-lived', scopes: ['write'] }))
  /** POST /sources with an empty body: 400 once the key is taken (auth runs first), 401 when it is refused. */
  const tryKey = (r: Replica) => call(r, 'POST', '/sources', {}, { authorization: `Bearer ${key.token}` })
  const known = await poll(
    FRESH_MS,
    () => tryKey(b),
    (x) => x.status === 400,
    (x) => String(x.status),
  )
  t.ok(known.value !== null, `a key made on ${a.name} works on ${b.name} within ${FRESH_MS} ms (${firstOf(known.seen, 5)})`)
  await expect(a, 200, 'DELETE', `/keys/${key.id}`)
  for (const r of [b, c]) {
    const refused = await poll(
      FRESH_MS,
      () => tryKey(r),
      (x) => x.status === 401,
      (x) => String(x.status),
    )
    t.ok(
      refused.value !== null,
      `a key revoked on ${a.name}: ${r.name} refuses it (401) within ${FRESH_MS} ms (${firstOf(refused.seen, 5)})`,
    )
  }
  t.strictSame(loggedErrors(cluster), [], 'no replica logged an error')
})

// ---------------------------------------------------------------------------

t.test('writes committing out of sequence order on two replicas: a follower on a third misses none', async (t) => {
  const CLIENTS = 10
  const WRITES = 30
  const cluster = await startCluster(t, entry, 3)
  await setUp(cluster, ['order'], ['order-desk'])
  const [a, b, c] = cluster.replicas as [Replica, Replica, Replica]
  const rand = random(SEED + 2)
  const follower = new Follower([c], () => 1 + Math.floor(rand() * 20))

  const refused: string[] = []
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; n < WRITES; n++) {
        const r = (client + n) % 2 === 0 ? a : b
        const answer = await call(r, 'POST', '/claims', figure('order', 'order-desk', n, { quote: `c${client}-${n}` }))
        if (answer.status !== 201) refused.push(`c${client}-${n} on ${r.name}: ${answer.status} ${answer.text.slice(0, 200)}`)
      }
    }),
  )
  await follower.stop()
  t.strictSame(refused, [], 'every write was answered 201')

  const feed = await cluster.query<Change>('SELECT seq::int AS seq, at, type, id, event_id FROM changes ORDER BY seq')
  t.equal(
    feed.filter((x) => x.type === 'claim.created').length,
    CLIENTS * WRITES - refused.length,
    'the feed has a claim.created per write',
  )
  t.strictSame(follower.outOfOrder(), [], `seed ${SEED}: the follower saw every change once, in increasing seq order`)
  const { missed, extra } = feedDifference(follower.seen, feed)
  t.strictSame(
    { missed: missed.length, extra: extra.length },
    { missed: 0, extra: 0 },
    `seed ${SEED}: the follower (${follower.pages} pages on ${c.name}) saw exactly the feed: ${follower.seen.length} items seen, ${feed.length} in the feed; ` +
      `missed: ${firstOf(missed)}; extra: ${firstOf(extra)}`,
  )
  t.strictSame(loggedErrors(cluster), [], 'no replica logged an error')
})
