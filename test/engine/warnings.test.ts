import t from 'tap'
import { summaryWarnings } from '../../src/engine/warnings.js'
import { attribution, day, figure } from './fixtures/claims.js'

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
  const [w] = summaryWarnings([all, kids])
  t.equal(w?.code, 'subpopulation_exceeds_all')
  t.strictSame(w?.claim_ids, ['kids', 'all'])
  t.equal(w?.source_id, 's1')
  t.match(w?.message, /at least 12.*at most 10/)

  const fits = figure({ id: 'kids', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 10, population: 'children' })
  t.strictSame(summaryWarnings([all, fits]), [], 'equal is possible')
  const otherSource = figure({ ...kids, source_id: 's2' })
  t.strictSame(summaryWarnings([all, otherSource]), [], 'only a source’s own figures are compared')
  const openAll = figure({ ...all, qualifier: 'at_least' })
  t.strictSame(summaryWarnings([openAll, kids]), [], 'an unbounded all allows anything')
  const otherMetric = figure({ ...kids, metric: 'injured' })
  t.strictSame(summaryWarnings([all, otherMetric]), [])
})

t.test('a downward revision of a cumulative figure', async (t) => {
  const first = figure({ id: 'd1', source_id: 's1', stated_at: day('2020-01-01'), qualifier: 'exact', value: 100 })
  const second = figure({ id: 'd2', source_id: 's1', stated_at: day('2020-01-02'), qualifier: 'approximately', value: 80 })
  const [w] = summaryWarnings([second, first])
  t.equal(w?.code, 'downward_revision')
  t.strictSame(w?.claim_ids, ['d1', 'd2'])
  const up = figure({ ...second, qualifier: 'exact', value: 120 })
  t.strictSame(summaryWarnings([first, up]), [])
  const overlapping = figure({ ...second, qualifier: 'approximately', value: 95 })
  t.strictSame(summaryWarnings([first, overlapping]), [], 'overlapping intervals are not a revision')
  const sameDay = figure({ ...second, stated_at: first.stated_at })
  t.strictSame(summaryWarnings([first, sameDay]), [], 'two figures of one day have no order')
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
    summaryWarnings([loop, self, fine]).map((w) => [w.code, w.claim_ids]),
    [
      ['relay_loop', ['l']],
      ['relay_names_origin', ['o']],
    ],
  )
})
