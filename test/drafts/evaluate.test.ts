/**
 * The drafts' evaluation (drafts/evaluate.ts, npm run eval:drafts): how it
 * scores, on a corpus made here, and the aims of #17 held on the
 * development corpora in test/fixtures (figures ≥ 0.9, attributions ≥ 0.8,
 * precision and recall). The held-out set's figures are reported by
 * `npm run eval:drafts`, not held here: it is not tuned on.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { type Corpus, evaluate } from '../../src/drafts/evaluate.js'

const read = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as Corpus

t.test('scores: a figure drafted twice counts once; a wrong one is extra; a missing one is missed', async (t) => {
  const corpus: Corpus = {
    provenance: 'made here',
    directory: {
      sources: [{ id: 'who', name: 'World Health Organization', aliases: ['WHO'], affiliated_actor_id: null, kind: 'igo' }],
      actors: [],
    },
    items: [
      {
        id: 'a',
        text: 'The WHO said 58 people were killed and 12 were injured.',
        published_at: '2020-01-01T00:00:00Z',
        publisher_id: null,
        figures: [
          { source_id: 'who', metric: 'killed', population: 'all', qualifier: 'exact', value: 58 },
          { source_id: 'who', metric: 'injured', population: 'all', qualifier: 'exact', value: 13 },
          { source_id: 'who', metric: 'missing', population: 'all', qualifier: 'exact', value: 2 },
        ],
        attributions: [],
      },
    ],
  }
  const result = evaluate(corpus)
  t.strictSame(result.figures, { expected: 3, drafted: 2, matched: 1, precision: 0.5, recall: 1 / 3 })
  t.strictSame(result.attributions, { expected: 0, drafted: 0, matched: 0, precision: 1, recall: 1 })
  t.strictSame(result.misses, [
    {
      id: 'a',
      missed: ['["who","injured","all",null,"exact",13,null,null]', '["who","missing","all",null,"exact",2,null,null]'],
      extra: ['["who","injured","all",null,"exact",12,null,null]'],
    },
  ])
})

for (const name of ['drafts-corpus.json', 'drafts-corpus-2.json', 'drafts-corpus-3.json']) {
  t.test(`${name}: the aims of #17`, async (t) => {
    const corpus = read(name)
    const sentences = corpus.items.length
    const { figures, attributions } = evaluate(corpus)
    t.comment(
      `${name}: figures P ${figures.precision.toFixed(3)} R ${figures.recall.toFixed(3)}; attributions P ${attributions.precision.toFixed(3)} R ${attributions.recall.toFixed(3)}`,
    )
    t.ok(figures.precision >= 0.9 && figures.recall >= 0.9, `figures: precision ${figures.precision} and recall ${figures.recall} ≥ 0.9`)
    t.ok(
      attributions.precision >= 0.8 && attributions.recall >= 0.8,
      `attributions: precision ${attributions.precision} and recall ${attributions.recall} ≥ 0.8`,
    )
    t.ok(sentences >= 30, `${sentences} items`)
  })
}

t.test('the corpora together hold at least 60 sentences, each with its provenance', async (t) => {
  const all = ['drafts-corpus.json', 'drafts-corpus-2.json', 'drafts-corpus-3.json', 'drafts-heldout.json'].map(read)
  t.ok(all.reduce((n, c) => n + c.items.length, 0) >= 60)
  for (const c of all) t.match(c.provenance, /not quotations/)
  t.ok(
    all.every((c) => c.items.every((i) => typeof (i as { modelled_on?: unknown }).modelled_on === 'string')),
    'each item names what it is modelled on',
  )
})
