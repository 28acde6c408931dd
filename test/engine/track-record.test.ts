/**
 * engine/track-record (#16): sources' counts, possible echoes and bias, from
 * hand-built cases with known answers, and properties over random claims
 * (seeded: test/seed.ts prints the seed).
 */
import t from 'tap'
import fc from 'fast-check'
import {
  MIN_COMPARISONS,
  PRIOR_SD,
  VARIANCE_FLOOR,
  emptyRecord,
  normalQuantile,
  trackRecords,
  twoSidedZ,
} from '../../src/engine/track-record.js'
import { countedSet } from '../../src/engine/counting.js'
import type { Claim } from '../../src/engine/types.js'
import { summaryWarnings } from '../../src/engine/warnings.js'
import { WORLD, claimsArb, day, directory, figure, holds, statement } from './fixtures/claims.js'

/** Equal to 12 significant digits: the same arithmetic in another order. */
function near(t: { ok(value: boolean, message: string): boolean }, actual: number | null, expected: number, message: string): void {
  t.ok(actual !== null && Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${message}: ${actual} ≈ ${expected}`)
}

const exact = (value: number) => statement('exact', { value })

t.test('normalQuantile: the standard normal quantiles', async (t) => {
  near(t, Math.round(normalQuantile(0.95) * 1e6) / 1e6, 1.644854, 'p = 0.95')
  near(t, Math.round(normalQuantile(0.975) * 1e6) / 1e6, 1.959964, 'p = 0.975')
  near(t, Math.round(normalQuantile(0.005) * 1e6) / 1e6, -2.575829, 'p = 0.005 (the lower tail)')
  t.equal(normalQuantile(0.5), 0)
  near(t, twoSidedZ(0.9), normalQuantile(0.95), 'two-sided 0.9')
  t.throws(() => normalQuantile(1), RangeError)
})

t.test('counts: claims, events, groups, revisions, retractions, first reports and lead', async (t) => {
  const dir = directory([{ id: 'a' }, { id: 'b' }])
  const claims: Claim[] = [
    figure({ id: 'a1', source_id: 'a', stated_at: day('2020-01-01'), ...exact(10) }),
    figure({ id: 'a2', source_id: 'a', stated_at: day('2020-01-03'), ...exact(12) }), // replaces a1: a revision
    figure({ id: 'a3', source_id: 'a', stated_at: day('2020-01-04'), ...exact(13), supersedes: 'a2' }),
    figure({ id: 'b1', source_id: 'b', stated_at: day('2020-01-02'), ...exact(20) }),
    figure({ id: 'b2', source_id: 'b', stated_at: day('2020-01-01'), ...exact(5), population: 'children' }), // first in its group
    figure({
      id: 'a4',
      source_id: 'a',
      event_id: 'other',
      stated_at: day('2020-01-05'),
      ...exact(1),
      retraction: { at: day('2020-01-06'), reason: 'x' },
    }),
    figure({ id: 'late', source_id: 'b', stated_at: day('2020-02-01'), ...exact(99) }), // after as_of: not read
  ]
  const { records } = trackRecords(claims, day('2020-01-31'), dir)
  const [a, b] = records
  t.strictSame(
    records.map((r) => r.source_id),
    ['a', 'b'],
  )
  t.strictSame(
    [a?.claims, a?.events, a?.figure_groups, a?.revisions, a?.retractions, a?.first_reports, a?.median_lead_hours],
    [4, 2, 2, 2, 1, 1, 24],
    'a: four claims in two events; a1 and a2 revised; a4 retracted; first in killed/all of e, a day ahead of b',
  )
  t.strictSame(
    [b?.claims, b?.events, b?.figure_groups, b?.revisions, b?.retractions, b?.first_reports, b?.median_lead_hours],
    [2, 1, 2, 0, 0, 1, null],
    'b: its claim stated after as_of is not counted; first in children, which no one else reported',
  )
})

t.test('bias: against the median of the others then, by relation, shrunk, with too few comparisons noted', async (t) => {
  // "own" reports half of the others on its own side's losses, "other" twice on the opponent's, in three events each.
  const dir = directory(
    [{ id: 'party-src', affiliated_actor_id: 'air-force' }, { id: 'm1' }, { id: 'm2' }],
    [{ id: 'gov' }, { id: 'air-force', parent_id: 'gov' }, { id: 'rebels' }],
  )
  const claims: Claim[] = []
  for (const [i, event] of ['e1', 'e2', 'e3'].entries()) {
    const at = day(`2020-01-0${i + 1}`)
    // The monitors say 9 and 9 (consensus 9: +1 gives 10); the party says 4 on gov (an ancestor: own) and 19 on rebels (other).
    for (const party of ['gov', 'rebels']) {
      claims.push(figure({ id: `${event}-${party}-m1`, event_id: event, source_id: 'm1', stated_at: at, party, ...exact(9) }))
      claims.push(figure({ id: `${event}-${party}-m2`, event_id: event, source_id: 'm2', stated_at: at, party, ...exact(9) }))
    }
    const later = day(`2020-01-0${i + 1}`).replace('T00', 'T12')
    claims.push(figure({ id: `${event}-own`, event_id: event, source_id: 'party-src', stated_at: later, party: 'gov', ...exact(4) }))
    claims.push(figure({ id: `${event}-other`, event_id: event, source_id: 'party-src', stated_at: later, party: 'rebels', ...exact(19) }))
  }
  const { records, model } = trackRecords(claims, day('2020-02-01'), dir)
  const party = records.find((r) => r.source_id === 'party-src')
  // Three equal log ratios ln(1/2) (variance floored), in three groups: the posterior of a N(0, 1) prior.
  const shrink = 3 / VARIANCE_FLOOR / (1 / PRIOR_SD ** 2 + 3 / VARIANCE_FLOOR)
  const sd = 1 / Math.sqrt(1 / PRIOR_SD ** 2 + 3 / VARIANCE_FLOOR)
  near(t, party?.bias.own.factor ?? null, Math.exp(shrink * Math.log(0.5)), 'own: about a half')
  near(t, party?.bias.own.low ?? null, Math.exp(shrink * Math.log(0.5) - twoSidedZ(0.9) * sd), 'own: the interval at 0.9')
  near(t, party?.bias.other.factor ?? null, Math.exp(shrink * Math.log(2)), 'other: about twice')
  t.strictSame([party?.bias.own.comparisons, party?.bias.own.groups, party?.bias.other.comparisons], [3, 3, 3])
  t.strictSame(party?.bias.none, {
    factor: null,
    low: null,
    high: null,
    level: 0.9,
    comparisons: 0,
    groups: 0,
    note: `too few comparisons: 0 of the ${MIN_COMPARISONS} needed`,
  })
  t.equal(party?.bias.overall.comparisons, 6)
  t.equal(model.relation('party-src', 'gov'), 'own', 'an ancestor of its affiliated actor')
  t.equal(model.relation('party-src', 'air-force'), 'own', 'its affiliated actor')
  t.equal(model.relation('party-src', 'rebels'), 'other')
  t.equal(model.relation('party-src', null), 'none')
  t.equal(model.relation('m1', 'gov'), 'none', 'a source with no affiliation')
  // The monitors are each compared with the other monitor (and the party, once it has spoken): their factors stay near 1.
  const m1 = records.find((r) => r.source_id === 'm1')
  t.ok(m1?.bias.overall.factor !== null && Math.abs(Math.log(m1?.bias.overall.factor ?? 0)) < 0.01, 'm1 agrees with m2')
  const fewer = trackRecords(claims, '2020-01-02T23:59:59.999Z', dir).records.find((r) => r.source_id === 'party-src')
  t.equal(fewer?.bias.own.factor, null, 'two comparisons by the end of 2 January: no factor')
  t.equal(fewer?.bias.own.note, `too few comparisons: 2 of the ${MIN_COMPARISONS} needed`)
})

t.test('a claim compares with the others as counted when it was stated: superseded and retracted ones out', async (t) => {
  const dir = directory([{ id: 'x' }, { id: 'y' }, { id: 'z' }])
  const claims: Claim[] = [
    figure({ id: 'y1', source_id: 'y', stated_at: day('2020-01-01'), ...exact(99) }),
    figure({ id: 'y2', source_id: 'y', stated_at: day('2020-01-02'), ...exact(9) }), // y's latest by the 3rd
    figure({
      id: 'z1',
      source_id: 'z',
      stated_at: day('2020-01-01'),
      ...exact(999),
      retraction: { at: day('2020-06-01'), reason: 'wrong' },
    }),
    figure({ id: 'x1', source_id: 'x', stated_at: day('2020-01-03'), ...exact(19) }),
  ]
  const x = trackRecords(claims, day('2020-02-01'), dir, { minComparisons: 1 }).records.find((r) => r.source_id === 'x')
  // One comparison: ln(20/10), variance 0.25 (one comparison has no spread), one group.
  const precision = 1 / PRIOR_SD ** 2 + 1 / 0.25
  near(t, x?.bias.overall.factor ?? null, Math.exp(Math.log(2) / 0.25 / precision), 'against y2 alone')
})

t.test('possible echoes: the same figure as an earlier one of another source, not relayed, after a change of course', async (t) => {
  const dir = directory([{ id: 'wire' }, { id: 'paper' }, { id: 'blog' }, { id: 'agency' }, { id: 'twin' }])
  const claims: Claim[] = [
    figure({ id: 'w1', source_id: 'wire', stated_at: day('2020-01-01'), ...exact(58) }),
    figure({ id: 'p1', source_id: 'paper', stated_at: day('2020-01-01'), ...exact(40) }),
    figure({ id: 'x1', source_id: 'twin', stated_at: day('2020-01-01'), ...exact(58) }), // wire's figure at the same moment: not an echo
    figure({ id: 'p2', source_id: 'paper', stated_at: day('2020-01-03'), ...exact(58) }), // changed course to wire's: an echo
    figure({ id: 'b1', source_id: 'blog', stated_at: day('2020-01-02'), ...exact(58), via: ['wire'] }), // declared relay: not an echo
    figure({ id: 'g1', source_id: 'agency', stated_at: day('2020-01-02'), ...exact(58) }), // first figure, equal: an echo
    figure({ id: 'g2', source_id: 'agency', stated_at: day('2020-01-04'), ...exact(58) }), // its own course: not another
    figure({ id: 'w0', source_id: 'wire', stated_at: day('2020-01-05'), ...statement('at_least', { value: 58 }) }), // another qualifier
  ]
  const { echoes, records } = trackRecords(claims, day('2020-02-01'), dir)
  t.strictSame(
    echoes.map((e) => [e.claim_id, e.echoes_claim_id, e.echoes_source_id]),
    [
      ['g1', 'w1', 'wire'],
      ['p2', 'w1', 'wire'],
    ],
  )
  t.equal(
    echoes[1]?.reason,
    'the same figure (exact 58) as wire stated 2 days earlier, not declared as relayed (via); its previous figure in the group was exact 40',
  )
  t.equal(
    echoes[0]?.reason,
    'the same figure (exact 58) as wire stated 24 hours earlier, not declared as relayed (via); its first figure in the group',
  )
  t.strictSame(
    records.map((r) => [r.source_id, r.echoes]),
    [
      ['agency', 1],
      ['blog', 0],
      ['paper', 1],
      ['twin', 0],
      ['wire', 0],
    ],
  )
})

t.test('emptyRecord: zeros, and a note instead of every factor', async (t) => {
  const empty = emptyRecord('nobody', { level: 0.8 })
  t.strictSame(
    [empty.claims, empty.first_reports, empty.median_lead_hours, empty.bias.overall.factor, empty.bias.overall.level],
    [0, 0, null, null, 0.8],
  )
})

t.test('properties', async (t) => {
  const moments = fc.constantFrom(day('2020-01-01'), day('2020-01-02'), day('2020-01-03'))
  holds(
    t,
    'no future leaks: the records as of T are the same with or without the claims stated after T',
    fc.property(claimsArb('both'), moments, (claims, asOf) => {
      const all = trackRecords(claims, asOf, WORLD)
      const known = trackRecords(
        claims.filter((c) => c.stated_at <= asOf),
        asOf,
        WORLD,
      )
      return JSON.stringify([all.records, all.echoes]) === JSON.stringify([known.records, known.echoes])
    }),
  )
  // Exact figures of 0, 1 or 2: repeats are common, so echoes are.
  const fewFigures = (claims: Claim[]) => claims.map((c) => (c.kind === 'figure' ? { ...c, ...exact((c.value ?? c.low ?? 0) % 3) } : c))
  let withEchoes = 0
  holds(
    t,
    'the summary warns of a possible echo exactly for the counted figures the records list as echoes, each with the claim it repeats',
    fc.property(claimsArb('figures', 16).map(fewFigures), moments, (claims, asOf) => {
      const set = countedSet(claims, asOf)
      const counted = new Set(set.counted.map((c) => c.id))
      const listed = trackRecords(claims, asOf, WORLD)
        .echoes.filter((e) => counted.has(e.claim_id))
        .map((e) => [e.claim_id, e.echoes_claim_id])
      if (listed.length > 0) withEchoes++
      const warned = summaryWarnings(set)
        .filter((w) => w.code === 'possible_echo')
        .map((w) => w.claim_ids)
      const byFirst = (a: string[], b: string[]) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1)
      return JSON.stringify(listed.sort(byFirst)) === JSON.stringify(warned.sort(byFirst))
    }),
  )
  t.ok(withEchoes > 0, `echoes arose in ${withEchoes} of the histories: the property above is not vacuous`)
  holds(
    t,
    'every factor lies in its interval; no factor without enough comparisons; counts add up',
    fc.property(claimsArb('figures', 20), (claims) => {
      const { records } = trackRecords(claims, day('2020-01-03'), WORLD, { minComparisons: 2 })
      return records.every(
        (r) =>
          r.revisions <= r.claims &&
          r.retractions <= r.claims &&
          r.echoes <= r.claims &&
          Object.values(r.bias).every((b) =>
            b.comparisons < 2
              ? b.factor === null && b.note !== null
              : b.factor !== null && (b.low ?? Infinity) <= b.factor && b.factor <= (b.high ?? -Infinity) && b.note === null,
          ),
      )
    }),
  )
  holds(
    t,
    'shrinkage: the same log ratios over more groups give a factor further from 1 and a narrower interval',
    fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 3, max: 8 }), (ratio, groups) => {
      const world = directory([{ id: 'a' }, { id: 'b' }])
      const claimsOf = (n: number) =>
        Array.from({ length: n }, (_, i) => [
          figure({ id: `b${i}`, event_id: `e${i}`, source_id: 'b', stated_at: day('2020-01-01'), ...exact(9) }),
          figure({ id: `a${i}`, event_id: `e${i}`, source_id: 'a', stated_at: day('2020-01-02'), ...exact(10 * ratio - 1) }),
        ]).flat()
      const fewer = trackRecords(claimsOf(groups), day('2020-02-01'), world).records[0]?.bias.overall
      const more = trackRecords(claimsOf(groups + 1), day('2020-02-01'), world).records[0]?.bias.overall
      if (!fewer?.factor || !more?.factor || fewer.low === null || fewer.high === null || more.low === null || more.high === null)
        return false
      return more.factor > fewer.factor && fewer.factor < ratio && more.high - more.low < fewer.high - fewer.low
    }),
  )
})
