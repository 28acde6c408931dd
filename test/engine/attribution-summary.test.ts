import t from 'tap'
import { attributionSummary } from '../../src/engine/attribution-summary.js'
import { countedStances } from '../../src/engine/counting.js'
import type { AttributionClaim } from '../../src/engine/types.js'
import { attribution, day, directory } from './fixtures.js'

// gov ← air-force; mod speaks for gov; rebels and foreign stand alone.
const dir = directory(
  [
    { id: 'mod', affiliated_actor_id: 'gov' },
    { id: 'af-press', affiliated_actor_id: 'air-force' },
    { id: 'ngo' },
    { id: 'wire' },
  ],
  [
    { id: 'gov', name: 'Government' },
    { id: 'air-force', name: 'Air Force', parent_id: 'gov' },
    { id: 'rebels', name: 'Rebels' },
    { id: 'foreign', name: 'Foreign forces' },
  ],
)

let n = 0
function claim(source_id: string, stance: 'accuses' | 'denies', actor_ids: string[], date = '2020-01-01') {
  n += 1
  return attribution({ id: `c${String(n).padStart(2, '0')}`, source_id, stance, actor_ids, stated_at: day(date) })
}
const summarize = (claims: AttributionClaim[], d = dir) => attributionSummary(countedStances(claims), d)
const statusOf = (...claims: AttributionClaim[]) => summarize(claims).status

t.test('none and unattributed', async (t) => {
  const none = summarize([])
  t.same(none, { status: 'none', sources: 0, entropy: 0, actors: [] })
  t.equal(statusOf(claim('mod', 'denies', ['gov']), claim('ngo', 'denies', ['rebels'])), 'unattributed')
  t.equal(
    statusOf(claim('ngo', 'accuses', ['gov']), claim('ngo', 'denies', ['gov'], '2020-01-02')),
    'unattributed',
    'a later denial replaces the accusation',
  )
})

t.test('uncontested', async (t) => {
  t.equal(statusOf(claim('ngo', 'accuses', ['gov'])), 'uncontested')
  t.equal(statusOf(claim('ngo', 'accuses', ['gov']), claim('wire', 'accuses', ['gov'])), 'uncontested')
  t.equal(
    statusOf(claim('ngo', 'accuses', ['gov', 'rebels']), claim('wire', 'accuses', ['rebels', 'foreign'])),
    'uncontested',
    'actor sets with an actor in common',
  )
  t.equal(
    statusOf(claim('ngo', 'accuses', ['air-force']), claim('wire', 'accuses', ['gov'])),
    'uncontested',
    'one names an ancestor of the other',
  )
  t.equal(
    statusOf(claim('ngo', 'accuses', ['rebels']), claim('ngo', 'accuses', ['foreign'], '2020-01-02')),
    'uncontested',
    'disjoint sets from the same source are not rule (b)',
  )
  t.equal(
    statusOf(claim('ngo', 'accuses', ['gov']), claim('wire', 'denies', ['air-force'])),
    'uncontested',
    'denying a part of the accused actor is not rule (a)',
  )
  t.equal(
    statusOf(claim('ngo', 'accuses', ['air-force']), claim('ngo', 'denies', ['gov'])),
    'uncontested',
    'a source cannot contest itself under rule (a)',
  )
  t.equal(
    statusOf(claim('ngo', 'accuses', ['rebels']), claim('wire', 'denies', ['gov'])),
    'uncontested',
    'a denial of an actor nobody accuses',
  )
})

t.test('contested', async (t) => {
  t.equal(statusOf(claim('ngo', 'accuses', ['gov']), claim('mod', 'denies', ['gov'])), 'contested', '(a)')
  t.equal(
    statusOf(claim('ngo', 'accuses', ['air-force']), claim('mod', 'denies', ['gov'])),
    'contested',
    '(a) with the denial naming an ancestor',
  )
  t.equal(
    statusOf(claim('ngo', 'accuses', ['gov', 'foreign']), claim('mod', 'denies', ['foreign'])),
    'contested',
    '(a) on one of several accused actors',
  )
  t.equal(statusOf(claim('ngo', 'accuses', ['gov']), claim('wire', 'accuses', ['rebels'])), 'contested', '(b)')
  t.equal(
    statusOf(claim('ngo', 'accuses', ['gov', 'foreign']), claim('wire', 'accuses', ['rebels'])),
    'contested',
    '(b) with several actors on one side',
  )
  t.equal(
    statusOf(
      claim('ngo', 'accuses', ['air-force', 'rebels']),
      claim('ngo', 'accuses', ['air-force'], '2020-01-02'),
      claim('wire', 'accuses', ['gov']),
    ),
    'contested',
    '(b) over counted stances: the earlier claim now counts for rebels alone, apart from gov',
  )
  t.equal(
    statusOf(
      claim('ngo', 'accuses', ['air-force', 'rebels']),
      claim('ngo', 'accuses', ['rebels', 'air-force'], '2020-01-02'),
      claim('wire', 'accuses', ['gov']),
    ),
    'uncontested',
    'a repeated claim replaces the earlier one on every pair',
  )
  t.equal(
    statusOf(
      claim('ngo', 'accuses', ['air-force', 'rebels']),
      claim('ngo', 'denies', ['air-force'], '2020-01-02'),
      claim('wire', 'accuses', ['gov']),
    ),
    'contested',
    '(b) over the actors each claim still counts for: rebels against gov',
  )
})

t.test('support, ordering and names', async (t) => {
  const s = summarize([
    claim('ngo', 'accuses', ['gov', 'foreign']),
    claim('wire', 'accuses', ['rebels']),
    claim('mod', 'accuses', ['rebels']),
    claim('af-press', 'denies', ['air-force']),
    claim('ngo', 'denies', ['mystery']),
  ])
  t.same(
    s.actors.map((a) => [a.actor_id, a.name, a.support]),
    [
      ['rebels', 'Rebels', 2],
      ['foreign', 'Foreign forces', 0.5],
      ['gov', 'Government', 0.5],
      ['air-force', 'Air Force', 0],
      ['mystery', 'mystery', 0],
    ],
  )
  t.equal(s.sources, 4)
  const rebels = s.actors[0]
  t.same(
    rebels?.accused_by.map((a) => a.source_id),
    ['mod', 'wire'],
    'accused_by ordered by source',
  )
  t.same(s.actors[1]?.accused_by, [
    { source_id: 'ngo', claim_id: s.actors[1]?.accused_by[0]?.claim_id, certainty: 'asserted', alternatives: ['gov'], via: [] },
  ])
})

t.test('support is summed exactly, so equal supports tie on actor id', async (t) => {
  // 1/2 + 1/3 + 1/6 is 0.9999999999999999 in floating point, below 1/2 + 1/2.
  const s = summarize([
    claim('s1', 'accuses', ['zulu', 'x1']),
    claim('s2', 'accuses', ['zulu', 'x2']),
    claim('s3', 'accuses', ['bravo', 'y1']),
    claim('s4', 'accuses', ['bravo', 'y2', 'y3']),
    claim('s5', 'accuses', ['bravo', 'y4', 'y5', 'y6', 'y7', 'y8']),
  ])
  t.same(s.actors.slice(0, 2).map((a) => [a.actor_id, a.support]), [['bravo', 1], ['zulu', 1]])
})

t.test('self and admitted follow the actor tree', async (t) => {
  const s = summarize([
    claim('mod', 'denies', ['air-force', 'rebels']),
    claim('af-press', 'denies', ['gov']),
    claim('ngo', 'denies', ['air-force']),
  ])
  const standing = (id: string) => s.actors.find((a) => a.actor_id === id)
  t.same(
    standing('air-force')?.denied_by.map((d) => [d.source_id, d.self]),
    [['mod', true], ['ngo', false]],
    'a source speaking for the parent denies for itself',
  )
  t.same(standing('gov')?.denied_by.map((d) => d.self), [false], 'a part does not speak for the whole')
  t.same(standing('rebels')?.denied_by.map((d) => d.self), [false])

  const admissions = summarize([claim('mod', 'accuses', ['air-force']), claim('ngo', 'accuses', ['gov'])])
  const admitted = Object.fromEntries(admissions.actors.map((a) => [a.actor_id, a.admitted]))
  t.same(admitted, { 'air-force': true, gov: false })
  const partAdmits = summarize([claim('af-press', 'accuses', ['gov'])])
  t.equal(partAdmits.actors[0]?.admitted, false, 'a part cannot admit for the whole')
  t.equal(summarize([claim('ngo', 'accuses', ['gov'])]).actors[0]?.admitted, false)
})

t.test('entropy', async (t) => {
  t.equal(summarize([claim('ngo', 'accuses', ['gov']), claim('wire', 'accuses', ['gov'])]).entropy, 0)
  t.equal(summarize([claim('ngo', 'accuses', ['gov', 'rebels', 'foreign'])]).entropy, 1, 'even split')
  const uneven = summarize([claim('ngo', 'accuses', ['gov']), claim('wire', 'accuses', ['gov', 'rebels'])])
  const shares = [0.75, 0.25]
  t.equal(uneven.entropy, -shares.reduce((h, s) => h + s * Math.log2(s), 0))
  t.equal(
    summarize([claim('ngo', 'accuses', ['gov']), claim('wire', 'denies', ['rebels'])]).entropy,
    0,
    'denied actors take no share',
  )
})

t.test('an actor tree with a cycle does not hang', async (t) => {
  const loop = directory([], [
    { id: 'x', parent_id: 'y' },
    { id: 'y', parent_id: 'x' },
  ])
  t.equal(summarize([claim('ngo', 'accuses', ['x']), claim('wire', 'denies', ['y'])], loop).status, 'contested')
  t.equal(summarize([claim('ngo', 'accuses', ['x']), claim('wire', 'accuses', ['y'])], loop).status, 'uncontested')
})
