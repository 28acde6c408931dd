import t from 'tap'
import {
  claimsInForce,
  countedFigureGroups,
  countedStances,
} from '../../src/engine/counting.js'
import type { Claim } from '../../src/engine/types.js'
import { attribution, day, endOf, figure } from './fixtures.js'

const ids = (claims: readonly Claim[]) => claims.map((c) => c.id).sort()

t.test('step 1: claims stated up to and including T', async (t) => {
  const claims = [
    figure({ id: 'a', source_id: 's', stated_at: day('2020-01-01'), qualifier: 'dozens' }),
    figure({ id: 'b', source_id: 's', stated_at: day('2020-01-02'), qualifier: 'dozens' }),
  ]
  t.same(ids(claimsInForce(claims, day('2020-01-02'))), ['a', 'b'], 'stated exactly at T counts')
  t.same(ids(claimsInForce(claims, endOf('2020-01-01'))), ['a'])
  t.same(ids(claimsInForce(claims, '2019-12-31T23:59:59.999Z')), [])
})

t.test('step 2: a retraction applies at every T, even before it was made', async (t) => {
  const retracted = figure({
    id: 'a',
    source_id: 's',
    stated_at: day('2020-01-01'),
    qualifier: 'dozens',
    retraction: { at: day('2020-06-01'), reason: 'duplicate' },
  })
  t.same(claimsInForce([retracted], endOf('2020-01-01')), [])
  t.same(claimsInForce([retracted], endOf('2030-01-01')), [])
})

t.test('step 3: supersedes hides a claim only when the superseding claim is kept', async (t) => {
  const old = figure({ id: 'old', source_id: 's', stated_at: day('2020-01-01'), qualifier: 'dozens' })
  const fix = figure({
    id: 'fix',
    source_id: 'other',
    stated_at: day('2020-01-03'),
    qualifier: 'hundreds',
    supersedes: 'old',
  })
  t.same(ids(claimsInForce([old, fix], endOf('2020-01-03'))), ['fix'], 'kept correction hides')
  t.same(
    ids(claimsInForce([old, fix], endOf('2020-01-02'))),
    ['old'],
    'a correction stated after T hides nothing',
  )
  const retractedFix = { ...fix, retraction: { at: day('2020-02-01'), reason: 'wrong' } }
  t.same(
    ids(claimsInForce([old, retractedFix], endOf('2020-01-03'))),
    ['old'],
    'a retracted correction hides nothing',
  )
  const fixOfFix = figure({
    id: 'fix2',
    source_id: 's',
    stated_at: day('2020-01-04'),
    qualifier: 'thousands',
    supersedes: 'fix',
  })
  t.same(ids(claimsInForce([old, fix, fixOfFix], endOf('2020-01-04'))), ['fix2'], 'a chain')
  t.same(
    ids(claimsInForce([fixOfFix, fix, old], endOf('2020-01-04'))),
    ['fix2'],
    'a chain, in any arrival order',
  )
})

t.test('step 4: one claim per origin source, the latest', async (t) => {
  const at = day('2020-01-01')
  const claims = [
    figure({ id: 'a1', source_id: 'a', stated_at: at, qualifier: 'exact', value: 1 }),
    figure({ id: 'a2', source_id: 'a', stated_at: day('2020-01-02'), qualifier: 'exact', value: 2 }),
    // Same stated_at: the later recorded_at wins, whatever the ids say.
    figure({ id: 'b9', source_id: 'b', stated_at: at, recorded_at: day('2020-01-05'), qualifier: 'dozens' }),
    figure({ id: 'b1', source_id: 'b', stated_at: at, recorded_at: day('2020-01-06'), qualifier: 'hundreds' }),
    // Same stated_at and recorded_at: the greater id wins.
    figure({ id: 'c2', source_id: 'c', stated_at: at, qualifier: 'exact', value: 3 }),
    figure({ id: 'c1', source_id: 'c', stated_at: at, qualifier: 'exact', value: 4 }),
  ]
  const [group, ...rest] = countedFigureGroups(claimsInForce(claims, endOf('2020-01-02')))
  t.equal(rest.length, 0)
  t.same(ids(group?.claims ?? []), ['a2', 'b1', 'c2'])
  t.same(
    ids(countedFigureGroups([...claims].reverse())[0]?.claims ?? []),
    ['a2', 'b1', 'c2'],
    'arrival order plays no part',
  )
})

t.test('step 4: relays never add a source', async (t) => {
  const claims = [
    figure({ id: 'x', source_id: 'sohr', via: ['reuters'], stated_at: day('2020-01-01'), qualifier: 'exact', value: 58 }),
    figure({ id: 'y', source_id: 'sohr', via: ['tass'], stated_at: day('2020-01-01'), qualifier: 'exact', value: 58 }),
    figure({ id: 'z', source_id: 'sohr', via: ['reuters', 'tass'], stated_at: day('2020-01-02'), qualifier: 'exact', value: 60 }),
  ]
  const [group] = countedFigureGroups(claims)
  t.same(ids(group?.claims ?? []), ['z'], 'the origin keeps its latest claim, however relayed')
})

t.test('step 4: groups by (metric, population, party), in contract order', async (t) => {
  const at = day('2020-01-01')
  const make = (id: string, fields: Partial<Parameters<typeof figure>[0]>) =>
    figure({ id, source_id: 's', stated_at: at, qualifier: 'dozens', ...fields })
  const claims = [
    make('affected', { metric: 'affected' }),
    make('killed-children', { population: 'children' }),
    make('killed-all-zed', { party: 'zed' }),
    make('killed-all-abc', { party: 'abc' }),
    make('injured', { metric: 'injured' }),
    make('killed-all', {}),
    make('killed-civilians', { population: 'civilians' }),
  ]
  const groups = countedFigureGroups(claims)
  t.same(
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
    attribution({ id: 'early', source_id: 'reuters', stated_at: day('2020-01-01'), stance: 'accuses', actor_ids: ['gov', 'rus'] }),
    attribution({ id: 'late', source_id: 'reuters', stated_at: day('2020-01-02'), stance: 'accuses', actor_ids: ['gov'] }),
    attribution({ id: 'other', source_id: 'mod', stated_at: day('2020-01-01'), stance: 'denies', actor_ids: ['rus'] }),
  ]
  const decided = countedStances(claims).map((s) => [s.source_id, s.actor_id, s.claim.id])
  t.same(decided, [
    ['mod', 'rus', 'other'],
    ['reuters', 'gov', 'late'],
    ['reuters', 'rus', 'early'],
  ])
  const flipped = [
    ...claims,
    attribution({ id: 'denial', source_id: 'reuters', stated_at: day('2020-01-03'), stance: 'denies', actor_ids: ['rus'] }),
  ]
  t.same(
    countedStances(flipped).map((s) => [s.source_id, s.actor_id, s.claim.id]),
    [
      ['mod', 'rus', 'other'],
      ['reuters', 'gov', 'late'],
      ['reuters', 'rus', 'denial'],
    ],
    'a later denial decides the pair whatever the earlier stance',
  )
})

t.test('step 5: the same tie-breaks as step 4', async (t) => {
  const at = day('2020-01-01')
  const byRecorded = [
    attribution({ id: 'z', source_id: 's', stated_at: at, recorded_at: day('2020-01-01'), stance: 'accuses', actor_ids: ['a'] }),
    attribution({ id: 'a', source_id: 's', stated_at: at, recorded_at: day('2020-01-02'), stance: 'denies', actor_ids: ['a'] }),
  ]
  t.same(countedStances(byRecorded).map((s) => s.claim.id), ['a'])
  const byId = byRecorded.map((c) => ({ ...c, recorded_at: at }))
  t.same(countedStances(byId).map((s) => s.claim.id), ['z'])
  t.same(countedStances([...byId].reverse()).map((s) => s.claim.id), ['z'])
})
