/**
 * npm run eval:drafts — the drafts' precision and recall (#17; drafts/evaluate.ts)
 * on the labelled corpora in test/fixtures: drafts-corpus.json,
 * drafts-corpus-2.json and drafts-corpus-3.json, the development sets (the
 * rules were improved on their misses), and drafts-heldout.json, written
 * before the engine was run on it and not used to change it. `-- --misses`
 * lists each miss. The aims (figures ≥ 0.9, attributions ≥ 0.8, precision
 * and recall) are checked on the development set: exit 1 when one is not met.
 */
import { readFileSync } from 'node:fs'
import { type Corpus, type Evaluation, type Score, evaluate } from '../src/drafts/evaluate.js'

const read = (name: string) => JSON.parse(readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), 'utf8')) as Corpus
const met = (s: Score, aim: number) => s.precision >= aim && s.recall >= aim
const line = (name: string, s: Score, aim: number) =>
  `  ${name.padEnd(13)} precision ${s.precision.toFixed(3)} (${s.matched}/${s.drafted})  recall ${s.recall.toFixed(3)} (${s.matched}/${s.expected})  aim ≥ ${aim}: ${met(s, aim) ? 'met' : 'NOT met'}`

function report(title: string, result: Evaluation): void {
  console.log(`${title}: ${result.items} items`)
  console.log(line('figures', result.figures, 0.9))
  console.log(line('attributions', result.attributions, 0.8))
  if (!process.argv.includes('--misses')) return
  for (const m of result.misses) {
    console.log(`  ${m.id}`)
    for (const x of m.missed) console.log(`    missed ${x}`)
    for (const x of m.extra) console.log(`    extra  ${x}`)
  }
}

const development = evaluate(read('drafts-corpus.json'))
report('development set (test/fixtures/drafts-corpus.json)', development)
report('second development set (test/fixtures/drafts-corpus-2.json)', evaluate(read('drafts-corpus-2.json')))
report('third development set (test/fixtures/drafts-corpus-3.json)', evaluate(read('drafts-corpus-3.json')))
report('held-out set (test/fixtures/drafts-heldout.json)', evaluate(read('drafts-heldout.json')))
process.exitCode = met(development.figures, 0.9) && met(development.attributions, 0.8) ? 0 : 1
