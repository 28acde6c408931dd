/**
 * npm run bench:history — what a long event costs (#14): one event of N
 * claims (20 sources, 5 figure groups, stated over two years, cumulative
 * figures) loaded through POST /claims/bulk in batches of 20,000, for each N
 * of HISTORY_SIZES (default 1,000, 10,000 and 100,000; `-- --million` adds
 * 1,000,000). For each size it prints, in one run:
 *   - ingest: time, and while the batches land and the background refresher
 *     works, a reader of another event's summary every 50 ms: its p99
 *     latency and how many answers were not 200 (the load shedding's 503s),
 *     and the event-loop delay p99 (perf_hooks.monitorEventLoopDelay);
 *   - the long event's summary as of 20 moments spread over its two years
 *     (median and max), and as of now;
 *   - the timeline of one group exported as NDJSON over HTTP: its steps,
 *     time, size, and the process's peak RSS over its baseline while it is
 *     streamed (the client counts lines, keeping none);
 * then the ratios the issue sets: past summary 100k/1k, timeline time per
 * step of the largest against the smallest.
 *
 * The app runs in this process (as the server would, with its protections
 * and background refresher; no rate limit), on a database file in a
 * temporary folder, so that the event-loop delay measured is the server's.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const SIZES = (process.env.HISTORY_SIZES ?? '1000,10000,100000').split(',').map(Number)
if (process.argv.includes('--million')) SIZES.push(1_000_000)
const BATCH = 20_000
const SOURCES = 20
const GROUPS: Array<{ metric: string; population: string }> = [
  { metric: 'killed', population: 'all' },
  { metric: 'killed', population: 'civilians' },
  { metric: 'killed', population: 'children' },
  { metric: 'injured', population: 'all' },
  { metric: 'displaced', population: 'all' },
]
const START = Date.UTC(2022, 1, 24)
const SPAN = 2 * 365 * 86_400_000

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/** Claim i of n: source i mod 20, group (i / 20) mod 5, stated in order over two years, a figure that grows. */
function claim(i: number, n: number): Record<string, unknown> {
  const group = GROUPS[Math.floor(i / SOURCES) % GROUPS.length] as { metric: string; population: string }
  return {
    event_id: 'long',
    kind: 'figure',
    source_id: `s${i % SOURCES}`,
    stated_at: new Date(START + Math.floor((i / n) * SPAN)).toISOString(),
    ...group,
    qualifier: i % 7 === 0 ? 'at_least' : 'exact',
    value: 100 + Math.floor(i / 10) + (i % SOURCES) * 3,
  }
}

async function timed(app: FastifyInstance, url: string): Promise<{ ms: number; status: number; bytes: number }> {
  const started = performance.now()
  const res = await app.inject({ method: 'GET', url })
  return { ms: performance.now() - started, status: res.statusCode, bytes: res.rawPayload.length }
}

/** GETs a URL and counts its lines and bytes as they arrive, keeping none of them. */
function streamLines(url: string): Promise<{ steps: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode}`))
      let steps = 0
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        for (const byte of chunk) if (byte === 10) steps++
      })
      res.on('end', () => resolve({ steps, bytes }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

interface Result {
  n: number
  ingestS: number
  readerP99: number
  readerNot200: number
  loopP99: number
  pastMedian: number
  pastMax: number
  now: number
  steps: number
  timelineMs: number
  timelineMiB: number
  peakRssMiB: number
}

async function run(n: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'reckon-history-'))
  const config = loadConfig({ RECKON_DB: join(dir, 'reckon.db'), LOG_LEVEL: 'silent', RECKON_RATE_LIMIT: '0' })
  const app = await buildApp({ config, logger: false, backgroundRefresh: true })
  try {
    const origin = await app.listen({ port: 0, host: '127.0.0.1' })
    const post = async (url: string, payload: unknown) => {
      const res = await app.inject({ method: 'POST', url, payload: payload as object })
      if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`)
    }
    await post(
      '/sources/bulk',
      Array.from({ length: SOURCES }, (_, s) => ({ id: `s${s}`, name: `Source ${s}`, kind: 'media' })),
    )
    await post('/events/bulk', [
      { id: 'long', title: 'A long war', occurred_on: '2022-02-24' },
      { id: 'other', title: 'Another event', occurred_on: '2022-03-01' },
    ])
    await post('/events/other/claims', {
      kind: 'figure',
      source_id: 's0',
      stated_at: '2022-03-01',
      metric: 'killed',
      qualifier: 'exact',
      value: 5,
    })

    // Ingest, with a reader of another event every 50 ms and the loop's delay watched.
    const loop = monitorEventLoopDelay({ resolution: 10 })
    const reader: number[] = []
    let not200 = 0
    let reading = true
    const readerDone = (async () => {
      while (reading) {
        const r = await timed(app, '/events/other/summary')
        reader.push(r.ms)
        if (r.status !== 200) not200++
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    loop.enable()
    const ingestStarted = performance.now()
    for (let from = 0; from < n; from += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, n - from) }, (_, k) => claim(from + k, n))
      await post('/claims/bulk', rows)
    }
    const ingestS = (performance.now() - ingestStarted) / 1000
    // The refresher's work after the last batch, then a second of reads.
    await app.inject({ method: 'GET', url: '/events?limit=1' })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    reading = false
    await readerDone
    loop.disable()

    const past: number[] = []
    for (let k = 0; k < 20; k++) {
      const at = new Date(START + Math.floor(((k + 0.5) / 20) * SPAN)).toISOString()
      past.push((await timed(app, `/events/long/summary?as_of=${encodeURIComponent(at)}`)).ms)
    }
    const now = (await timed(app, '/events/long/summary')).ms

    // The timeline of one group, exported as NDJSON over HTTP (streamed: the client counts lines and bytes, keeping none),
    // with the process's RSS sampled while it goes out.
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss)
    }, 5)
    const started = performance.now()
    const { steps, bytes } = await streamLines(`${origin}/events/long/timeline?metric=killed&population=all&format=ndjson`)
    const timelineMs = performance.now() - started
    clearInterval(sampler)
    peak = Math.max(peak, process.memoryUsage().rss)

    return {
      n,
      ingestS,
      readerP99: percentile(reader, 99),
      readerNot200: not200,
      loopP99: loop.percentile(99) / 1e6,
      pastMedian: percentile(past, 50),
      pastMax: Math.max(...past),
      now,
      steps,
      timelineMs,
      timelineMiB: bytes / 1024 / 1024,
      peakRssMiB: (peak - baseline) / 1024 / 1024,
    }
  } finally {
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const results: Result[] = []
console.log(`node ${process.version}; sizes ${SIZES.join(', ')}; batches of ${BATCH}`)
for (const n of SIZES) {
  const r = await run(n)
  results.push(r)
  console.log(
    `${String(n).padStart(9)} claims | ingest ${r.ingestS.toFixed(1)} s, reader p99 ${r.readerP99.toFixed(0)} ms, ${r.readerNot200} not 200, ` +
      `loop delay p99 ${r.loopP99.toFixed(0)} ms | summary as of a past moment ${r.pastMedian.toFixed(1)} / ${r.pastMax.toFixed(1)} ms (median / max), ` +
      `now ${r.now.toFixed(1)} ms | timeline ${r.steps} steps ${r.timelineMs.toFixed(0)} ms ${r.timelineMiB.toFixed(1)} MiB, peak RSS +${r.peakRssMiB.toFixed(0)} MiB`,
  )
}
const first = results[0]
const last = results[results.length - 1]
if (first && last && last !== first) {
  console.log(`past summary ${last.n}/${first.n}: ${(last.pastMedian / first.pastMedian).toFixed(2)}× (median), target ≤ 2`)
  console.log(
    `timeline ${last.steps} steps / ${first.steps} steps: ${(last.timelineMs / first.timelineMs).toFixed(1)}× the time for ${(last.steps / first.steps).toFixed(0)}× the steps, target ≤ 150× for 100×`,
  )
}
