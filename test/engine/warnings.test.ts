import t from 'tap'
import { countedSet } from '../../src/engine/counting.js'
import type { Claim } from '../../src/engine/types.js'
import { summaryWarnings } from '../../src/engine/warnings.js'
import { attribution, day, figure } from './fixtures/claims.js'

/** The warnings of a summary of these claims as of a moment after them all. */
const warnings = (claims: Claim[]) => summaryWarnings(countedSet(claims, day('2030-01-01')))

t.test('a sub-population larger than the same source’s all', async (t) => {
  const all = figure({ id: 'all', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 10 })
  const kids = figure({
    id: 'kids',
    source_id: 's1',
    stated_at: day('2020-01-01'),
    qualifier: 'at_least',
    value: 12,
    population: 'children',
  })
  const [w] = warnings([all, kids])
  t.equal(w?.code, 'subpopulation_exceeds_all')
  t.strictSame(w?.claim_ids, ['kids', 'all'])
  t.equal(w?.source_id, 's1')
  t.match(w?.message, /at least 12.*at most 10/)

  const fits = figure({ id: 'kids', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 10, population: 'children' })
  t.strictSame(warnings([all, fits]), [], 'equal is possible')
  const otherSource = figure({ ...kids, source_id: 's2' })
  t.strictSame(warnings([all, otherSource]), [], 'only a source’s own figures are compared')
  const openAll = figure({ ...all, qualifier: 'at_least' })
  t.strictSame(warnings([openAll, kids]), [], 'an unbounded all allows anything')
  const otherMetric = figure({ ...kids, metric: 'injured' })
  t.strictSame(warnings([all, otherMetric]), [])
})

t.test('a downward revision of a cumulative figure', async (t) => {
  const first = figure({ id: 'd1', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 100 })
  const second = figure({ id: 'd2', source_id: 's1', stated_at: day('2020-01-02'), qualifier: 'approximately', value: 80 })
  const [w] = warnings([second, first])
  t.equal(w?.code, 'downward_revision')
  t.strictSame(w?.claim_ids, ['d1', 'd2'])
  const up = figure({ ...second, qualifier: 'exact', value: 120 })
  t.strictSame(warnings([first, up]), [])
  const overlapping = figure({ ...second, qualifier: 'approximately', value: 95 })
  t.strictSame(warnings([first, overlapping]), [], 'overlapping intervals are not a revision')
  const sameDay = figure({ ...second, stated_at: first.stated_at })
  t.strictSame(warnings([first, sameDay]), [], 'two figures of one day have no order')
})

t.test('a revision is the counted figure against the same source’s previous one in force', async (t) => {
  const first = figure({ id: 'd1', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 100 })
  const drop = figure({ id: 'd2', source_id: 's1', stated_at: day('2020-01-02'), qualifier: 'exact', value: 50 })
  const recovery = figure({ id: 'd3', source_id: 's1', stated_at: day('2020-01-03'), qualifier: 'exact', value: 120 })
  t.strictSame(warnings([first, drop, recovery]), [], 'a drop no longer counted is not the summary’s to show (the timeline shows it)')
  t.strictSame(
    summaryWarnings(countedSet([first, drop, recovery], day('2020-01-02'))).map((w) => w.claim_ids),
    [['d1', 'd2']],
    'as of the day of the drop it is',
  )
  const retracted = figure({ ...drop, id: 'd2r', retraction: { at: day('2020-02-01'), reason: 'misread' } })
  const low = figure({ id: 'd4', source_id: 's1', stated_at: day('2020-01-04'), qualifier: 'exact', value: 60 })
  t.strictSame(
    warnings([first, retracted, low]).map((w) => w.claim_ids),
    [['d1', 'd4']],
    'compared with the latest figure in force before it, past a retracted one',
  )
  const fix = figure({ id: 'fix', source_id: 's1', stated_at: day('2020-01-05'), qualifier: 'exact', value: 110, supersedes: 'd1' })
  t.strictSame(
    countedSet([first, low, fix], day('2030-01-01')).previous.map((c) => c.id),
    ['d4'],
    'a superseded figure is not a previous one',
  )
})

t.test('relay chains that loop or name the origin', async (t) => {
  const loop = attribution({
    id: 'l',
    source_id: 's1',
    via: ['s2', 's3', 's2'],
    stated_at: day('2020-01-01'),
    stance: 'accuses',
    actor_ids: ['gov'],
  })
  const self = figure({ id: 'o', source_id: 's1', via: ['s2', 's1'], stated_at: day('2020-01-01'), qualifier: 'exact', value: 1 })
  const fine = figure({ id: 'f', source_id: 's1', via: ['s2', 's3'], stated_at: day('2020-01-01'), qualifier: 'exact', value: 1 })
  t.strictSame(
    warnings([loop, self, fine]).map((w) => [w.code, w.claim_ids]),
    [
      ['relay_loop', ['l']],
      ['relay_names_origin', ['o']],
    ],
  )
})

t.test('a possible echo: a counted figure repeating another source’s earlier one, undeclared', async (t) => {
  const wire = figure({ id: 'w1', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 58 })
  const paperBefore = figure({ id: 'p1', source_id: 's2', stated_at: day('2020-01-01'), qualifier: 'exact', value: 40 })
  const paper = figure({ id: 'p2', source_id: 's2', stated_at: day('2020-01-03'), qualifier: 'exact', value: 58 })
  const [w, ...rest] = warnings([wire, paperBefore, paper])
  t.strictSame(rest, [])
  t.strictSame(w, {
    code: 'possible_echo',
    message:
      "s2's killed/all may echo s1: the same figure (exact 58) as s1 stated 2 days earlier, not declared as relayed (via); " +
      'its previous figure in the group was exact 40.',
    source_id: 's2',
    claim_ids: ['p2', 'w1'],
  })
  t.strictSame(warnings([wire, paperBefore, { ...paper, via: ['s1'] }]), [], 'declared as relayed: confirmed, not a warning')
  t.strictSame(warnings([wire, { ...paper, stated_at: wire.stated_at }]), [], 'at the same moment: no order to tell')
  t.strictSame(warnings([wire, { ...paperBefore, value: 58 }, paper]), [], 'its own course: it said 58 before')
  t.strictSame(
    warnings([{ ...wire, retraction: { at: day('2020-02-01'), reason: 'wrong' } }, paperBefore, paper]),
    [],
    'a retracted figure is not repeated',
  )
  t.strictSame(
    warnings([wire, paper, { ...paper, id: 'p3', stated_at: day('2020-01-04'), value: 70 }]),
    [],
    'no longer counted: not the summary’s',
  )
  const corrected = figure({ ...paper, id: 'p2c', stated_at: day('2020-01-04'), supersedes: 'p2' })
  t.strictSame(
    warnings([wire, paperBefore, paper, corrected]),
    [],
    'a correction restating its figure follows its own course: its previous figure, superseded or not, was the same',
  )
  t.strictSame(
    countedSet([wire, paperBefore, paper, corrected], day('2030-01-01')).earlier.map((c) => c.id),
    ['w1', 'p2'],
    'what the rule reads: the earlier match and the source’s latest figure before it',
  )
})
