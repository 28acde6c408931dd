import fc from 'fast-check'
import t from 'tap'
import { figureSummaries } from '../../src/engine/figure-summary.js'
import { asKnownAt } from '../../src/engine/known-at.js'
import { figureTimeline, type GroupKey } from '../../src/engine/timeline.js'
import { WORLD, claimsArb, day, figure, holds } from './fixtures/claims.js'

const KILLED_ALL: GroupKey = { metric: 'killed', population: 'all', party: null }

t.test('a timeline step equals the summary as of its moment (property)', async (t) => {
  for (const key of [KILLED_ALL, { ...KILLED_ALL, population: 'children' as const }]) {
    holds(
      t,
      `every step of ${key.population}`,
      fc.property(claimsArb('both', 16), (claims) => {
        const steps = figureTimeline(claims, key, WORLD)
        const moments = new Set(
          claims.filter((c) => c.kind === 'figure' && c.population === key.population && c.retraction === null).map((c) => c.stated_at),
        )
        if (steps.length !== moments.size) return false
        return steps.every((step, i) => {
          if (i > 0 && (steps[i - 1]?.at ?? '') >= step.at) return false
          const expected = figureSummaries(claims, step.at, WORLD).find((g) => g.population === key.population) ?? null
          return JSON.stringify(step.summary) === JSON.stringify(expected)
        })
      }),
    )
  }
})

t.test('the §8 killed/all group moves from SOHR alone to conflicting', async (t) => {
  const claims = [
    figure({ id: 'sohr-58', source_id: 'sohr', stated_at: day('2017-04-04'), qualifier: 'exact', value: 58 }),
    figure({ id: 'who-70', source_id: 'who', stated_at: day('2017-04-05'), qualifier: 'at_least', value: 70 }),
    figure({ id: 'kids', source_id: 'sohr', stated_at: day('2017-04-06'), qualifier: 'exact', value: 11, population: 'children' }),
  ]
  const steps = figureTimeline(claims, KILLED_ALL, WORLD)
  t.strictSame(
    steps.map((s) => s.at),
    [day('2017-04-04'), day('2017-04-05')],
    'one step per distinct stated_at of the group only',
  )
  t.strictSame(
    steps.map((s) => s.summary?.disagreement.level),
    ['single_source', 'conflicting'],
  )
  t.strictSame(steps[1]?.summary?.points, { min: 58, max: 70, median: 64 })
})

t.test('a correction in another group empties a step; retracted claims make no step', async (t) => {
  const claims = [
    figure({ id: 'a', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 5 }),
    figure({
      id: 'b',
      source_id: 's1',
      stated_at: day('2020-01-02'),
      qualifier: 'exact',
      value: 5,
      population: 'children',
      supersedes: 'a',
    }),
    figure({ id: 'c', source_id: 's2', stated_at: day('2020-01-03'), qualifier: 'exact', value: 9 }),
    figure({
      id: 'd',
      source_id: 's3',
      stated_at: day('2020-01-04'),
      qualifier: 'exact',
      value: 1,
      retraction: { at: day('2020-02-01'), reason: 'x' },
    }),
  ]
  const steps = figureTimeline(claims, KILLED_ALL, WORLD)
  t.strictSame(
    steps.map((s) => s.at),
    [day('2020-01-01'), day('2020-01-03')],
  )
  t.strictSame(
    steps.map((s) => s.summary?.claims.map((c) => c.claim_id)),
    [['a'], ['c']],
    'a is superseded by the 3rd',
  )
})

t.test('known_at: what the database held then', async (t) => {
  const claims = [
    figure({
      id: 'a',
      source_id: 's1',
      stated_at: day('2020-01-01'),
      recorded_at: day('2020-01-05'),
      qualifier: 'exact',
      value: 5,
      retraction: { at: day('2020-01-10'), reason: 'dup' },
    }),
    figure({ id: 'b', source_id: 's2', stated_at: day('2020-01-01'), recorded_at: day('2020-01-08'), qualifier: 'exact', value: 7 }),
  ]
  t.strictSame(asKnownAt(claims, day('2020-01-04')), [], 'nothing recorded yet')
  const before = asKnownAt(claims, day('2020-01-06'))
  t.strictSame(
    before.map((c) => [c.id, c.retraction]),
    [['a', null]],
    'recorded, not yet retracted: it still counts',
  )
  const later = asKnownAt(claims, day('2020-01-10'))
  t.strictSame(
    later.map((c) => [c.id, c.retraction?.reason ?? null]),
    [
      ['a', 'dup'],
      ['b', null],
    ],
    'a retraction made at known_at applies',
  )
  t.equal(claims[0]?.retraction?.reason, 'dup', 'the input is not changed')
  const summary = figureSummaries(before, day('2020-02-01'), WORLD)
  t.strictSame(
    summary[0]?.claims.map((c) => c.claim_id),
    ['a'],
  )
})
