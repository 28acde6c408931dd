/**
 * npm run bench:drafts — drafting throughput (#17) on 1 MB of news text: the
 * TASS report of contract §8 and the sentences of the evaluation corpus
 * (test/fixtures/drafts-corpus.json), repeated to 1,000,000 bytes, with the
 * §8 sources and actors and the corpus's directory. Prints, in one run:
 *   - the baseline: the same text only split into sentences and tokens
 *     (what any reading of it costs);
 *   - the engine (drafts/draft.ts) in this process;
 *   - POST /drafts through the app (JSON in, JSON out, in process);
 * each as MB/s (median of ROUNDS, default 5) and the ratio to the baseline.
 * The aim: at least 1 MB/s.
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { loadFixture, readFixture } from '../src/demo/load-fixture.js'
import { draftClaims } from '../src/drafts/draft.js'
import { english } from '../src/drafts/english.js'
import type { Corpus } from '../src/drafts/evaluate.js'
import { draftDirectory } from '../src/drafts/names.js'

const ROUNDS = Number(process.env.ROUNDS ?? 5)
const BYTES = 1_000_000

const corpus = JSON.parse(readFileSync(new URL('../test/fixtures/drafts-corpus.json', import.meta.url), 'utf8')) as Corpus
const tass = readFileSync(new URL('../fixtures/khan-shaykhun-tass-2017-04-06.txt', import.meta.url), 'utf8')
const unit = [tass, ...corpus.items.map((i) => i.text)].join('\n')
let text = ''
while (Buffer.byteLength(text) < BYTES) text += `${unit}\n`
text = Buffer.from(text)
  .subarray(0, BYTES)
  .toString('utf8')
  .replace(/\uFFFD$/, '')
const bytes = Buffer.byteLength(text)

const fixture = readFixture()
type Named = { id: string; name: string; aliases?: string[]; affiliated_actor_id?: string | null; kind?: string }
const named = (r: Named) => ({
  id: r.id,
  names: [r.name, ...(r.aliases ?? [])],
  affiliated_actor_id: r.affiliated_actor_id ?? null,
  kind: r.kind ?? 'other',
})
const directory = draftDirectory(
  [...(fixture.sources as Named[]), ...corpus.directory.sources].map(named),
  [...(fixture.actors as Named[]), ...corpus.directory.actors].map(named),
)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1] as number
}
function rate(label: string, run: () => unknown | Promise<unknown>) {
  return async () => {
    await run() // warm-up
    const times: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now()
      await run()
      times.push(performance.now() - start)
    }
    const seconds = median(times) / 1000
    return { label, seconds, mbps: bytes / 1e6 / seconds }
  }
}

let drafted = 0
const baseline = await rate('baseline: sentences and tokens only', () => {
  let n = 0
  for (const line of text.split('\n'))
    for (const s of english.sentences(line)) n += english.tokens(line.slice(s.start, s.end), s.start).length
  return n
})()
const engine = await rate('engine: draftClaims', () => {
  drafted = draftClaims(
    { text, published_at: '2017-04-06T00:00:00.000Z', url: null, publisher_id: 'tass', event: null },
    directory,
    english,
  ).drafts.length
})()
const app = await buildApp({ config: loadConfig({ RECKON_DB: ':memory:', RECKON_RATE_LIMIT: '0' } as NodeJS.ProcessEnv), logger: false })
await loadFixture(app, fixture)
const payload = JSON.stringify({ text, published_at: '2017-04-06', publisher_id: 'tass' })
const http = await rate('POST /drafts (in process)', async () => {
  const res = await app.inject({ method: 'POST', url: '/drafts', headers: { 'content-type': 'application/json' }, payload })
  if (res.statusCode !== 200) throw new Error(`POST /drafts: ${res.statusCode} ${res.body.slice(0, 300)}`)
})()
await app.close()

console.log(
  `node ${process.version}; ${bytes.toLocaleString('en')} bytes of text, ${ROUNDS} rounds (median); ${drafted.toLocaleString('en')} drafts`,
)
for (const r of [baseline, engine, http]) {
  console.log(
    `${r.label.padEnd(40)} ${(r.seconds * 1000).toFixed(0).padStart(6)} ms  ${r.mbps.toFixed(2).padStart(6)} MB/s  ${(baseline.seconds / r.seconds).toFixed(2)}× the baseline's rate`,
  )
}
console.log(`aim ≥ 1 MB/s: engine ${engine.mbps >= 1 ? 'met' : 'NOT met'}, POST /drafts ${http.mbps >= 1 ? 'met' : 'NOT met'}`)
