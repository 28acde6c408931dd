/**
 * CSV cells and export file names for values the API's own rows do not hold
 * today (lists and objects nested inside a cell, filters whose value is a
 * list): the exported helpers still give one defined answer for them.
 */
import t from 'tap'
import { cellText, exportFileName } from '../../src/lib/formats.js'

t.test('a list or object nested inside a cell is written as its JSON', async (t) => {
  t.equal(cellText([{ a: 1 }, [2, 3], 'tass']), '{"a":1};[2,3];tass', 'inside a list: each nested value as JSON, joined with ;')
  t.equal(
    cellText({ ucdp_ged: { id: 42 }, acled: ['SYR1', 'SYR2'] }),
    'ucdp_ged={"id":42};acled=["SYR1","SYR2"]',
    'inside an object: key=JSON',
  )
  t.equal(cellText([1, true, null, undefined]), '1;true;;', 'numbers and booleans as text, null and absent as empty')
})

t.test('a filter whose value is not text, a number or a boolean adds nothing to the file name', async (t) => {
  t.equal(
    exportFileName('/events', {}, { tag: ['war', 'air'], country: 'SY' }, 'csv'),
    'reckon-events-sy.csv',
    'a list value is left out, the rest kept',
  )
  t.equal(
    exportFileName('/claims', {}, { event_id: null, kind: { figure: true } }, 'ndjson'),
    'reckon-claims.ndjson',
    'null and objects are left out',
  )
  t.equal(
    exportFileName('/claims', {}, { limit: 5, value: 58, flag: false }, 'csv'),
    'reckon-claims-value-58-flag-false.csv',
    'numbers and booleans are labelled with their parameter',
  )
})
