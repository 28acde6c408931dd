/**
 * agreementLabel for a group of one source. The chart itself draws no band
 * for one source (and describeFigures words that case on its own), so only a
 * direct caller of the exported function meets this label.
 */
import t from 'tap'
import { agreementLabel } from '../../src/charts/figure-chart.js'
import type { FigureSummary } from '../../src/engine/types.js'

/** Contract §8, killed/children as of 2017-04-06: SOHR alone, exact 11. */
const killedChildren: FigureSummary = {
  metric: 'killed',
  population: 'children',
  party: null,
  sources: 1,
  range: { low: 11, high: 11 },
  points: { min: 11, max: 11, median: 11 },
  estimate: { value: 11, method: 'median' },
  consistent: true,
  common: { low: 11, high: 11 },
  agreement: { low: 11, high: 11, sources: 1, share: 1 },
  disagreement: { level: 'single_source', spread: 0, ratio: 1, relative_spread: 0 },
  claims: [
    {
      claim_id: 'claim-2',
      source_id: 'sohr',
      source_name: 'Syrian Observatory for Human Rights',
      via: ['reuters', 'tass'],
      qualifier: 'exact',
      value: 11,
      interval: { low: 11, high: 11 },
      point: 11,
      stated_at: '2017-04-04T00:00:00.000Z',
      quote: null,
      url: null,
    },
  ],
}

t.test('one source: the label says so and gives the range its figure allows', async (t) => {
  t.equal(agreementLabel(killedChildren), 'one source: 11')
  // Contract §8, affected/all: WHO's "hundreds" alone is [200, 999].
  t.equal(
    agreementLabel({ ...killedChildren, metric: 'affected', population: 'all', agreement: { low: 200, high: 999, sources: 1, share: 1 } }),
    'one source: 200–999',
  )
  t.equal(
    agreementLabel({ ...killedChildren, agreement: { low: 70, high: null, sources: 1, share: 1 } }),
    'one source: 70 or more',
    'an open figure (at least 70)',
  )
})
