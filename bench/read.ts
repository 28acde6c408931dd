/**
 * npm run bench:read — what dashboards do, on the benchmark database
 * (npm run bench:data: 100,000 events, 1,000,000 claims), measured with
 * autocannon in one run against:
 *   1. a bare Fastify route answering a constant JSON as large as a summary (the ceiling),
 *   2. GET /events/{id}/summary over random events,
 *   3. GET /events?sort=-dispute&limit=50,
 *   4. GET /events/{id}/estimates over random events (#16): the bias-aware
 *      estimates, from what the server learnt of every source once (the
 *      warm-up pays for the learning; no write runs meanwhile),
 *   5. GET /health on the same server: no ETag and one `SELECT 1` — what the
 *      deployed stack (logging, security headers, rate limiter, load
 *      shedding, keys) costs a request before any route does its work, with
 *      the least a query costs (nothing on SQLite; a round trip on PostgreSQL),
 * printing requests/s, p50 and p99 latency and each ratio to the bare route,
 * with the server's RSS and start-up time. The load generator shares the
 * machine's cores with the server: only the ratios mean much.
 *
 * The machine's speed is not steady: the bare route alone swings between
 * ~20,000 and ~35,000 requests/s in phases of several seconds. Measured one
 * after the other for 10 s each, a target could fall in a slow phase and the
 * bare route in a fast one. So the targets take turns in short slices
 * (ROUNDS rounds of SLICE seconds each, the order reversed every other round
 * so that the summary always runs next to the bare route), each round gives
 * its own ratios, and the figures printed are the medians over the rounds.
 * Each target first gets WARMUP seconds of the same load, not measured (JIT,
 * SQLite's page cache, the heap's size: what a server that has been running has).
 *
 * BENCH_STORE=postgres runs the server on PostgreSQL (RECKON_DATABASE_URL), on
 * a database the run creates through BENCH_DATABASE_URL and fills with the
 * records of the SQLite file (bench/data.ts, copyToPostgres); BENCH_STORE=both
 * starts both servers and drives both in the same rounds, each server's
 * targets next to the other's, so that each round also gives PostgreSQL's
 * throughput as a share of SQLite's. Before any server starts, each store's
 * dispute blocks and stored summaries are brought up to date through Reckon's
 * own code (prepareStored), so that neither server spends the measured time
 * catching up and every summary read is a stored one on both.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { BENCH_DB, type StoredState, generate, postgresCopyOf, prepareSqlite, preparePostgres } from './data.js'
import { type Store, benchStores } from './postgres.js'
import { rssMiB, waitForHealth } from './process.js'

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.ROUNDS ?? 20)
const SLICE = Number(process.env.SLICE ?? 3)
const WARMUP = Number(process.env.WARMUP ?? 5)
const EVENTS = Number(process.env.EVENTS ?? 100_000)
const APP_PORTS: Record<Store, number> = { sqlite: 3996, postgres: 3997 }
const BARE_PORT = 3995

/** CPU seconds (user + system) the process has used: with the load generator on the same cores, per-request CPU is steadier than req/s. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

interface Slice {
  rps: number
  p50: number
  p99: number
  errors: number
  requests: number
  /** Server CPU seconds the slice used. */
  cpu: number
}

interface Target {
  title: string
  pid: number
  options: autocannon.Options
  slices: Slice[]
}

function target(title: string, url: string, pid: number, paths?: () => string): Target {
  const options = {
    url,
    connections: CONNECTIONS,
    ...(paths ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: paths() }) }] } : {}),
  }
  return { title, pid, options, slices: [] }
}

async function slice(t: Target): Promise<Slice> {
  const cpuBefore = cpuSeconds(t.pid)
  const result = await autocannon({ ...t.options, duration: SLICE })
  const s = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
    cpu: cpuSeconds(t.pid) - cpuBefore,
  }
  t.slices.push(s)
  return s
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** A target's figures over the rounds: medians of its slices, CPU per request over all of them. */
function figures(t: Target): string {
  const requests = t.slices.reduce((n, s) => n + s.requests, 0)
  const cpu = (t.slices.reduce((n, s) => n + s.cpu, 0) / requests) * 1e6
  const errors = t.slices.reduce((n, s) => n + s.errors, 0)
  const rps = median(t.slices.map((s) => s.rps))
  return `${t.title.padEnd(52)} ${rps.toFixed(0).padStart(7)} req/s  p50 ${median(t.slices.map((s) => s.p50))} ms  p99 ${median(t.slices.map((s) => s.p99))} ms  server CPU ${cpu.toFixed(0)} µs/req  errors ${errors}`
}

/** The median, lowest and highest of per-round ratios. */
function spread(values: readonly number[]): string {
  return `${median(values).toFixed(2)} (rounds ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
}

const stores = benchStores()
if (existsSync(BENCH_DB)) {
  const events = (await prepareSqlite(BENCH_DB)).events
  if (events !== EVENTS)
    throw new Error(`${BENCH_DB} holds ${events} events, not EVENTS=${EVENTS}: set EVENTS=${events}, or another BENCH_DB`)
} else {
  console.log(`generating ${BENCH_DB} (npm run bench:data)…`)
  await generate(BENCH_DB, EVENTS, 10)
}

/** What a store's server is measured on, and how it went. */
interface Server {
  store: Store
  env: NodeJS.ProcessEnv
  state: StoredState
  pid: number
  startup: number
  summary: Target
  disputes: Target
  estimates: Target
  floor: Target
}

const cleanups: Array<() => Promise<void>> = []
const children: ChildProcess[] = []
try {
  const servers: Server[] = []
  for (const store of stores) {
    // The server's environment names one store: a RECKON_DATABASE_URL of the caller's never reaches the SQLite run.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(APP_PORTS[store]),
      RECKON_DB: BENCH_DB,
      LOG_LEVEL: 'warn',
      RECKON_API_KEYS: '',
      // The rate limiter runs (its cost is measured) with a limit no run reaches.
      RECKON_RATE_LIMIT: '1000000000',
    }
    delete env.RECKON_DATABASE_URL
    let state: StoredState
    if (store === 'postgres') {
      const copy = await postgresCopyOf(BENCH_DB)
      cleanups.push(copy.drop)
      env.RECKON_DATABASE_URL = copy.url
      state = await preparePostgres(copy.url)
    } else {
      state = await prepareSqlite(BENCH_DB)
    }
    console.log(
      `${store}: ${state.events} events, ${state.claims} claims; dispute blocks ${state.blocks}, stored summaries not showing now ${state.stale}, queued ${state.queued}`,
    )
    if (state.blocks !== state.events || state.stale !== 0 || state.queued !== 0)
      throw new Error(`${store}: the stored rows are not up to date`)
    servers.push({ store, env, state } as Server)
  }
  if (servers.length === 2 && servers[0]?.state.claims !== servers[1]?.state.claims) throw new Error('the two stores hold different claims')

  for (const server of servers) {
    const started = process.hrtime.bigint()
    const app = spawn(process.execPath, ['dist/server.js'], { env: server.env, stdio: 'inherit' })
    children.push(app)
    await waitForHealth(`http://127.0.0.1:${APP_PORTS[server.store]}/health`)
    server.startup = Number(process.hrtime.bigint() - started) / 1e6
    server.pid = app.pid as number
  }
  const bases = servers.map((s) => `http://127.0.0.1:${APP_PORTS[s.store]}`)
  const samples = await Promise.all(bases.map(async (base) => (await fetch(`${base}/events/event-1/summary`)).text()))
  const bodyBytes = Buffer.byteLength(samples[0] as string)

  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
    env: { ...process.env, PORT: String(BARE_PORT), BODY_BYTES: String(bodyBytes) },
    stdio: 'inherit',
  })
  children.push(bare)
  await waitForHealth(`http://127.0.0.1:${BARE_PORT}/health`)

  const both = servers.length === 2
  const label = (server: Server, title: string) => (both ? `${server.store.padEnd(8)} ${title}` : title)
  for (const [i, server] of servers.entries()) {
    const base = bases[i] as string
    server.summary = target(
      label(server, 'GET /events/{id}/summary (random events)'),
      base,
      server.pid,
      () => `/events/event-${Math.floor(Math.random() * EVENTS)}/summary`,
    )
    server.disputes = target(label(server, 'GET /events?sort=-dispute&limit=50'), `${base}/events?sort=-dispute&limit=50`, server.pid)
    server.estimates = target(
      label(server, 'GET /events/{id}/estimates (random events)'),
      base,
      server.pid,
      () => `/events/event-${Math.floor(Math.random() * EVENTS)}/estimates`,
    )
    server.floor = target(label(server, 'GET /health (the stack, SELECT 1)'), `${base}/health`, server.pid)
  }
  console.log(
    `${EVENTS} events; a summary is ${samples.map((s, i) => `${Buffer.byteLength(s)} bytes on ${servers[i]?.store}`).join(', ')}; ${CONNECTIONS} connections; ` +
      `${WARMUP} s warm-up each, then ${ROUNDS} rounds of ${SLICE} s slices; start-up ${servers.map((s) => `${s.startup.toFixed(0)} ms (${s.store})`).join(', ')}`,
  )
  const ceiling = target('bare Fastify route (constant JSON)', `http://127.0.0.1:${BARE_PORT}/constant`, bare.pid as number)
  /** A round's targets: the bare route, then each kind of read on each store in turn; the stores' order swaps every other round. */
  const sequence = (order: readonly Server[]) => [
    ceiling,
    ...order.map((s) => s.summary),
    ...order.map((s) => s.disputes),
    ...order.map((s) => s.estimates),
    ...order.map((s) => s.floor),
  ]
  if (WARMUP > 0) for (const t of sequence(servers)) await autocannon({ ...t.options, duration: WARMUP })

  type Ratios = Record<'summary' | 'p99' | 'disputes' | 'estimates' | 'floor' | 'floorP99', number[]>
  const none = (): Ratios => ({ summary: [], p99: [], disputes: [], estimates: [], floor: [], floorP99: [] })
  const toBare = new Map<Store, Ratios>(servers.map((s) => [s.store, none()]))
  const pgToSqlite = {
    summary: [] as number[],
    p99: [] as number[],
    disputes: [] as number[],
    estimates: [] as number[],
    floor: [] as number[],
  }
  for (let round = 1; round <= ROUNDS; round++) {
    // Forward, then reversed, so that the summaries run next to the bare route; with two stores, each store's summary is
    // the one next to it in half the rounds (rounds 1 and 4 SQLite's, 2 and 3 PostgreSQL's, and so on).
    const turn = round % 4 === 2 || round % 4 === 3 ? [...servers].reverse() : servers
    const order = round % 2 === 1 ? sequence(turn) : sequence(turn).reverse()
    const got = new Map<Target, Slice>()
    for (const t of order) got.set(t, await slice(t))
    const b = got.get(ceiling) as Slice
    const parts = [`round ${String(round).padStart(2)}: bare ${b.rps.toFixed(0).padStart(6)} req/s p99 ${b.p99} ms`]
    for (const server of servers) {
      const [s, d, e, h] = [got.get(server.summary), got.get(server.disputes), got.get(server.estimates), got.get(server.floor)] as [
        Slice,
        Slice,
        Slice,
        Slice,
      ]
      const r = toBare.get(server.store) as Ratios
      r.summary.push(s.rps / b.rps)
      r.p99.push(s.p99 / b.p99)
      r.disputes.push(d.rps / b.rps)
      r.estimates.push(e.rps / b.rps)
      r.floor.push(h.rps / b.rps)
      r.floorP99.push(h.p99 / b.p99)
      parts.push(
        `${both ? `${server.store}: ` : ''}summary ${s.rps.toFixed(0).padStart(6)} req/s p99 ${s.p99} ms (${(s.rps / b.rps).toFixed(2)}, p99 ${(s.p99 / b.p99).toFixed(2)}×) | list ${d.rps.toFixed(0).padStart(6)} req/s (${(d.rps / b.rps).toFixed(2)}) | estimates ${e.rps.toFixed(0).padStart(6)} req/s (${(e.rps / b.rps).toFixed(2)}) | health ${h.rps.toFixed(0).padStart(6)} req/s (${(h.rps / b.rps).toFixed(2)})`,
      )
    }
    if (both) {
      const [l, p] = servers as [Server, Server]
      const ratio = (t: 'summary' | 'disputes' | 'estimates' | 'floor') => (got.get(p[t]) as Slice).rps / (got.get(l[t]) as Slice).rps
      pgToSqlite.summary.push(ratio('summary'))
      pgToSqlite.p99.push((got.get(p.summary) as Slice).p99 / (got.get(l.summary) as Slice).p99)
      pgToSqlite.disputes.push(ratio('disputes'))
      pgToSqlite.estimates.push(ratio('estimates'))
      pgToSqlite.floor.push(ratio('floor'))
      parts.push(
        `postgres/sqlite: summary ${ratio('summary').toFixed(2)}, list ${ratio('disputes').toFixed(2)}, estimates ${ratio('estimates').toFixed(2)}, health ${ratio('floor').toFixed(2)}`,
      )
    }
    console.log(parts.join(both ? '\n          ' : ' | '))
  }
  const rss = servers.map((s) => rssMiB(s.pid))
  console.log('')
  console.log('medians over the rounds:')
  for (const t of [ceiling, ...servers.flatMap((s) => [s.summary, s.disputes, s.estimates, s.floor])]) console.log(figures(t))
  console.log('')
  for (const [i, server] of servers.entries()) {
    const r = toBare.get(server.store) as Ratios
    const on = both ? `${server.store} ` : ''
    console.log(`${on}summary / bare:  throughput ${spread(r.summary)} (target ≥ 0.6), p99 ${spread(r.p99)}× (target ≤ 1.5)`)
    console.log(`${on}disputes / bare: throughput ${spread(r.disputes)} (target ≥ 0.3)`)
    console.log(`${on}estimates / bare: throughput ${spread(r.estimates)} (target ≥ 0.3)`)
    console.log(
      `${on}health / bare:   throughput ${spread(r.floor)}, p99 ${spread(r.floorP99)}× (no target: the deployed stack's own cost)`,
    )
    console.log(
      `${on}server RSS after the run: ${(rss[i] as number).toFixed(0)} MiB (target < 300); start-up ${server.startup.toFixed(0)} ms (target < 2000)`,
    )
  }
  if (both) {
    console.log('')
    console.log(`postgres / sqlite, summary:  throughput ${spread(pgToSqlite.summary)} (target ≥ 0.6), p99 ${spread(pgToSqlite.p99)}×`)
    console.log(`postgres / sqlite, disputes: throughput ${spread(pgToSqlite.disputes)}`)
    console.log(`postgres / sqlite, estimates: throughput ${spread(pgToSqlite.estimates)}`)
    console.log(`postgres / sqlite, health:   throughput ${spread(pgToSqlite.floor)} (no work but SELECT 1: what a round trip costs)`)
  }
  if (stores.includes('postgres'))
    console.log("(on PostgreSQL, server CPU and RSS are the Node process's alone: the PostgreSQL backends' work is not counted)")
} finally {
  for (const child of children) child.kill('SIGTERM')
  await Promise.all(
    children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())),
  )
  for (const cleanup of cleanups) await cleanup()
}
