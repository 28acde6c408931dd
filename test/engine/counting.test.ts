import t from 'tap'
import { claimsInForce, countedFigureGroups, countedStances } from '../../src/engine/counting.js'
import type { AttributionClaim, Claim, FigureClaim, Stance } from '../../src/engine/types.js'
import { attribution, day, endOf, figure } from './fixtures/claims.js'

const fig = (id: string, source_id: string, date: string, fields: Partial<FigureClaim> = {}) =>
  figure({ id, source_id, stated_at: day(date), qualifier: 'dozens', ...fields })
const blame = (id: string, source_id: string, date: string, stance: Stance, actor_ids: string[], fields: Partial<AttributionClaim> = {}) =>
  attribution({ id, source_id, stated_at: day(date), stance, actor_ids, ...fields })

const ids = (claims: readonly Claim[]) => claims.map((c) => c.id).sort()
const decided = (claims: readonly Claim[]) => countedStances(claims).map((s) => [s.source_id, s.actor_id, s.claim.id])

t.test('step 1: claims stated up to and including T', async (t) => {
  const claims = [fig('a', 's', '2020-01-01'), fig('b', 's', '2020-01-02')]
  t.strictSame(ids(claimsInForce(claims, day('2020-01-02'))), ['a', 'b'], 'stated exactly at T counts')
  t.strictSame(ids(claimsInForce(claims, endOf('2020-01-01'))), ['a'])
  t.strictSame(ids(claimsInForce(claims, '2019-12-31T23:59:59.999Z')), [])
})

t.test('step 2: a retraction applies at every T, even before it was made', async (t) => {
  const retraction = { at: day('2020-06-01'), reason: 'duplicate' }
  const retracted = fig('a', 's', '2020-01-01', { retraction })
  t.strictSame(claimsInForce([retracted], endOf('2020-01-01')), [])
  t.strictSame(claimsInForce([retracted], endOf('2030-01-01')), [])
})

t.test('step 3: supersedes hides a claim only when the superseding claim is kept', async (t) => {
  const old = fig('old', 's', '2020-01-01')
  const fix = fig('fix', 'other', '2020-01-03', { qualifier: 'hundreds', supersedes: 'old' })
  t.strictSame(ids(claimsInForce([old, fix], endOf('2020-01-03'))), ['fix'], 'a kept correction hides')
  t.strictSame(ids(claimsInForce([old, fix], endOf('2020-01-02'))), ['old'], 'a correction stated after T hides nothing')
  const retractedFix = { ...fix, retraction: { at: day('2020-02-01'), reason: 'wrong' } }
  t.strictSame(ids(claimsInForce([old, retractedFix], endOf('2020-01-03'))), ['old'], 'a retracted correction hides nothing')
  const fixOfFix = fig('fix2', 's', '2020-01-04', { qualifier: 'thousands', supersedes: 'fix' })
  t.strictSame(ids(claimsInForce([old, fix, fixOfFix], endOf('2020-01-04'))), ['fix2'], 'a chain')
  t.strictSame(ids(claimsInForce([fixOfFix, fix, old], endOf('2020-01-04'))), ['fix2'], 'a chain, in any arrival order')
})

t.test('step 4: one claim per origin source, the latest', async (t) => {
  const claims = [
    fig('a1', 'a', '2020-01-01'),
    fig('a2', 'a', '2020-01-02'),
    // Same stated_at: the later recorded_at wins, whatever the ids say.
    fig('b9', 'b', '2020-01-01', { recorded_at: day('2020-01-05') }),
    fig('b1', 'b', '2020-01-01', { recorded_at: day('2020-01-06') }),
    // Same stated_at and recorded_at: the greater id wins.
    fig('c2', 'c', '2020-01-01'),
    fig('c1', 'c', '2020-01-01'),
  ]
  const groups = countedFigureGroups(claimsInForce(claims, endOf('2020-01-02')))
  t.equal(groups.length, 1)
  t.strictSame(ids(groups[0]?.claims ?? []), ['a2', 'b1', 'c2'])
  t.strictSame(ids(countedFigureGroups([...claims].reverse())[0]?.claims ?? []), ['a2', 'b1', 'c2'], 'arrival order plays no part')
})

t.test('step 4: relays never add a source', async (t) => {
  const claims = [
    fig('x', 'sohr', '2020-01-01', { via: ['reuters'] }),
    fig('y', 'sohr', '2020-01-01', { via: ['tass'] }),
    fig('z', 'sohr', '2020-01-02', { via: ['reuters', 'tass'] }),
  ]
  const groups = countedFigureGroups(claims)
  t.strictSame(ids(groups[0]?.claims ?? []), ['z'], 'the origin keeps its latest claim, however relayed')
  t.equal(groups.length, 1)
})

t.test('step 4: groups by (metric, population, party), in contract order', async (t) => {
  const at = '2020-01-01'
  const groups = countedFigureGroups([
    fig('affected', 's', at, { metric: 'affected' }),
    fig('killed-children', 's', at, { population: 'children' }),
    fig('killed-all-zed', 's', at, { party: 'zed' }),
    fig('killed-all-abc', 's', at, { party: 'abc' }),
    fig('injured', 's', at, { metric: 'injured' }),
    fig('killed-all', 's', at),
    fig('killed-civilians', 's', at, { population: 'civilians' }),
  ])
  t.strictSame(
    groups.map((g) => [g.metric, g.population, g.party]),
    [
      ['killed', 'all', null],
      ['killed', 'all', 'abc'],
      ['killed', 'all', 'zed'],
      ['killed', 'civilians', null],
      ['killed', 'children', null],
      ['injured', 'all', null],
      ['affected', 'all', null],
    ],
  )
  t.ok(
    groups.every((g) => g.claims.length === 1),
    'one source in several groups counts once in each',
  )
})

t.test('step 5: each (source, actor) pair is decided by its latest claim', async (t) => {
  const claims = [
    blame('early', 'reuters', '2020-01-01', 'accuses', ['gov', 'rus']),
    blame('late', 'reuters', '2020-01-02', 'accuses', ['gov']),
    blame('other', 'mod', '2020-01-01', 'denies', ['rus']),
  ]
  const flipped = [...claims, blame('denial', 'reuters', '2020-01-03', 'denies', ['rus'])]
  // [source, actor, the deciding claim] of each pair
  const cases: Array<[string, typeof claims, string[][]]> = [
    [
      'a later claim naming one of two actors decides only that pair',
      claims,
      [
        ['mod', 'rus', 'other'],
        ['reuters', 'gov', 'late'],
        ['reuters', 'rus', 'early'],
      ],
    ],
    [
      'a later denial decides the pair whatever the earlier stance',
      flipped,
      [
        ['mod', 'rus', 'other'],
        ['reuters', 'gov', 'late'],
        ['reuters', 'rus', 'denial'],
      ],
    ],
  ]
  for (const [message, given, expected] of cases) t.strictSame(decided(given), expected, message)
})

t.test('step 5: the same tie-breaks as step 4', async (t) => {
  const byRecorded = [
    blame('z', 's', '2020-01-01', 'accuses', ['a'], { recorded_at: day('2020-01-01') }),
    blame('a', 's', '2020-01-01', 'denies', ['a'], { recorded_at: day('2020-01-02') }),
  ]
  t.strictSame(decided(byRecorded), [['s', 'a', 'a']])
  const byId = byRecorded.map((c) => ({ ...c, recorded_at: day('2020-01-01') }))
  t.strictSame(decided(byId), [['s', 'a', 'z']])
  t.strictSame(decided([...byId].reverse()), [['s', 'a', 'z']])
})
