import t from 'tap'
import { agreement, figureSummary } from '../../src/engine/figure-summary.js'
import type { FigureClaim, FigureStatement } from '../../src/engine/types.js'
import { day, directory, figure, statement } from './fixtures/claims.js'

const dir = directory([{ id: 's1', name: 'Source One' }])

/** One group: the i-th statement comes from source s{i+1}. */
function summarize(...statements: FigureStatement[]) {
  const claims: FigureClaim[] = statements.map((s, i) =>
    figure({ id: `c${i + 1}`, source_id: `s${i + 1}`, stated_at: day('2020-01-01'), ...s }),
  )
  return figureSummary({ metric: 'killed', population: 'all', party: null, claims }, dir)
}
const exact = (value: number) => statement('exact', { value })
const range = (low: number, high: number | null) => ({ low, high })

t.test('range, points, estimate and common', async (t) => {
  const s = summarize(exact(10), statement('at_least', { value: 5 }), statement('range', { low: 0, high: 20 }))
  t.strictSame(s.range, range(0, null))
  t.strictSame(s.points, { min: 5, max: 10, median: 10 })
  t.strictSame(s.estimate, { value: 10, method: 'median' })
  t.equal(s.consistent, true)
  t.strictSame(s.common, range(10, 10))
  t.equal(s.sources, 3)

  const open = summarize(statement('at_least', { value: 5 }), statement('more_than', { value: 7 }))
  t.strictSame(open.common, range(8, null), 'unbounded common interval')
  t.strictSame(open.range, range(5, null))
  t.equal(open.points.median, 6.5, 'median of an even count is the mean of the middle two')
})

t.test('disagreement levels', async (t) => {
  t.equal(summarize(exact(5)).disagreement.level, 'single_source')
  t.equal(summarize(exact(5), exact(5)).disagreement.level, 'agreement')
  t.equal(
    summarize(exact(5), statement('range', { low: 0, high: 10, best: 5 })).disagreement.level,
    'agreement',
    'different intervals, equal points',
  )
  t.equal(summarize(exact(5), statement('at_most', { value: 9 })).disagreement.level, 'compatible')
  const conflict = summarize(exact(5), statement('more_than', { value: 5 }))
  t.equal(conflict.disagreement.level, 'conflicting')
  t.equal(conflict.consistent, false)
  t.equal(conflict.common, null)
})

t.test('ratio and relative spread are null where they would divide by zero', async (t) => {
  const zeros = summarize(exact(0), exact(0))
  t.strictSame(zeros.disagreement, { level: 'agreement', spread: 0, ratio: null, relative_spread: null })
  const fromZero = summarize(exact(0), exact(10))
  t.strictSame(fromZero.disagreement, {
    level: 'conflicting',
    spread: 10,
    ratio: null,
    relative_spread: 2,
  })
  const even = summarize(exact(0), exact(0), exact(4), exact(8))
  t.equal(even.points.median, 2)
  t.equal(even.disagreement.relative_spread, 4)
  const medianZero = summarize(exact(0), exact(0), exact(8))
  t.equal(medianZero.disagreement.relative_spread, null)
  t.equal(medianZero.disagreement.ratio, null)
})

t.test('agreement: the region covered by the most claims, narrowest, then lowest', async (t) => {
  const found = (low: number, high: number | null, sources: number, share: number) => ({
    low,
    high,
    sources,
    share,
  })
  t.strictSame(agreement([range(0, 10), range(5, 20), range(15, 30)]), found(5, 10, 2, 2 / 3), 'equal width: the lowest')
  t.strictSame(agreement([range(0, 10), range(5, 20), range(18, 30)]), found(18, 20, 2, 2 / 3), 'the narrowest, though higher')
  t.strictSame(
    agreement([range(0, 5), range(6, 10)]),
    found(6, 10, 1, 0.5),
    'regions split where the covering set changes, even when the count does not',
  )
  t.strictSame(agreement([range(10, null), range(20, null)]), found(20, null, 2, 1))
  t.strictSame(
    agreement([range(0, null), range(0, 1e12), range(1e12 + 1, null)]),
    found(0, 1e12, 2, 2 / 3),
    'an unbounded region is the widest',
  )
  t.strictSame(agreement([range(3, 3), range(3, 3)]), found(3, 3, 2, 1))
  t.throws(() => agreement([]))
})

t.test('counted claims: ordered by point then source, numbers as given', async (t) => {
  const s = summarize(
    statement('range', { low: 10, high: 30 }),
    statement('at_least', { value: 25 }),
    statement('range', { low: 0, high: 100, best: 20 }),
    statement('hundreds'),
    exact(5),
  )
  t.strictSame(
    s.claims.map((c) => [c.source_id, c.point]),
    [
      ['s5', 5],
      ['s1', 20],
      ['s3', 20],
      ['s2', 25],
      ['s4', 200],
    ],
  )
  const bySource = new Map(s.claims.map((c) => [c.source_id, c]))
  t.strictSame(bySource.get('s1'), {
    claim_id: 'c1',
    source_id: 's1',
    source_name: 'Source One',
    via: [],
    qualifier: 'range',
    low: 10,
    high: 30,
    interval: range(10, 30),
    point: 20,
    stated_at: day('2020-01-01'),
    quote: null,
    url: null,
  })
  const given = (id: string) => Object.keys(bySource.get(id) ?? {}).filter((k) => ['value', 'low', 'high', 'best'].includes(k))
  t.strictSame(given('s1'), ['low', 'high'], 'no best when none was given')
  t.strictSame(given('s2'), ['value'])
  t.strictSame(given('s3'), ['low', 'high', 'best'])
  t.strictSame(given('s4'), [])
  t.equal(bySource.get('s3')?.best, 20)
  t.equal(bySource.get('s2')?.source_name, 's2', 'an unknown source is named by its id')
})

t.test('an empty group has no summary', async (t) => {
  const empty = { metric: 'killed' as const, population: 'all' as const, party: null, claims: [] }
  t.throws(() => figureSummary(empty, dir))
})
