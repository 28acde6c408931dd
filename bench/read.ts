/**
 * npm run bench:read — what dashboards do, on the benchmark database
 * (npm run bench:data: 100,000 events, 1,000,000 claims), measured with
 * autocannon in one run against:
 *   1. a bare Fastify route answering a constant JSON as large as a summary (the ceiling),
 *   2. GET /events/{id}/summary over random events,
 *   3. GET /events?sort=-dispute&limit=50,
 *   4. GET /health on the same server: no database, no ETag — what the
 *      deployed stack (logging, security headers, rate limiter, load
 *      shedding, keys) costs a request before any route does its work,
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
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { BENCH_DB, generate } from './data.js'
import { rssMiB, waitForHealth } from './process.js'

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.ROUNDS ?? 20)
const SLICE = Number(process.env.SLICE ?? 3)
const WARMUP = Number(process.env.WARMUP ?? 5)
const EVENTS = Number(process.env.EVENTS ?? 100_000)
const APP_PORT = 3996
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
  return `${t.title.padEnd(42)} ${rps.toFixed(0).padStart(7)} req/s  p50 ${median(t.slices.map((s) => s.p50))} ms  p99 ${median(t.slices.map((s) => s.p99))} ms  server CPU ${cpu.toFixed(0)} µs/req  errors ${errors}`
}

/** The median, lowest and highest of per-round ratios. */
function spread(values: readonly number[]): string {
  return `${median(values).toFixed(2)} (rounds ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
}

if (!existsSync(BENCH_DB)) {
  console.log(`generating ${BENCH_DB} (npm run bench:data)…`)
  await generate(BENCH_DB, EVENTS, 10)
}

const children: ChildProcess[] = []
try {
  const started = process.hrtime.bigint()
  const app = spawn(process.execPath, ['dist/server.js'], {
    // The rate limiter runs (its cost is measured) with a limit no run reaches.
    env: {
      ...process.env,
      PORT: String(APP_PORT),
      RECKON_DB: BENCH_DB,
      LOG_LEVEL: 'warn',
      RECKON_API_KEYS: '',
      RECKON_RATE_LIMIT: '1000000000',
    },
    stdio: 'inherit',
  })
  children.push(app)
  await waitForHealth(`http://127.0.0.1:${APP_PORT}/health`)
  const startup = Number(process.hrtime.bigint() - started) / 1e6
  const base = `http://127.0.0.1:${APP_PORT}`
  const sample = await (await fetch(`${base}/events/event-1/summary`)).text()

  const bare = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
    env: { ...process.env, PORT: String(BARE_PORT), BODY_BYTES: String(Buffer.byteLength(sample)) },
    stdio: 'inherit',
  })
  children.push(bare)
  await waitForHealth(`http://127.0.0.1:${BARE_PORT}/health`)

  console.log(
    `${EVENTS} events; a summary is ${Buffer.byteLength(sample)} bytes; ${CONNECTIONS} connections; ${WARMUP} s warm-up each, then ${ROUNDS} rounds of ${SLICE} s slices; start-up ${startup.toFixed(0)} ms`,
  )
  const appPid = app.pid as number
  const ceiling = target('bare Fastify route (constant JSON)', `http://127.0.0.1:${BARE_PORT}/constant`, bare.pid as number)
  const summary = target(
    'GET /events/{id}/summary (random events)',
    base,
    appPid,
    () => `/events/event-${Math.floor(Math.random() * EVENTS)}/summary`,
  )
  const disputes = target('GET /events?sort=-dispute&limit=50', `${base}/events?sort=-dispute&limit=50`, appPid)
  const floor = target('GET /health (the stack, no database)', `${base}/health`, appPid)
  const targets = [ceiling, summary, disputes, floor]
  if (WARMUP > 0) for (const t of targets) await autocannon({ ...t.options, duration: WARMUP })
  const ratios = { summary: [] as number[], p99: [] as number[], disputes: [] as number[], floor: [] as number[], floorP99: [] as number[] }
  for (let round = 1; round <= ROUNDS; round++) {
    // bare, summary, list, health; then health, list, summary, bare: the summary always next to the bare route.
    const order = round % 2 === 1 ? targets : [...targets].reverse()
    const got = new Map<Target, Slice>()
    for (const t of order) got.set(t, await slice(t))
    const [b, s, d, h] = [got.get(ceiling), got.get(summary), got.get(disputes), got.get(floor)] as [Slice, Slice, Slice, Slice]
    ratios.summary.push(s.rps / b.rps)
    ratios.p99.push(s.p99 / b.p99)
    ratios.disputes.push(d.rps / b.rps)
    ratios.floor.push(h.rps / b.rps)
    ratios.floorP99.push(h.p99 / b.p99)
    console.log(
      `round ${String(round).padStart(2)}: bare ${b.rps.toFixed(0).padStart(6)} req/s p99 ${b.p99} ms | summary ${s.rps.toFixed(0).padStart(6)} req/s p99 ${s.p99} ms (${(s.rps / b.rps).toFixed(2)}, p99 ${(s.p99 / b.p99).toFixed(2)}×) | list ${d.rps.toFixed(0).padStart(6)} req/s (${(d.rps / b.rps).toFixed(2)}) | health ${h.rps.toFixed(0).padStart(6)} req/s (${(h.rps / b.rps).toFixed(2)})`,
    )
  }
  const rss = rssMiB(appPid)
  console.log('')
  console.log('medians over the rounds:')
  for (const t of targets) console.log(figures(t))
  console.log('')
  console.log(`summary / bare:  throughput ${spread(ratios.summary)} (target ≥ 0.6), p99 ${spread(ratios.p99)}× (target ≤ 1.5)`)
  console.log(`disputes / bare: throughput ${spread(ratios.disputes)} (target ≥ 0.3)`)
  console.log(
    `health / bare:   throughput ${spread(ratios.floor)}, p99 ${spread(ratios.floorP99)}× (no target: the deployed stack's own cost)`,
  )
  console.log(`server RSS after the run: ${rss.toFixed(0)} MiB (target < 300); start-up ${startup.toFixed(0)} ms (target < 2000)`)
} finally {
  for (const child of children) child.kill('SIGTERM')
}
