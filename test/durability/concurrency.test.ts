/**
 * Concurrency test (issue #5): 16 clients, each with its own API key, write
 * and read at once for a bounded time against the real server (a child
 * process on a WAL file database), while this process also reads the file
 * through its own better-sqlite3 connection, as a backup would. Then:
 *
 * - no 5xx, no unexpected status, no failed connection, nothing logged at
 *   level error;
 * - every read saw every write acknowledged before it was sent (summaries
 *   "now" and pinned by as_of, conditional GETs answered 304, the event index,
 *   exports);
 * - every acknowledged claim is readable with the content it was sent with,
 *   and nothing else is there: per event, the claims counted equal the
 *   claims acknowledged;
 * - every acknowledged event and source is readable;
 * - PRAGMA integrity_check is "ok".
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import t from 'tap'
import { testSeed } from '../seed.js'
import { bundleServer, ndjson, random, sleep, startServer, tempDir } from './server-process.js'

const CLIENTS = 16
/** How long the clients keep going; they then finish the request they are in. */
const DURATION_MS = 5000
const KEYS = Array.from({ length: CLIENTS }, (_, i) => `client-${i}`)
const AS_OF = '2030-01-01'

interface Expected {
  id: string
  event_id: string
  source_id: string
  kind: 'figure' | 'attribution'
  value: number | null
  quote: string
}

interface ClaimOut {
  id: string
  event_id: string
  source_id: string
  kind: string
  value?: number | null
  quote?: string | null
}

interface Op {
  name: string
  weight: number
  run: (c: Client) => Promise<void>
}

interface Client {
  index: number
  headers: Record<string, string>
  rand: () => number
  n: number
  /** The last ETag and claims_total seen per summary URL, for conditional GETs. */
  etags: Map<string, { etag: string; total: number }>
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0)
}

t.setTimeout(120_000)

t.test(`${CLIENTS} concurrent writers and readers for ${DURATION_MS / 1000} s: no 5xx, every acknowledged write readable`, async (t) => {
  const started = Date.now()
  const dir = tempDir(t, 'reckon-concurrency-')
  const entry = await bundleServer(dir)
  const dbPath = join(dir, 'reckon.db')
  const server = await startServer({ entry, dbPath, apiKeys: KEYS.map((k) => `${k}:read+write`).join(',') })
  t.teardown(() => server.kill('SIGKILL'))
  const { base } = server
  // The seed replays the clients' choices, not the scheduling.
  const s = testSeed()

  // ---- what has been acknowledged ----
  const events: string[] = []
  const sources: string[] = []
  const actors = ['party-a', 'party-b']
  const claims = new Map<string, Expected>()
  const perEvent = new Map<string, string[]>()
  const failures: string[] = []
  const statuses = new Map<string, Map<number, number>>()
  let fiveHundreds = 0
  let notModified = 0
  let stalenessChecks = 0

  let failureCount = 0
  const fail = (what: string) => {
    failureCount++
    if (failures.length < 50) failures.push(what)
  }
  const acknowledge = (claim: Expected) => {
    claims.set(claim.id, claim)
    const list = perEvent.get(claim.event_id) ?? []
    list.push(claim.id)
    perEvent.set(claim.event_id, list)
  }
  const ackedCount = (eventId: string) => perEvent.get(eventId)?.length ?? 0
  /** The rows of an acknowledged bulk write, each with the id the answer gave it (`what`: the request, for a failure). */
  const acknowledgeRows = (what: string, rows: ReturnType<typeof claimBody>[], targets: string[], ids: ReadonlyArray<string | null>) => {
    rows.forEach((row, i) => {
      const id = ids[i]
      const eventId = targets[i]
      if (typeof id !== 'string' || eventId === undefined) fail(`${what}: row ${i} has no id`)
      else
        acknowledge({
          id,
          event_id: eventId,
          source_id: row.source_id,
          kind: row.kind,
          value: row.kind === 'figure' ? row.value : null,
          quote: row.quote,
        })
    })
  }

  /** One request; a 5xx, an unexpected status or a failed connection is a failure. Returns the response if expected. */
  async function request(
    op: string,
    c: Client,
    path: string,
    expect: number[],
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    let res: Response
    try {
      res = await fetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...c.headers, ...init.headers },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      })
    } catch (err) {
      fail(`${op} ${path}: ${err instanceof Error ? `${err.message} ${String(err.cause)}` : String(err)}`)
      return null
    }
    const byStatus = statuses.get(op) ?? new Map<number, number>()
    byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1)
    statuses.set(op, byStatus)
    if (res.status >= 500) fiveHundreds++
    if (!expect.includes(res.status)) {
      fail(`${op} ${init.method ?? 'GET'} ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`)
      return null
    }
    return res
  }

  const pick = <T>(c: Client, items: readonly T[]): T => {
    const item = items[Math.floor(c.rand() * items.length)]
    if (item === undefined) throw new Error('nothing to pick from')
    return item
  }

  function claimBody(c: Client, eventId: string | undefined) {
    const quote = `c${c.index}-${c.n++}`
    const source_id = pick(c, sources)
    const stated_at = `2024-${String(1 + Math.floor(c.rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(c.rand() * 28)).padStart(2, '0')}`
    const base = { ...(eventId === undefined ? {} : { event_id: eventId }), source_id, stated_at, quote }
    if (c.rand() < 0.75) {
      return { ...base, kind: 'figure' as const, metric: 'killed', qualifier: 'exact', value: Math.floor(c.rand() * 1000) }
    }
    return { ...base, kind: 'attribution' as const, stance: c.rand() < 0.7 ? 'accuses' : 'denies', actor_ids: [pick(c, actors)] }
  }

  function check(
    c: Client,
    sent: ReturnType<typeof claimBody>,
    eventId: string,
    got: ClaimOut | undefined,
    where: string,
  ): Expected | null {
    const expected: Expected = {
      id: got?.id ?? '',
      event_id: eventId,
      source_id: sent.source_id,
      kind: sent.kind,
      value: sent.kind === 'figure' ? sent.value : null,
      quote: sent.quote,
    }
    if (
      !got ||
      got.event_id !== eventId ||
      got.source_id !== sent.source_id ||
      got.kind !== sent.kind ||
      (got.value ?? null) !== expected.value ||
      got.quote !== sent.quote
    ) {
      fail(`${where}: client ${c.index} sent ${JSON.stringify(sent)}, the answer was ${JSON.stringify(got)}`)
      return null
    }
    return expected
  }

  /** POST of a new record (weight 4) to `path`, acknowledged into `list` once created. */
  const creates = (path: string, prefix: string, list: string[], body: (id: string) => Record<string, unknown>): Op => ({
    name: `POST ${path}`,
    weight: 4,
    run: async (c) => {
      const id = `${prefix}-c${c.index}-${c.n++}`
      const res = await request(`POST ${path}`, c, path, [201], { method: 'POST', body: body(id) })
      if (res) {
        await res.arrayBuffer()
        list.push(id)
      }
    },
  })

  const ops: Op[] = [
    {
      name: 'POST /events/{id}/claims',
      weight: 22,
      run: async (c) => {
        const eventId = pick(c, events)
        const body = claimBody(c, undefined)
        const res = await request('POST /events/{id}/claims', c, `/events/${eventId}/claims`, [201], { method: 'POST', body })
        if (!res) return
        const claim = check(c, body, eventId, (await res.json()) as ClaimOut, 'POST /events/{id}/claims')
        if (claim) acknowledge(claim)
      },
    },
    {
      name: 'POST /claims/bulk',
      weight: 10,
      run: async (c) => {
        const targets = Array.from({ length: 2 + Math.floor(c.rand() * 39) }, () => pick(c, events))
        const rows = targets.map((eventId) => claimBody(c, eventId))
        const res = await request('POST /claims/bulk', c, '/claims/bulk', [201], { method: 'POST', body: rows })
        if (!res) return
        const out = (await res.json()) as { inserted: number; ids: Array<string | null> }
        if (out.inserted !== rows.length || out.ids.length !== rows.length) {
          fail(`POST /claims/bulk: ${rows.length} rows sent, answer ${JSON.stringify(out)}`)
          return
        }
        acknowledgeRows('POST /claims/bulk', rows, targets, out.ids)
      },
    },
    {
      // A client that retries at once: the same Idempotency-Key twice, concurrently. One runs; the other
      // gets its response replayed (201) or, while it still runs, a 409. The claims land once.
      name: 'POST /claims/bulk twice with one Idempotency-Key',
      weight: 4,
      run: async (c) => {
        const targets = Array.from({ length: 1 + Math.floor(c.rand() * 10) }, () => pick(c, events))
        const rows = targets.map((eventId) => claimBody(c, eventId))
        const key = `c${c.index}-${c.n++}`
        const send = () =>
          request('POST /claims/bulk twice with one Idempotency-Key', c, '/claims/bulk', [201, 409], {
            method: 'POST',
            body: rows,
            headers: { 'idempotency-key': key },
          })
        const answers = await Promise.all([send(), send()])
        const bodies: Array<{ type?: string; ids?: Array<string | null> }> = []
        for (const res of answers) if (res) bodies.push((await res.json()) as { type?: string; ids?: Array<string | null> })
        if (bodies.length < 2) return
        const created = bodies.filter((b) => b.ids !== undefined)
        const inFlight = bodies.filter((b) => b.type === 'urn:reckon:problem:idempotency-key-in-flight')
        if (
          created.length === 0 ||
          created.length + inFlight.length !== 2 ||
          new Set(created.map((b) => JSON.stringify(b.ids))).size !== 1
        ) {
          fail(`Idempotency-Key ${key} sent twice: ${JSON.stringify(bodies)}`)
          return
        }
        const ids = created[0]?.ids ?? []
        acknowledgeRows(`Idempotency-Key ${key}`, rows, targets, ids)
      },
    },
    creates('/events', 'event', events, (id) => ({ id, title: `Event ${id}`, occurred_on: '2024-01' })),
    creates('/sources', 'source', sources, (id) => ({ id, name: `Source ${id}`, kind: 'other' })),
    {
      name: 'GET /events/{id}/summary',
      weight: 18,
      run: async (c) => {
        const eventId = pick(c, events)
        const path = c.rand() < 0.5 ? `/events/${eventId}/summary` : `/events/${eventId}/summary?as_of=${AS_OF}`
        const before = ackedCount(eventId)
        const cached = c.etags.get(path)
        const res = await request('GET /events/{id}/summary', c, path, cached ? [200, 304] : [200], {
          headers: cached ? { 'if-none-match': cached.etag } : {},
        })
        if (!res) return
        let total: number
        if (res.status === 304 && cached) {
          notModified++
          total = cached.total
          await res.arrayBuffer()
        } else {
          total = ((await res.json()) as { claims_total: number }).claims_total
          const etag = res.headers.get('etag')
          if (etag) c.etags.set(path, { etag, total })
        }
        stalenessChecks++
        if (total < before) fail(`GET ${path} (${res.status}): claims_total ${total}, but ${before} were acknowledged before the request`)
      },
    },
    {
      name: 'GET /events/{id}/claims',
      weight: 8,
      run: async (c) => {
        const res = await request('GET /events/{id}/claims', c, `/events/${pick(c, events)}/claims?limit=100`, [200])
        if (res) await res.arrayBuffer()
      },
    },
    {
      name: 'GET /claims?format=ndjson',
      weight: 7,
      run: async (c) => {
        const eventId = pick(c, events)
        const before = [...(perEvent.get(eventId) ?? [])]
        const res = await request('GET /claims?format=ndjson', c, `/claims?event_id=${eventId}&format=ndjson`, [200])
        if (!res) return
        const ids = new Set(ndjson<ClaimOut>(await res.text()).map((r) => r.id))
        stalenessChecks++
        const missing = before.filter((id) => !ids.has(id))
        if (missing.length > 0)
          fail(`export of ${eventId}: ${missing.length} of ${before.length} claims acknowledged before the request are missing`)
      },
    },
    {
      name: 'GET /claims?format=csv',
      weight: 5,
      run: async (c) => {
        const res = await request('GET /claims?format=csv', c, `/claims?format=csv&limit=${1 + Math.floor(c.rand() * 500)}`, [200])
        if (res) await res.arrayBuffer()
      },
    },
    {
      name: 'GET /summaries',
      weight: 5,
      run: async (c) => {
        const res = await request('GET /summaries', c, '/summaries?limit=20', [200])
        if (res) await res.arrayBuffer()
      },
    },
    {
      name: 'GET /events',
      weight: 12,
      run: async (c) => {
        const before = new Map(events.map((id) => [id, ackedCount(id)]))
        const res = await request('GET /events', c, '/events?sort=-dispute&limit=1000', [200])
        if (!res) return
        const page = (await res.json()) as { items: Array<{ id: string; dispute: { claims: number } }> }
        stalenessChecks++
        for (const item of page.items) {
          const acked = before.get(item.id) ?? 0
          if (item.dispute.claims < acked)
            fail(`GET /events: ${item.id} shows ${item.dispute.claims} claims, ${acked} were acknowledged before the request`)
        }
        const listed = new Set(page.items.map((i) => i.id))
        const absent = [...before.keys()].filter((id) => !listed.has(id))
        if (absent.length > 0) fail(`GET /events: acknowledged events missing from the index: ${absent.slice(0, 5).join(', ')}`)
      },
    },
    {
      name: 'GET /changes',
      weight: 5,
      run: async (c) => {
        const res = await request('GET /changes', c, '/changes?limit=100', [200])
        if (res) await res.arrayBuffer()
      },
    },
  ]
  const totalWeight = ops.reduce((sum, op) => sum + op.weight, 0)
  const choose = (c: Client): Op => {
    let x = c.rand() * totalWeight
    for (const op of ops) {
      x -= op.weight
      if (x < 0) return op
    }
    return ops[ops.length - 1] as Op
  }

  const clients: Client[] = KEYS.map((key, index) => ({
    index,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    rand: random(s + index),
    n: 0,
    etags: new Map(),
  }))

  // ---- what every client starts from ----
  const admin = clients[0] as Client
  for (const id of actors) {
    const res = await request('setup', admin, '/actors', [201], { method: 'POST', body: { id, name: id, kind: 'armed_group' } })
    if (res) await res.arrayBuffer()
  }
  for (let i = 0; i < 4; i++) {
    const res = await request('setup', admin, '/sources', [201], {
      method: 'POST',
      body: { id: `seed-source-${i}`, name: `Seed source ${i}`, kind: 'other' },
    })
    if (res) sources.push(`seed-source-${i}`)
    const ev = await request('setup', admin, '/events', [201], {
      method: 'POST',
      body: { id: `seed-event-${i}`, title: `Seed event ${i}`, occurred_on: '2024' },
    })
    if (ev) events.push(`seed-event-${i}`)
  }
  t.strictSame(failures, [], 'the actors, sources and events to start from are recorded')

  // ---- the run ----
  const deadline = Date.now() + DURATION_MS
  const latencies = new Map<string, number[]>()
  let directReads = 0
  const reader = new Database(dbPath, { readonly: true, fileMustExist: true })
  const countClaims = reader.prepare('SELECT count(*) FROM claims').pluck()
  const directReader = (async () => {
    while (Date.now() < deadline) {
      countClaims.get()
      directReads++
      await sleep(25)
    }
  })()
  await Promise.all(
    clients.map(async (c) => {
      while (Date.now() < deadline) {
        const op = choose(c)
        const at = performance.now()
        try {
          await op.run(c)
        } catch (err) {
          fail(`${op.name}: ${err instanceof Error ? err.stack : String(err)}`)
        }
        const took = latencies.get(op.name) ?? []
        took.push(performance.now() - at)
        latencies.set(op.name, took)
      }
    }),
  )
  await directReader
  const runMs = Date.now() - (deadline - DURATION_MS)

  // ---- afterwards: everything acknowledged is there, and nothing else ----
  t.equal(fiveHundreds, 0, 'no 5xx')
  t.strictSame(
    failures,
    [],
    `no unexpected status, failed connection, wrong answer or stale read (${failureCount} found, at most 50 listed)`,
  )
  t.strictSame(server.errors, [], 'nothing logged at level error')

  // The checks go round the clients' keys, as the run did: no key comes near a per-key rate limit.
  let turn = 0
  const checker = () => clients[turn++ % clients.length] as Client
  const all = await request('final', checker(), '/claims?format=ndjson', [200])
  const stored = new Map(ndjson<ClaimOut>((await all?.text()) ?? '').map((r) => [r.id, r]))
  const wrong: string[] = []
  for (const claim of claims.values()) {
    const got = stored.get(claim.id)
    if (!got) wrong.push(`${claim.id} (${claim.quote}) is missing`)
    else if (
      got.event_id !== claim.event_id ||
      got.source_id !== claim.source_id ||
      got.kind !== claim.kind ||
      (got.value ?? null) !== claim.value ||
      got.quote !== claim.quote
    ) {
      wrong.push(`${claim.id}: stored ${JSON.stringify(got)}, acknowledged ${JSON.stringify(claim)}`)
    }
  }
  t.strictSame(wrong.slice(0, 20), [], `every acknowledged claim (${claims.size}) is in the export with the content it was sent with`)
  t.equal(stored.size, claims.size, 'the export holds as many claims as were acknowledged')

  // A sample one by one: GET /claims/{id}.
  const ids = [...claims.keys()]
  const sampleRand = random(s)
  const sample = Array.from({ length: Math.min(200, ids.length) }, () => ids[Math.floor(sampleRand() * ids.length)] as string)
  const unreadable: string[] = []
  for (const id of sample) {
    const res = await request('final', checker(), `/claims/${id}`, [200])
    const got = res ? ((await res.json()) as ClaimOut) : undefined
    const claim = claims.get(id)
    if (!got || !claim || got.quote !== claim.quote || (got.value ?? null) !== claim.value || got.event_id !== claim.event_id)
      unreadable.push(id)
  }
  t.strictSame(unreadable, [], `a sample of ${sample.length} acknowledged claims reads back one by one`)

  // Per event: what the summary counts is what was acknowledged.
  const miscounted: string[] = []
  for (const eventId of events) {
    const res = await request('final', checker(), `/events/${eventId}/summary`, [200])
    const total = res ? ((await res.json()) as { claims_total: number }).claims_total : -1
    if (total !== ackedCount(eventId)) miscounted.push(`${eventId}: summary counts ${total}, ${ackedCount(eventId)} acknowledged`)
  }
  t.strictSame(miscounted, [], `for each of ${events.length} events, claims_total equals the claims acknowledged`)

  const unreadableRecords: string[] = []
  for (const [path, list] of [
    ['/events', events],
    ['/sources', sources],
  ] as const) {
    for (const id of list) {
      const res = await request('final', checker(), `${path}/${id}`, [200])
      if (res) await res.arrayBuffer()
      else unreadableRecords.push(`${path}/${id}`)
    }
  }
  t.strictSame(unreadableRecords, [], `every acknowledged event (${events.length}) and source (${sources.length}) reads back`)

  t.equal(reader.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check is ok')
  t.equal(countClaims.get(), claims.size, 'SQLite holds as many claims as were acknowledged')
  t.equal(
    reader.prepare("SELECT count(*) FROM changes WHERE type = 'claim.created'").pluck().get(),
    claims.size,
    'and as many claim.created changes',
  )
  reader.close()
  t.equal(fiveHundreds, 0, 'still no 5xx after the checks')

  server.kill('SIGTERM')
  t.equal((await server.exited).code, 0, 'the server stops cleanly on SIGTERM')

  const count = (names: string[]) =>
    names.reduce((sum, name) => sum + [...(statuses.get(name)?.values() ?? [])].reduce((a, b) => a + b, 0), 0)
  const requests = count([...statuses.keys()].filter((op) => op !== 'setup' && op !== 'final'))
  const writes = [
    'POST /events/{id}/claims',
    'POST /claims/bulk',
    'POST /claims/bulk twice with one Idempotency-Key',
    'POST /events',
    'POST /sources',
  ]
  t.comment(
    [
      `${requests} requests (${[...latencies.values()].reduce((sum, l) => sum + l.length, 0)} operations) from ${CLIENTS} clients in ${(runMs / 1000).toFixed(1)} s (${Math.round(requests / (runMs / 1000))}/s), ${directReads} direct SQLite reads alongside`,
      `writes: ${count(writes)} requests; ${claims.size} claims acknowledged (${statuses.get('POST /events/{id}/claims')?.get(201) ?? 0} single, the rest in ${statuses.get('POST /claims/bulk')?.get(201) ?? 0} bulk batches and ${latencies.get('POST /claims/bulk twice with one Idempotency-Key')?.length ?? 0} sent twice with one Idempotency-Key), ${events.length} events, ${sources.length} sources`,
      `reads: ${requests - count(writes)} requests; ${stalenessChecks} checked against the acknowledgements before them, ${notModified} answered 304`,
      `statuses: ${[...statuses].map(([op, m]) => `${op} ${[...m].map(([k, v]) => `${k}×${v}`).join(' ')}`).join('; ')}`,
      `latency p50/max ms: ${[...latencies].map(([op, l]) => `${op} ${percentile(l, 0.5)}/${percentile(l, 1)}`).join('; ')}`,
      `5xx: ${fiveHundreds}; claims found ${stored.size} of ${claims.size} acknowledged`,
      `took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    ].join('\n'),
  )
})
