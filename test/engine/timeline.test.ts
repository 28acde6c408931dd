import fc from 'fast-check'
import t from 'tap'
import { figureSummaries } from '../../src/engine/figure-summary.js'
import { asKnownAt } from '../../src/engine/known-at.js'
import { type GroupKey, type StepBounds, type TimelineStep, figureTimeline, timelineMoments } from '../../src/engine/timeline.js'
import type { Claim } from '../../src/engine/types.js'
import { WORLD, day, figure } from './fixtures/claims.js'
import { ASKED, GROUPS, distinctStatedAt, forEveryHistory, fromScratch, historyArb, sameGroup } from './fixtures/histories.js'

const KILLED_ALL: GroupKey = { metric: 'killed', population: 'all', party: null }

const steps = (claims: readonly Claim[], key: GroupKey, bounds?: StepBounds) => [...figureTimeline(claims, key, WORLD, bounds)]
const historyOfGroup = fc.tuple(historyArb(), fc.constantFrom(...GROUPS))
const askedAt = fc.option(fc.constantFrom(...ASKED), { nil: undefined })

t.test('every step equals the summary computed from scratch as of its moment (property)', async (t) => {
  await forEveryHistory(
    t,
    'each step, in one pass',
    historyOfGroup,
    ([claims, key]) => steps(claims, key),
    ([claims, key]) => fromScratch(claims, key),
  )
  await forEveryHistory(
    t,
    'the moments: the distinct stated_at of the group',
    historyOfGroup,
    ([claims, key]) => [steps(claims, key).map((s) => s.at), timelineMoments(claims, key)],
    ([claims, key]) => [distinctStatedAt(claims, key), distinctStatedAt(claims, key)],
  )
})

t.test('with known_at and as_of, as the route applies them (property)', async (t) => {
  // known_at replays the claims as the database held them; as_of stops the steps.
  const asked = fc.tuple(historyArb(), fc.constantFrom(...GROUPS), askedAt, askedAt)
  const held = (claims: Claim[], knownAt: string | undefined) => (knownAt === undefined ? claims : asKnownAt(claims, knownAt))
  await forEveryHistory(
    t,
    'each step',
    asked,
    ([claims, key, knownAt, asOf]) => steps(held(claims, knownAt), key, { to: asOf }),
    ([claims, key, knownAt, asOf]) => fromScratch(held(claims, knownAt), key, (at) => asOf === undefined || at <= asOf),
  )
  await forEveryHistory(
    t,
    'the moments',
    asked,
    ([claims, key, knownAt, asOf]) => timelineMoments(held(claims, knownAt), key, { to: asOf }),
    ([claims, key, knownAt, asOf]) => distinctStatedAt(held(claims, knownAt), key).filter((at) => asOf === undefined || at <= asOf),
  )
})

t.test('bounds and pages: the same steps, cut where asked (property)', async (t) => {
  const bounded = fc.tuple(historyArb(), fc.constantFrom(...GROUPS), askedAt, askedAt, askedAt)
  await forEveryHistory(
    t,
    'from, after and to',
    bounded,
    ([claims, key, from, after, to]) => steps(claims, key, { from, after, to }),
    ([claims, key, from, after, to]) =>
      fromScratch(
        claims,
        key,
        (at) => (from === undefined || at >= from) && (after === undefined || at > after) && (to === undefined || at <= to),
      ),
  )
  // Pages of `size` steps, each after the last of the one before, put together: the whole timeline.
  await forEveryHistory(
    t,
    'pages put together',
    fc.tuple(historyArb(), fc.constantFrom(...GROUPS), fc.integer({ min: 1, max: 4 })),
    ([claims, key, size]) => {
      const pages: TimelineStep[][] = []
      let after: string | undefined
      for (;;) {
        const page = steps(claims, key, { after }).slice(0, size)
        if (page.length === 0) return pages.flat()
        pages.push(page)
        after = page[page.length - 1]?.at
      }
    },
    ([claims, key]) => fromScratch(claims, key),
  )
})

t.test('the group’s claims and those that supersede them are all a timeline needs (property)', async (t) => {
  // What the service reads from the database instead of the whole event.
  const needed = (claims: readonly Claim[], key: GroupKey) => {
    const ids = new Set(claims.filter((c) => sameGroup(c, key)).map((c) => c.id))
    return claims.filter((c) => ids.has(c.id) || (c.supersedes !== null && ids.has(c.supersedes)))
  }
  await forEveryHistory(
    t,
    'the same steps from the part as from the whole',
    historyOfGroup,
    ([claims, key]) => steps(needed(claims, key), key),
    ([claims, key]) => fromScratch(claims, key),
  )
})

t.test('the §8 killed/all group moves from SOHR alone to conflicting', async (t) => {
  const claims = [
    figure({ id: 'sohr-58', source_id: 'sohr', stated_at: day('2017-04-04'), qualifier: 'exact', value: 58 }),
    figure({ id: 'who-70', source_id: 'who', stated_at: day('2017-04-05'), qualifier: 'at_least', value: 70 }),
    figure({ id: 'kids', source_id: 'sohr', stated_at: day('2017-04-06'), qualifier: 'exact', value: 11, population: 'children' }),
  ]
  const steps = [...figureTimeline(claims, KILLED_ALL, WORLD)]
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
  const steps = [...figureTimeline(claims, KILLED_ALL, WORLD)]
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
