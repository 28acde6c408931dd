/**
 * npm run bench:read — what dashboards do, on the benchmark database
 * (npm run bench:data: 100,000 events, 1,000,000 claims), measured with
 * autocannon in one run against:
 *   1. a bare Fastify route answering a constant JSON as large as a summary (the ceiling),
 *   2. GET /events/{id}/summary over random events,
 *   3. GET /events?sort=-dispute&limit=50,
 * printing requests/s, p50 and p99 latency and each ratio to the bare route,
 * with the server's RSS and start-up time. The load generator shares the
 * machine's cores with the server: only the ratios mean much. Each target
 * first gets WARMUP seconds of the same load, not measured (JIT, SQLite's
 * page cache, the heap's size: what a server that has been running has).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { BENCH_DB, generate } from './data.js'

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50)
const DURATION = Number(process.env.DURATION ?? 10)
const WARMUP = Number(process.env.WARMUP ?? 10)
const EVENTS = Number(process.env.EVENTS ?? 100_000)
const APP_PORT = 3996
const BARE_PORT = 3995

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  return kb / 1024
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${url} did not answer`)
}

/** CPU seconds (user + system) the process has used: with the load generator on the same cores, per-request CPU is steadier than req/s. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

interface Figures {
  rps: number
  p50: number
  p99: number
  errors: number
  /** Server CPU per request, µs. */
  cpu: number
}

async function load(title: string, url: string, pid: number, paths?: () => string): Promise<Figures> {
  const options = {
    url,
    connections: CONNECTIONS,
    ...(paths ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: paths() }) }] } : {}),
  }
  if (WARMUP > 0) await autocannon({ ...options, duration: WARMUP })
  const cpuBefore = cpuSeconds(pid)
  const result = await autocannon({ ...options, duration: DURATION })
  const figures = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpu: ((cpuSeconds(pid) - cpuBefore) / result.requests.total) * 1e6,
  }
  console.log(
    `${title.padEnd(42)} ${figures.rps.toFixed(0).padStart(7)} req/s  p50 ${figures.p50} ms  p99 ${figures.p99} ms  server CPU ${figures.cpu.toFixed(0)} µs/req  errors ${figures.errors}`,
  )
  return figures
}

if (!existsSync(BENCH_DB)) {
  console.log(`generating ${BENCH_DB} (npm run bench:data)…`)
  generate(BENCH_DB, EVENTS, 10)
}

const children: ChildProcess[] = []
try {
  const started = process.hrtime.bigint()
  const app = spawn(process.execPath, ['dist/server.js'], {
    // The rate limiter runs (its cost is measured) with a limit no run reaches.
    env: { ...process.env, PORT: String(APP_PORT), RECKON_DB: BENCH_DB, LOG_LEVEL: 'warn', RECKON_API_KEYS: '', RECKON_RATE_LIMIT: '1000000000' },
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

  console.log(`${EVENTS} events; a summary is ${Buffer.byteLength(sample)} bytes; ${CONNECTIONS} connections, ${DURATION} s each; start-up ${startup.toFixed(0)} ms`)
  const appPid = app.pid as number
  const ceiling = await load('bare Fastify route (constant JSON)', `http://127.0.0.1:${BARE_PORT}/constant`, bare.pid as number)
  const summary = await load('GET /events/{id}/summary (random events)', base, appPid, () => `/events/event-${Math.floor(Math.random() * EVENTS)}/summary`)
  const disputes = await load('GET /events?sort=-dispute&limit=50', `${base}/events?sort=-dispute&limit=50`, appPid)
  const rss = rssMiB(appPid)
  console.log('')
  console.log(
    `summary / bare:  throughput ${(summary.rps / ceiling.rps).toFixed(2)} (target ≥ 0.6), p99 ${(summary.p99 / ceiling.p99).toFixed(2)}× (target ≤ 1.5), server CPU per request ${(summary.cpu / ceiling.cpu).toFixed(2)}×`,
  )
  console.log(`disputes / bare: throughput ${(disputes.rps / ceiling.rps).toFixed(2)} (target ≥ 0.3)`)
  console.log(`server RSS after the run: ${rss.toFixed(0)} MiB (target < 300); start-up ${startup.toFixed(0)} ms (target < 2000)`)
} finally {
  for (const child of children) child.kill('SIGTERM')
}
