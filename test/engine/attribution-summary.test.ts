import t from 'tap'
import { attributionSummary } from '../../src/engine/attribution-summary.js'
import { countedStances } from '../../src/engine/counting.js'
import type { AttributionClaim, Directory, Stance } from '../../src/engine/types.js'
import { attribution, day, directory } from './fixtures/claims.js'

// gov ← air-force; mod speaks for gov, af-press for air-force; rebels and foreign stand alone.
const dir = directory(
  [{ id: 'mod', affiliated_actor_id: 'gov' }, { id: 'af-press', affiliated_actor_id: 'air-force' }, { id: 'ngo' }, { id: 'wire' }],
  [
    { id: 'gov', name: 'Government' },
    { id: 'air-force', name: 'Air Force', parent_id: 'gov' },
    { id: 'rebels', name: 'Rebels' },
    { id: 'foreign', name: 'Foreign forces' },
  ],
)

let n = 0
const stance =
  (kind: Stance) =>
  (source_id: string, actor_ids: string[], date = '2020-01-01'): AttributionClaim => {
    n += 1
    const id = `c${String(n).padStart(2, '0')}`
    return attribution({ id, source_id, stance: kind, actor_ids, stated_at: day(date) })
  }
const accuses = stance('accuses')
const denies = stance('denies')
const summarize = (claims: AttributionClaim[], d: Directory = dir) => attributionSummary(countedStances(claims), d)
const statusOf = (...claims: AttributionClaim[]) => summarize(claims).status

/** Each case: what it shows, the status expected, and the claims (built in order: their ids are c01, c02, …). */
type StatusCase = [string, string, AttributionClaim[]]
const statuses = (t: { equal: (a: unknown, b: unknown, m: string) => unknown }, cases: StatusCase[]) => {
  for (const [message, expected, claims] of cases) t.equal(statusOf(...claims), expected, message)
}

t.test('none and unattributed', async (t) => {
  t.strictSame(summarize([]), { status: 'none', sources: 0, entropy: 0, actors: [] })
  statuses(t, [
    ['only denials', 'unattributed', [denies('mod', ['gov']), denies('ngo', ['rebels'])]],
    ['a later denial replaces the accusation', 'unattributed', [accuses('ngo', ['gov']), denies('ngo', ['gov'], '2020-01-02')]],
  ])
})

t.test('uncontested', async (t) => {
  statuses(t, [
    ['one accusation', 'uncontested', [accuses('ngo', ['gov'])]],
    ['two sources accuse the same actor', 'uncontested', [accuses('ngo', ['gov']), accuses('wire', ['gov'])]],
    ['actor sets with an actor in common', 'uncontested', [accuses('ngo', ['gov', 'rebels']), accuses('wire', ['rebels', 'foreign'])]],
    ['one names an ancestor of the other', 'uncontested', [accuses('ngo', ['air-force']), accuses('wire', ['gov'])]],
    [
      'disjoint sets from the same source are not rule (b)',
      'uncontested',
      [accuses('ngo', ['rebels']), accuses('ngo', ['foreign'], '2020-01-02')],
    ],
    ['denying a part of the accused actor is not rule (a)', 'uncontested', [accuses('ngo', ['gov']), denies('wire', ['air-force'])]],
    ['a source cannot contest itself under rule (a)', 'uncontested', [accuses('ngo', ['air-force']), denies('ngo', ['gov'])]],
    ['a denial of an actor nobody accuses', 'uncontested', [accuses('ngo', ['rebels']), denies('wire', ['gov'])]],
  ])
})

t.test('contested', async (t) => {
  statuses(t, [
    ['(a)', 'contested', [accuses('ngo', ['gov']), denies('mod', ['gov'])]],
    ['(a) with the denial naming an ancestor', 'contested', [accuses('ngo', ['air-force']), denies('mod', ['gov'])]],
    ['(a) on one of several accused actors', 'contested', [accuses('ngo', ['gov', 'foreign']), denies('mod', ['foreign'])]],
    ['(b)', 'contested', [accuses('ngo', ['gov']), accuses('wire', ['rebels'])]],
    ['(b) with several actors on one side', 'contested', [accuses('ngo', ['gov', 'foreign']), accuses('wire', ['rebels'])]],
    [
      '(b) over counted stances: the earlier claim now counts for rebels alone, apart from gov',
      'contested',
      [accuses('ngo', ['air-force', 'rebels']), accuses('ngo', ['air-force'], '2020-01-02'), accuses('wire', ['gov'])],
    ],
    [
      'a repeated claim replaces the earlier one on every pair',
      'uncontested',
      [accuses('ngo', ['air-force', 'rebels']), accuses('ngo', ['rebels', 'air-force'], '2020-01-02'), accuses('wire', ['gov'])],
    ],
    [
      '(b) over the actors each claim still counts for: rebels against gov',
      'contested',
      [accuses('ngo', ['air-force', 'rebels']), denies('ngo', ['air-force'], '2020-01-02'), accuses('wire', ['gov'])],
    ],
  ])
})

t.test('support, ordering and names', async (t) => {
  const s = summarize([
    accuses('ngo', ['gov', 'foreign']),
    accuses('wire', ['rebels']),
    accuses('mod', ['rebels']),
    denies('af-press', ['air-force']),
    denies('ngo', ['mystery']),
  ])
  t.strictSame(
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
  t.strictSame(
    s.actors[0]?.accused_by.map((a) => a.source_id),
    ['mod', 'wire'],
    'accused_by ordered by source',
  )
  const foreign = s.actors[1]?.accused_by
  t.strictSame(foreign, [
    {
      source_id: 'ngo',
      claim_id: foreign?.[0]?.claim_id,
      certainty: 'asserted',
      alternatives: ['gov'],
      via: [],
    },
  ])
})

t.test('support is summed exactly, so equal supports tie on actor id', async (t) => {
  // 1/2 + 1/3 + 1/6 is 0.9999999999999999 in floating point, below 1/2 + 1/2.
  const s = summarize([
    accuses('s1', ['zulu', 'x1']),
    accuses('s2', ['zulu', 'x2']),
    accuses('s3', ['bravo', 'y1']),
    accuses('s4', ['bravo', 'y2', 'y3']),
    accuses('s5', ['bravo', 'y4', 'y5', 'y6', 'y7', 'y8']),
  ])
  t.strictSame(
    s.actors.slice(0, 2).map((a) => [a.actor_id, a.support]),
    [
      ['bravo', 1],
      ['zulu', 1],
    ],
  )
})

t.test('self and admitted follow the actor tree', async (t) => {
  const s = summarize([denies('mod', ['air-force', 'rebels']), denies('af-press', ['gov']), denies('ngo', ['air-force'])])
  const standing = (id: string) => s.actors.find((a) => a.actor_id === id)
  t.strictSame(
    standing('air-force')?.denied_by.map((d) => [d.source_id, d.self]),
    [
      ['mod', true],
      ['ngo', false],
    ],
    'a source speaking for the parent denies for itself',
  )
  t.strictSame(
    standing('gov')?.denied_by.map((d) => d.self),
    [false],
    'a part does not speak for the whole',
  )
  t.strictSame(
    standing('rebels')?.denied_by.map((d) => d.self),
    [false],
  )

  const admissions = summarize([accuses('mod', ['air-force']), accuses('ngo', ['gov'])])
  const admitted = Object.fromEntries(admissions.actors.map((a) => [a.actor_id, a.admitted]))
  t.strictSame(admitted, { 'air-force': true, gov: false })
  const partAdmits = summarize([accuses('af-press', ['gov'])])
  t.equal(partAdmits.actors[0]?.admitted, false, 'a part cannot admit for the whole')
  t.equal(summarize([accuses('ngo', ['gov'])]).actors[0]?.admitted, false)
})

t.test('entropy', async (t) => {
  t.equal(summarize([accuses('ngo', ['gov']), accuses('wire', ['gov'])]).entropy, 0)
  t.equal(summarize([accuses('ngo', ['gov', 'rebels', 'foreign'])]).entropy, 1, 'even split')
  const eleven = Array.from({ length: 11 }, (_, i) => `actor-${i}`)
  // Eleven even shares sum to 1.0000000000000002 in floating point.
  t.equal(summarize([accuses('ngo', eleven)]).entropy, 1, 'never above 1')
  const uneven = summarize([accuses('ngo', ['gov']), accuses('wire', ['gov', 'rebels'])])
  const shares = [0.75, 0.25]
  t.equal(uneven.entropy, -shares.reduce((h, s) => h + s * Math.log2(s), 0))
  t.equal(summarize([accuses('ngo', ['gov']), denies('wire', ['rebels'])]).entropy, 0, 'denied actors take no share')
})

t.test('an actor tree with a cycle does not hang', async (t) => {
  const loop = directory(
    [],
    [
      { id: 'x', parent_id: 'y' },
      { id: 'y', parent_id: 'x' },
    ],
  )
  t.equal(summarize([accuses('ngo', ['x']), denies('wire', ['y'])], loop).status, 'contested')
  t.equal(summarize([accuses('ngo', ['x']), accuses('wire', ['y'])], loop).status, 'uncontested')
})
