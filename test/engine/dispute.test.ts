import t from 'tap'
import { NO_FIGURES_RANK, disputeOf, toDispute } from '../../src/engine/dispute.js'
import type { AttributionSummary, DisagreementLevel, FigureSummary, Interval } from '../../src/engine/types.js'

/** A figure group with what the block reads; the rest is filler. */
function group(
  metric: FigureSummary['metric'],
  population: FigureSummary['population'],
  party: string | null,
  level: DisagreementLevel,
  relativeSpread: number | null,
  range: Interval,
): FigureSummary {
  return {
    metric,
    population,
    party,
    sources: 2,
    range,
    points: { min: 0, max: 0, median: 0 },
    estimate: { value: 0, method: 'median' },
    consistent: true,
    common: null,
    agreement: { low: 0, high: null, sources: 0, share: 0 },
    disagreement: { level, spread: 0, ratio: null, relative_spread: relativeSpread },
    claims: [],
  }
}

const attribution = (status: AttributionSummary['status']): AttributionSummary => ({ status, sources: 0, entropy: 0, actors: [] })

t.test('no figure: no level, the rank below every level, no range', async (t) => {
  const row = disputeOf('e', { figures: [], attribution: attribution('none'), claims_total: 0 }, '2017-04-06T00:00:00.000Z')
  t.strictSame(row, {
    event_id: 'e',
    level: null,
    level_rank: NO_FIGURES_RANK,
    relative_spread: null,
    killed_low: null,
    killed_high: null,
    killed_counted: 0,
    attribution_status: 'none',
    claims: 0,
    computed_at: '2017-04-06T00:00:00.000Z',
  })
  t.strictSame(toDispute(row), { level: null, relative_spread: null, range: null, status: 'none', claims: 0 })
})

t.test(
  'the most disputed group: the higher level, then the higher relative_spread, null below every number, the first among equals',
  async (t) => {
    const at = '2017-04-06T00:00:00.000Z'
    const of = (figures: FigureSummary[]) => disputeOf('e', { figures, attribution: attribution('contested'), claims_total: 9 }, at)
    const r = { low: 1, high: 2 }
    t.match(of([group('killed', 'all', null, 'agreement', 0.9, r), group('injured', 'all', null, 'conflicting', 0.1, r)]), {
      level: 'conflicting',
      level_rank: 3,
      relative_spread: 0.1,
    })
    t.match(of([group('killed', 'all', null, 'compatible', null, r), group('injured', 'all', null, 'compatible', 0.2, r)]), {
      level: 'compatible',
      relative_spread: 0.2,
    })
    t.match(of([group('killed', 'all', null, 'compatible', 0.2, r), group('injured', 'all', null, 'compatible', null, r)]), {
      relative_spread: 0.2,
    })
    t.match(of([group('killed', 'all', null, 'single_source', null, r), group('injured', 'all', null, 'single_source', null, r)]), {
      level: 'single_source',
      level_rank: 0,
      relative_spread: null,
    })
  },
)

t.test('the range is the killed/all group without a party; an unbounded one keeps its null high', async (t) => {
  const at = '2017-04-06T00:00:00.000Z'
  const figures = [
    group('killed', 'all', 'party-a', 'conflicting', 0.5, { low: 1, high: 5 }),
    group('killed', 'children', null, 'agreement', 0, { low: 2, high: 3 }),
    group('killed', 'all', null, 'agreement', 0, { low: 58, high: null }),
  ]
  const row = disputeOf('e', { figures, attribution: attribution('uncontested'), claims_total: 4 }, at)
  t.match(row, { killed_low: 58, killed_high: null, killed_counted: 1, level: 'conflicting' })
  t.strictSame(toDispute(row), {
    level: 'conflicting',
    relative_spread: 0.5,
    range: { low: 58, high: null },
    status: 'uncontested',
    claims: 4,
  })
  // Without a counted group, no range, whatever the columns hold.
  t.equal(toDispute({ ...row, killed_counted: 0 }).range, null)
})
