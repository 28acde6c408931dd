/**
 * npm run bench:export — streams every claim of the benchmark database
 * (npm run bench:data: 1,000,000 claims) out of a real server as CSV and as
 * NDJSON, sampling the server's resident memory (VmRSS) as it goes: exports
 * must keep memory flat however many rows.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { BENCH_DB, generate } from './data.js'
import { rssMiB, waitForHealth } from './process.js'

/** A benchmark measures throughput: no rate limit, and no shedding while a large batch holds the event loop. */
const UNLIMITED = { RECKON_RATE_LIMIT: '0', RECKON_MAX_EVENT_LOOP_DELAY_MS: '0' }

const PORT = Number(process.env.BENCH_PORT ?? 3998)

if (!existsSync(BENCH_DB)) {
  console.log(`generating ${BENCH_DB} (npm run bench:data)…`)
  await generate(BENCH_DB, 100_000, 10)
}
const server = spawn(process.execPath, ['dist/server.js'], {
  env: { ...process.env, PORT: String(PORT), RECKON_DB: BENCH_DB, LOG_LEVEL: 'warn', RECKON_API_KEYS: '', ...UNLIMITED },
  stdio: 'inherit',
})
const pid = server.pid
if (pid === undefined) throw new Error('no server process')
const base = `http://127.0.0.1:${PORT}`
try {
  await waitForHealth(`${base}/health`)
  await fetch(`${base}/claims?limit=1`)
  const idle = rssMiB(pid)
  console.log(`server RSS after start: ${idle.toFixed(0)} MiB`)
  for (const format of ['csv', 'ndjson']) {
    let peak = rssMiB(pid)
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(pid))
    }, 50)
    const start = process.hrtime.bigint()
    const res = await fetch(`${base}/claims?format=${format}`)
    if (!res.body) throw new Error('no body')
    let bytes = 0
    let lines = 0
    const milestones: string[] = []
    let nextMilestone = 200_000
    for await (const chunk of res.body) {
      bytes += chunk.length
      for (const b of chunk) if (b === 10) lines++
      if (lines >= nextMilestone) {
        milestones.push(`${nextMilestone / 1000}k: ${rssMiB(pid).toFixed(0)}`)
        nextMilestone += 200_000
      }
    }
    clearInterval(sampler)
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const rows = format === 'csv' ? lines - 1 : lines
    console.log(
      `GET /claims?format=${format.padEnd(6)} ${rows} rows, ${(bytes / 1048576).toFixed(0)} MiB in ${seconds.toFixed(1)} s ` +
        `(${(rows / seconds).toFixed(0)} rows/s); server RSS peak ${peak.toFixed(0)} MiB (${(peak - idle).toFixed(0)} MiB over idle)`,
    )
    console.log(`  RSS (MiB) as rows went out: ${milestones.join(', ')}`)
  }
} finally {
  server.kill('SIGTERM')
}
