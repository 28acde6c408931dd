import t from 'tap'
import { isCalendarDate, isPartialDate, nowIso, parseMoment, parseStatedAt } from '../../src/lib/time.js'

t.test('isPartialDate: YYYY-MM-DD, YYYY-MM or YYYY', async (t) => {
  for (const ok of ['2017', '0001', '2017-01', '2017-12', '2017-04-04', '2016-02-29', '2000-02-29', '2017-12-31']) {
    t.ok(isPartialDate(ok), ok)
  }
  const bad = [
    '2017-02-30',
    '2017-02-29',
    '1900-02-29',
    '2017-04-31',
    '2017-13',
    '2017-00',
    '2017-04-00',
    '2017-04-32',
    'April 2017',
    '17',
    '20170',
    '2017-4',
    '2017-4-4',
    '2017/04/04',
    ' 2017',
    '2017 ',
    '2017-04-04T00:00:00Z',
    '',
  ]
  for (const b of bad) t.notOk(isPartialDate(b), JSON.stringify(b))
})

t.test('isCalendarDate: only full, real dates', async (t) => {
  t.ok(isCalendarDate('2017-04-04'))
  t.ok(isCalendarDate('2024-02-29'))
  t.notOk(isCalendarDate('2023-02-29'))
  t.notOk(isCalendarDate('2017-04'))
  t.notOk(isCalendarDate('2017'))
  t.notOk(isCalendarDate('2017-06-31'))
})

t.test('parseStatedAt: a date means 00:00:00.000Z that day', async (t) => {
  t.equal(parseStatedAt('2017-04-04'), '2017-04-04T00:00:00.000Z')
  t.equal(parseStatedAt('2016-02-29'), '2016-02-29T00:00:00.000Z')
})

t.test('parseStatedAt: date-times are converted to UTC with milliseconds', async (t) => {
  const cases: Array<[string, string]> = [
    ['2017-04-04T12:30:00Z', '2017-04-04T12:30:00.000Z'],
    ['2017-04-04T12:30Z', '2017-04-04T12:30:00.000Z'],
    ['2017-04-04t12:30:00z', '2017-04-04T12:30:00.000Z'],
    ['2017-04-04 12:30:00Z', '2017-04-04T12:30:00.000Z'],
    ['2017-04-04T12:30:00.5Z', '2017-04-04T12:30:00.500Z'],
    ['2017-04-04T12:30:00.123456789Z', '2017-04-04T12:30:00.123Z'],
    ['2017-04-04T12:30:00+02:00', '2017-04-04T10:30:00.000Z'],
    ['2017-04-04T12:30:00+0200', '2017-04-04T10:30:00.000Z'],
    ['2017-04-04T01:00:00+03:00', '2017-04-03T22:00:00.000Z'],
    ['2017-04-04T22:00:00-05:00', '2017-04-05T03:00:00.000Z'],
    ['2016-12-31T23:30:00-01:00', '2017-01-01T00:30:00.000Z'],
    ['2017-04-04T05:45:00+05:45', '2017-04-04T00:00:00.000Z'],
  ]
  for (const [input, out] of cases) t.equal(parseStatedAt(input), out, input)
})

t.test('parseStatedAt: invalid input is null', async (t) => {
  const bad = [
    '2017-02-30',
    '2017-13-01',
    '2017-04',
    '2017',
    'April 4, 2017',
    '04/04/2017',
    '2017-04-04T12:30:00',
    '2017-04-04T24:00:00Z',
    '2017-04-04T12:60:00Z',
    '2017-04-04T12:30:60Z',
    '2017-02-30T12:00:00Z',
    '2017-04-04T12:30:00+2',
    '2017-04-04T12Z',
    'now',
    '',
  ]
  for (const b of bad) t.equal(parseStatedAt(b), null, JSON.stringify(b))
})

t.test('parseMoment: a date means the end of that day', async (t) => {
  t.equal(parseMoment('2017-04-06'), '2017-04-06T23:59:59.999Z')
  t.equal(parseMoment('2016-02-29'), '2016-02-29T23:59:59.999Z')
  t.equal(parseMoment('2017-04-06T10:00:00+02:00'), '2017-04-06T08:00:00.000Z', 'date-times are taken as they are')
  t.equal(parseMoment('2017-04-06T23:59:59.999Z'), '2017-04-06T23:59:59.999Z')
  for (const b of ['2017-02-30', '2017-04', '2017', 'yesterday', '2017-04-06T10:00:00']) t.equal(parseMoment(b), null, b)
})

t.test('moments compare as strings', async (t) => {
  const a = parseStatedAt('2017-04-04T23:00:00-02:00')
  const b = parseMoment('2017-04-04')
  t.type(a, 'string')
  t.type(b, 'string')
  t.ok(String(a) > String(b), '23:00-02:00 on the 4th is after the end of the 4th in UTC')
})

t.test('nowIso is the current time as ISO UTC with milliseconds', async (t) => {
  const before = Date.now()
  const now = nowIso()
  t.match(now, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  t.ok(Date.parse(now) >= before && Date.parse(now) <= Date.now())
})
