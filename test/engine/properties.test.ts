import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import fc from 'fast-check'
import { claimsInForce, countedFigureGroups, countedStances } from '../../src/engine/counting.js'
import { figureSummary } from '../../src/engine/figure-summary.js'
import { interval } from '../../src/engine/figure.js'
import { summarizeEvent } from '../../src/engine/event-summary.js'
import type { Claim, FigureStatement, Interval } from '../../src/engine/types.js'
import { WORLD, claimsArb, day, directory, figure, holds, statement, statementArb } from './fixtures/claims.js'

const dir = directory()
const contains = (iv: Interval, x: number) => iv.low <= x && (iv.high === null || x <= iv.high)
const inside = (inner: Interval, outer: Interval) =>
  outer.low <= inner.low && (outer.high === null || (inner.high !== null && inner.high <= outer.high))

/** One group, one source per statement. */
function summarize(statements: readonly FigureStatement[]) {
  const claims = statements.map((s, i) => figure({ id: `c${i}`, source_id: `s${i}`, stated_at: day('2020-01-01'), ...s }))
  return figureSummary({ metric: 'killed', population: 'all', party: null, claims }, dir)
}
const groupArb = fc.array(statementArb(), { minLength: 1, maxLength: 8 })

t.test('figure summary invariants', async (t) => {
  holds(
    t,
    'common lies inside every counted interval',
    fc.property(groupArb, (group) => {
      const s = summarize(group)
      return s.common === null || s.claims.every((c) => inside(s.common ?? c.interval, c.interval))
    }),
  )
  holds(
    t,
    'agreement within sources and range',
    fc.property(groupArb, (group) => {
      const s = summarize(group)
      const { low, high, sources, share } = s.agreement
      return sources >= 1 && sources <= s.sources && share === sources / s.sources && inside({ low, high }, s.range)
    }),
  )
  holds(
    t,
    'median between min and max',
    fc.property(groupArb, (group) => {
      const { min, max, median } = summarize(group).points
      return min <= median && median <= max
    }),
  )
  holds(
    t,
    'conflicting exactly when no whole number satisfies every claim',
    fc.property(groupArb, (group) => {
      const s = summarize(group)
      const intervals = s.claims.map((c) => c.interval)
      // If some number satisfies every claim, the greatest low does.
      const someNumberFits = intervals.some((c) => intervals.every((d) => contains(d, c.low)))
      if (s.sources === 1) return s.disagreement.level === 'single_source'
      return (s.disagreement.level === 'conflicting') === !someNumberFits && s.consistent === someNumberFits
    }),
  )
  holds(
    t,
    'a claim containing the common interval never changes consistent',
    fc.property(groupArb, fc.nat(5), fc.nat(5), statementArb(), (group, below, above, anyStatement) => {
      const before = summarize(group)
      const common = before.common
      let added = anyStatement
      if (common !== null) {
        const low = Math.max(0, common.low - below)
        added = common.high === null ? statement('at_least', { value: low }) : statement('range', { low, high: common.high + above })
        if (!inside(common, interval(added))) return false
      }
      return summarize([...group, added]).consistent === before.consistent
    }),
  )
})

t.test('agreement matches a brute-force scan of the number line', async (t) => {
  // Every finite bound is below 10 000 (thousands reach 9999), so past it nothing changes.
  const END = 10_001
  holds(
    t,
    'same region as the scan',
    fc.property(groupArb, (group) => {
      const intervals = group.map(interval)
      const cover = (x: number) => intervals.reduce((mask, iv, i) => (contains(iv, x) ? mask | (1 << i) : mask), 0)
      const regions: Array<{ low: number; high: number | null; mask: number }> = []
      for (let x = 0; x <= END; x++) {
        const mask = cover(x)
        const last = regions.at(-1)
        if (last && last.mask === mask) last.high = x
        else regions.push({ low: x, high: x, mask })
      }
      const tail = regions.at(-1)
      if (tail) tail.high = null
      const count = (mask: number) => mask.toString(2).replaceAll('0', '').length
      const k = Math.max(...regions.map((r) => count(r.mask)))
      const width = (r: { low: number; high: number | null }) => (r.high === null ? Infinity : r.high - r.low + 1)
      const best = regions.filter((r) => count(r.mask) === k).sort((a, b) => width(a) - width(b) || a.low - b.low)[0]
      const got = summarize(group).agreement
      return best !== undefined && got.sources === k && got.low === best.low && got.high === best.high
    }),
    { numRuns: 60 },
  )
})

t.test('counting matches a naive reading of §3', async (t) => {
  const asOfArb = fc.constantFrom(...['2019-12-31', '2020-01-01', '2020-01-02', '2020-01-03'].map((d) => `${d}T23:59:59.999Z`))
  const later = (a: Claim, b: Claim) => [a.stated_at, a.recorded_at, a.id].join('|') > [b.stated_at, b.recorded_at, b.id].join('|')
  const latestFigures = fc.property(claimsArb(), asOfArb, (claims, asOf) => {
    const inForce = claimsInForce(claims, asOf)
    const figures = inForce.filter((c) => c.kind === 'figure')
    const sameSlot = (a: (typeof figures)[number], b: (typeof figures)[number]) =>
      a.source_id === b.source_id && a.metric === b.metric && a.population === b.population && a.party === b.party
    const expected = figures.filter((c) => !figures.some((d) => sameSlot(c, d) && later(d, c)))
    const got = countedFigureGroups(inForce).flatMap((g) => g.claims)
    return isDeepStrictEqual(got.map((c) => c.id).sort(), expected.map((c) => c.id).sort())
  })
  holds(t, 'figures: one latest claim per source and group', latestFigures)
  const latestStances = fc.property(claimsArb(), asOfArb, (claims, asOf) => {
    const inForce = claimsInForce(claims, asOf)
    const attributions = inForce.filter((c) => c.kind === 'attribution')
    const expected = attributions.flatMap((c) =>
      [...new Set(c.actor_ids)]
        .filter((actor) => !attributions.some((d) => d.source_id === c.source_id && d.actor_ids.includes(actor) && later(d, c)))
        .map((actor) => `${c.source_id}/${actor}/${c.id}`),
    )
    const got = countedStances(inForce).map((s) => `${s.source_id}/${s.actor_id}/${s.claim.id}`)
    return isDeepStrictEqual(got.sort(), expected.sort())
  })
  holds(t, 'stances: one latest claim per (source, actor)', latestStances)
  holds(
    t,
    'nothing stated after T, retracted, or superseded by a kept claim',
    fc.property(claimsArb(), asOfArb, (claims, asOf) => {
      const inForce = claimsInForce(claims, asOf)
      const kept = new Set(inForce.map((c) => c.id))
      return claims.every((c) => {
        const eligible = c.stated_at <= asOf && c.retraction === null
        const hiddenBy = claims.some((d) => d.supersedes === c.id && d.stated_at <= asOf && d.retraction === null)
        return kept.has(c.id) === (eligible && !hiddenBy)
      })
    }),
  )
})

t.test('event summary invariants', async (t) => {
  const asOf = '2020-01-03T23:59:59.999Z'
  holds(
    t,
    'the order claims arrive in does not matter',
    fc.property(
      claimsArb('both', 14).chain((claims) => fc.tuple(fc.constant(claims), fc.shuffledSubarray(claims, { minLength: claims.length }))),
      ([claims, shuffled]) => isDeepStrictEqual(summarizeEvent(claims, asOf, WORLD), summarizeEvent(shuffled, asOf, WORLD)),
    ),
  )
  holds(
    t,
    'entropy within [0, 1]',
    fc.property(claimsArb('attributions', 16), (claims) => {
      const { entropy } = summarizeEvent(claims, asOf, WORLD).attribution
      return entropy >= 0 && entropy <= 1
    }),
  )
  holds(
    t,
    'support sums to the decided shares of counted accusations',
    fc.property(claimsArb('attributions', 16), (claims) => {
      const { actors } = summarizeEvent(claims, asOf, WORLD).attribution
      const total = actors.reduce((sum, a) => sum + a.support, 0)
      const shares = countedStances(claimsInForce(claims, asOf))
        .filter((s) => s.claim.stance === 'accuses')
        .reduce((sum, s) => sum + 1 / new Set(s.claim.actor_ids).size, 0)
      const ordered = actors.every((a, i) => i === 0 || (actors[i - 1]?.support ?? 0) >= a.support)
      return Math.abs(total - shares) < 1e-9 && ordered
    }),
  )
  holds(
    t,
    'status none and unattributed follow the stances',
    fc.property(claimsArb('attributions'), (claims) => {
      const stances = countedStances(claimsInForce(claims, asOf))
      const { status, sources } = summarizeEvent(claims, asOf, WORLD).attribution
      const accusing = stances.some((s) => s.claim.stance === 'accuses')
      return (
        (status === 'none') === (stances.length === 0) &&
        (status === 'unattributed') === (stances.length > 0 && !accusing) &&
        sources === new Set(stances.map((s) => s.source_id)).size
      )
    }),
  )
  holds(
    t,
    'claims counted: every counted figure claim, at most the claims in force',
    fc.property(claimsArb(), (claims) => {
      const s = summarizeEvent(claims, asOf, WORLD)
      const inForce = claimsInForce(claims, asOf).length
      const figureClaims = s.figures.reduce((n, f) => n + f.sources, 0)
      return s.claims_total === claims.length && s.claims_counted <= inForce && s.claims_counted >= figureClaims
    }),
  )
})
