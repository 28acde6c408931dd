/**
 * npm run eval:drafts — the drafts' precision and recall on the labelled
 * corpus (test/fixtures/drafts-corpus.json; drafts/evaluate.ts), with each
 * item's misses (`-- --misses`). The aims (#17): figures ≥ 0.9, attributions
 * ≥ 0.8, both precision and recall; exits 1 when one is not met.
 */
import { readFileSync } from 'node:fs'
import { type Corpus, evaluate } from '../src/drafts/evaluate.js'

const corpus = JSON.parse(readFileSync(new URL('../test/fixtures/drafts-corpus.json', import.meta.url), 'utf8')) as Corpus
const result = evaluate(corpus)
const line = (name: string, s: typeof result.figures, aim: number) =>
  `${name.padEnd(13)} precision ${s.precision.toFixed(3)} (${s.matched}/${s.drafted})  recall ${s.recall.toFixed(3)} (${s.matched}/${s.expected})  aim ≥ ${aim}: ${s.precision >= aim && s.recall >= aim ? 'met' : 'NOT met'}`
console.log(`${result.items} items (${corpus.provenance.split('.')[0]}.)`)
console.log(line('figures', result.figures, 0.9))
console.log(line('attributions', result.attributions, 0.8))
if (process.argv.includes('--misses')) {
  for (const m of result.misses) {
    console.log(`\n${m.id}`)
    for (const x of m.missed) console.log(`  missed ${x}`)
    for (const x of m.extra) console.log(`  extra  ${x}`)
  }
}
const met = (s: typeof result.figures, aim: number) => s.precision >= aim && s.recall >= aim
process.exitCode = met(result.figures, 0.9) && met(result.attributions, 0.8) ? 0 : 1
