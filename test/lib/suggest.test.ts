/** "Did you mean": the nearest known name or value, or none when nothing is close. */
import t from 'tap'
import { editDistance, nearest, quoted } from '../../src/lib/suggest.js'
import { CLAIM_INPUT_FIELDS } from '../../src/schemas/csv-columns.js'
import { METRICS, POPULATIONS, QUALIFIERS } from '../../src/engine/types.js'

t.test('editDistance counts insertions, deletions and substitutions', async (t) => {
  t.equal(editDistance('', ''), 0)
  t.equal(editDistance('kiled', 'killed'), 1)
  t.equal(editDistance('killed', 'kiled'), 1)
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('', 'abc'), 3)
  t.equal(editDistance('flaw', 'lawn'), 2)
})

t.test('nearest: typos, case, separators and prefixes; nothing for what is far', async (t) => {
  const cases: Array<[string, readonly string[], string | undefined]> = [
    ['kiled', METRICS, 'killed'],
    ['Killd', METRICS, 'killed'],
    ['injued', METRICS, 'injured'],
    ['hundred', METRICS, undefined],
    ['hundred', QUALIFIERS, 'hundreds'],
    ['at-least', QUALIFIERS, 'at_least'],
    ['atleast', QUALIFIERS, 'at_least'],
    ['approx', QUALIFIERS, 'approximately'],
    ['civillians', POPULATIONS, 'civilians'],
    ['sourceid', CLAIM_INPUT_FIELDS, 'source_id'],
    ['source', CLAIM_INPUT_FIELDS, 'source_id'],
    ['Source ID', CLAIM_INPUT_FIELDS, 'source_id'],
    ['actors', CLAIM_INPUT_FIELDS, 'actor_ids'],
    ['colour', CLAIM_INPUT_FIELDS, undefined],
    ['', METRICS, undefined],
    ['x', METRICS, undefined],
  ]
  for (const [sent, candidates, expected] of cases) t.equal(nearest(sent, candidates), expected, `${sent} → ${String(expected)}`)
})

t.test('quoted: what was sent, as JSON, cut short when long', async (t) => {
  t.equal(quoted('kiled'), '"kiled"')
  t.equal(quoted(5), '5')
  t.equal(quoted(null), 'null')
  t.equal(quoted(undefined), 'nothing')
  t.equal(quoted('x'.repeat(100)), `"${'x'.repeat(76)}...`)
})

t.test('nearest: a text far longer than every candidate is near none of them, and is not measured against them', async (t) => {
  const huge = `killed${'x'.repeat(1_000_000)}`
  t.equal(nearest(huge, METRICS), undefined, 'a megabyte is no metric')
  t.equal(nearest('kiled', METRICS), 'killed', 'within two letters of length, still measured')
  t.equal(nearest('sou', ['source_id']), 'source_id', 'a beginning of a longer name still suggests it')
})
