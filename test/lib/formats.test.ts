import { Readable } from 'node:stream'
import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import t from 'tap'
import { fromSpreadsheetSafe, spreadsheetSafe } from '../../src/lib/spreadsheet-safe.js'
import { z } from 'zod'
import { decodeCursor } from '../../src/lib/cursor.js'
import {
  cellText,
  column,
  columnsOf,
  csvCell,
  csvRenderer,
  exportFileName,
  exportStream,
  negotiateFormat,
  nextLink,
  ndjsonRenderer,
  pageInSlices,
} from '../../src/lib/formats.js'
import { type Page, takePage } from '../../src/lib/pages.js'
import { testSeed } from '../seed.js'

t.test('negotiateFormat reads Accept as RFC 9110 does', async (t) => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'json'],
    ['', 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['text/csv', 'csv'],
    ['TEXT/CSV; charset=utf-8', 'csv'],
    ['application/x-ndjson', 'ndjson'],
    ['application/ndjson', 'ndjson'],
    ['text/*', 'csv'],
    ['application/*', 'json'],
    ['text/csv, application/json', 'csv'],
    ['application/json, text/csv', 'json'],
    ['text/csv;q=0.5, application/x-ndjson', 'ndjson'],
    ['application/json;q=0.1, text/csv;q=0.9', 'csv'],
    ['text/csv, */*;q=0.1', 'csv'],
    ['*/*, text/csv', 'csv'],
    ['text/*, text/csv;q=0', 'json'],
    ['text/csv;q=0', 'json'],
    ['text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8', 'json'],
    ['image/png', 'json'],
    ['garbage', 'json'],
  ]
  for (const [accept, format] of cases) t.equal(negotiateFormat(accept), format, `Accept: ${accept}`)
})

t.test('nextLink keeps the path and every parameter, and sets the cursor', async (t) => {
  t.equal(nextLink('/claims', 'abc'), '</claims?cursor=abc>; rel="next"')
  t.equal(nextLink('/claims?limit=2&kind=figure', 'abc'), '</claims?limit=2&kind=figure&cursor=abc>; rel="next"')
  t.equal(
    nextLink('/claims?cursor=old&limit=2', 'new'),
    '</claims?cursor=new&limit=2>; rel="next"',
    'the old cursor is replaced, not repeated',
  )
  const link = nextLink('/events/x/claims?stated_from=2017-04-04T00:00:00Z&q=a+b', 'c')
  const url = new URL(link.slice(1, link.indexOf('>')), 'http://h')
  t.equal(url.pathname, '/events/x/claims')
  t.equal(url.searchParams.get('stated_from'), '2017-04-04T00:00:00Z', 'values survive re-encoding')
  t.equal(url.searchParams.get('q'), 'a b')
})

t.test('cells: lists joined with ;, null and absent empty, records as key=value', async (t) => {
  t.equal(cellText(null), '')
  t.equal(cellText(undefined), '')
  t.equal(cellText(['reuters', 'tass']), 'reuters;tass')
  t.equal(cellText([]), '')
  t.equal(cellText(58), '58')
  t.equal(cellText(70 / 58), String(70 / 58), 'numbers unrounded')
  t.equal(cellText(false), 'false')
  t.equal(cellText({ acled: 'SYR1', ucdp_ged: '42' }), 'acled=SYR1;ucdp_ged=42')
})

t.test('CSV: RFC 4180 quoting, CRLF, header and HXL rows; csv-parse reads back every value', async (t) => {
  const columns = [column('a', '#meta+a'), column('b'), column('low', '#affected+min', ['interval', 'low'])]
  const render = csvRenderer<Record<string, unknown>>(columns, true)
  t.equal(render.head, 'a,b,low\r\n#meta+a,,#affected+min\r\n', 'a column without a tag has an empty HXL cell')
  const tricky = ['has, comma', 'has "quotes"', 'line\nbreak', 'crlf\r\nbreak', 'cr\ronly', ' spaced ', '', 'é ✓ ٥٨']
  const items = tricky.map((a) => ({ a, b: ['x', 'y'], interval: { low: 1, high: null } }))
  const text = render.head + render.items(items)
  t.match(text, /"has, comma"/)
  t.match(text, /"has ""quotes"""/)
  t.match(text, /"line\nbreak"/, 'a lone \\n is quoted too')
  t.match(text, /"cr\ronly"/)
  t.ok(text.endsWith('\r\n'))
  const rows = parse(text, { from_line: 3 }) as string[][]
  t.strictSame(
    rows.map((r) => r[0]),
    tricky,
  )
  t.strictSame(rows[0], ['has, comma', 'x;y', '1'])
  t.equal(render.items([]), '', 'no items, no bytes')
})

t.test('NDJSON: one JSON document per line', async (t) => {
  const render = ndjsonRenderer<object>()
  const text = render.head + render.items([{ a: 'line\nbreak' }, { b: [1, 2] }])
  const lines = text.split('\n')
  t.equal(lines.length, 3)
  t.equal(lines[2], '', 'the last line ends with \\n')
  t.strictSame(JSON.parse(lines[0] ?? ''), { a: 'line\nbreak' })
  t.strictSame(JSON.parse(lines[1] ?? ''), { b: [1, 2] })
})

t.test('columnsOf flattens nested objects and keeps lists and records whole', async (t) => {
  const schema = z.object({
    id: z.string(),
    location: z.object({ place: z.string().optional(), lat: z.number().optional() }).nullable(),
    tags: z.array(z.string()),
    external_ids: z.record(z.string(), z.string()),
  })
  const columns = columnsOf(schema, { id: '#event+id', location_place: '#loc+name' })
  t.strictSame(
    columns.map((c) => [c.name, c.hxl, c.path]),
    [
      ['id', '#event+id', ['id']],
      ['location_place', '#loc+name', ['location', 'place']],
      ['location_lat', '', ['location', 'lat']],
      ['tags', '', ['tags']],
      ['external_ids', '', ['external_ids']],
    ],
  )
  const render = csvRenderer<object>(columns, false)
  t.equal(render.items([{ id: 'e', location: null, tags: ['a', 'b'], external_ids: { acled: '1' } }]), 'e,,,a;b,acled=1\r\n')
  t.throws(() => columnsOf(z.string()), TypeError)
})

t.test('takePage reads one row past the page, then closes the iterator', async (t) => {
  let closed = false
  let read = 0
  function* rows() {
    try {
      for (let i = 0; i < 10; i++) {
        read++
        yield { id: `r${i}` }
      }
    } finally {
      closed = true
    }
  }
  const page = takePage(
    rows(),
    3,
    (r) => r,
    (r) => [r.id],
  )
  t.strictSame(
    page.items.map((r) => r.id),
    ['r0', 'r1', 'r2'],
  )
  t.strictSame(decodeCursor(page.next_cursor ?? '', 1), ['r2'])
  t.equal(read, 4, 'one extra row tells there is a next page')
  t.ok(closed, 'the iterator was closed')
  t.strictSame(
    takePage(
      [{ id: 'a' }],
      3,
      (r) => r,
      (r) => [r.id],
    ),
    { items: [{ id: 'a' }], next_cursor: null },
  )
})

/** A keyset list of `n` numbers, counting the queries made. */
function numbers(n: number) {
  const state = { queries: 0 }
  const page = (cursor: string | undefined, limit: number): Page<number> => {
    state.queries++
    const from = cursor === undefined ? 0 : Number(cursor) + 1
    const items = Array.from({ length: Math.max(0, Math.min(limit, n - from)) }, (_, i) => from + i)
    const last = items[items.length - 1]
    return { items, next_cursor: last !== undefined && last + 1 < n ? String(last) : null }
  }
  return { state, page }
}

async function text(stream: Readable): Promise<string> {
  let out = ''
  for await (const chunk of stream) out += String(chunk)
  return out
}

t.test('exportStream: every item once, in order, one batch per read', async (t) => {
  const list = numbers(1050)
  const render = csvRenderer<number>([column('n', '', [])], false)
  const stream = exportStream(list.page(undefined, 100), async (c) => list.page(c, 100), {
    head: render.head,
    items: (items) => items.map((n) => `${n}\r\n`).join(''),
  })
  t.equal(list.state.queries, 1, 'nothing more is read before the client asks')
  const body = await text(stream)
  const lines = body.trimEnd().split('\r\n')
  t.equal(lines[0], 'n')
  t.strictSame(
    lines.slice(1).map(Number),
    Array.from({ length: 1050 }, (_, i) => i),
  )
  t.equal(list.state.queries, 11)
})

t.test('exportStream waits for the reader: a paused consumer stops the queries', async (t) => {
  const list = numbers(100_000)
  const stream = exportStream(list.page(undefined, 500), async (c) => list.page(c, 500), {
    head: '',
    items: (items) => items.map((n) => `${'x'.repeat(100)}${n}\n`).join(''),
  })
  await new Promise((resolve) => stream.once('readable', resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(list.state.queries <= 2, `only ${list.state.queries} batches read while nobody consumed`)
  stream.destroy()
})

t.test('exportStream: empty batches in the middle are skipped; an empty list is just the head', async (t) => {
  const pages: Array<Page<string>> = [
    { items: ['a'], next_cursor: '1' },
    { items: [], next_cursor: '2' },
    { items: [], next_cursor: '3' },
    { items: ['b'], next_cursor: null },
  ]
  const render = ndjsonRenderer<string>()
  t.equal(await text(exportStream(pages[0] as Page<string>, async (c) => pages[Number(c)] as Page<string>, render)), '"a"\n"b"\n')
  t.equal(
    await text(
      exportStream({ items: [], next_cursor: null }, async () => ({ items: [], next_cursor: null }), { head: 'h\r\n', items: () => '' }),
    ),
    'h\r\n',
  )
})

t.test('exportStream: a failing batch destroys the stream with the error', async (t) => {
  const stream = exportStream(
    { items: ['a'], next_cursor: 'x' },
    () => {
      throw new Error('disk on fire')
    },
    ndjsonRenderer<string>(),
  )
  await t.rejects(text(stream), /disk on fire/)
})

t.test('spreadsheetSafe: a leading =, +, -, @, tab or carriage return gets an apostrophe; nothing else changes', async (t) => {
  const cases: Array<[string, string]> = [
    ['=HYPERLINK("http://x","click")', `'=HYPERLINK("http://x","click")`],
    ['+1', "'+1"],
    ['-3 dead', "'-3 dead"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['', ''],
    ['a=b', 'a=b'],
    [' =1', ' =1'],
    ["'=1", "''=1"],
    ['\n=1', '\n=1'],
    ['khan-shaykhun', 'khan-shaykhun'],
    ['2017-04-04T00:00:00.000Z', '2017-04-04T00:00:00.000Z'],
  ]
  for (const [text, safe] of cases) t.equal(spreadsheetSafe(text), safe, JSON.stringify(text))
})

t.test('csvCell: text made safe unless raw; numbers and booleans never touched', async (t) => {
  t.equal(csvCell(-3, false), '-3', 'a negative number stays a number')
  t.equal(csvCell(-0.5, false), '-0.5')
  t.equal(csvCell(true, false), 'true')
  t.equal(csvCell(null, false), '')
  t.equal(csvCell('-3', false), "'-3", 'the same characters as text are text')
  t.equal(csvCell('-3', true), '-3')
  t.equal(csvCell(['=a', 'b'], false), "'=a;b", 'a joined list is one text cell')
  t.equal(csvCell(['b', '=a'], false), 'b;=a', 'only the start of a cell matters')
  t.equal(csvCell({ '@k': 'v' }, false), "'@k=v")

  const columns = [column('text', '#description'), column('n', '#affected')]
  const safe = csvRenderer<Record<string, unknown>>(columns, true)
  const raw = csvRenderer<Record<string, unknown>>(columns, true, true)
  t.equal(safe.head, raw.head, 'the header and HXL rows are the same either way')
  t.equal(safe.items([{ text: '=1+1', n: -3 }]), "'=1+1,-3\r\n")
  t.equal(raw.items([{ text: '=1+1', n: -3 }]), '=1+1,-3\r\n')

  const seed = testSeed()
  const formulaStart = fc.constantFrom('=', '+', '-', '@', '\t', '\r')
  const text = fc.oneof(
    fc.string(),
    fc.tuple(formulaStart, fc.string()).map(([c, s]) => c + s),
  )
  fc.assert(
    fc.property(text, (value) => {
      const [safeCell] = (parse(safe.items([{ text: value, n: 1 }]), { relax_quotes: false }) as string[][])[0] ?? []
      const [rawCell] = (parse(raw.items([{ text: value, n: 1 }])) as string[][])[0] ?? []
      // A formula character at the start, after any apostrophes already there (the reversible rule, docs/data-desks.md).
      const risky = /^'*[=+\-@\t\r]/.test(value)
      return rawCell === value && safeCell === (risky ? `'${value}` : value) && !/^[=+\-@\t\r]/.test(safeCell ?? '')
    }),
    { seed, numRuns: 2000 },
  )
  fc.assert(
    fc.property(fc.double({ noNaN: true }), (n) => csvCell(n, false) === String(n)),
    { seed, numRuns: 500 },
  )
})

t.test('exportFileName: one rule, from the route, its filters and the as-of date', async (t) => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>, 'csv' | 'ndjson', string | undefined, string]> = [
    [
      '/summaries',
      {},
      { format: 'csv', as_of: '2017-04-06T23:59:59.999Z' },
      'csv',
      '2017-04-06T23:59:59.999Z',
      'reckon-summaries-as-of-2017-04-06.csv',
    ],
    [
      '/summaries',
      {},
      { metric: 'killed', limit: 5, cursor: 'abc', hxl: true, raw: false },
      'csv',
      '2026-01-02T03:04:05.000Z',
      'reckon-summaries-killed-as-of-2026-01-02.csv',
    ],
    [
      '/events/:id/summary',
      { id: 'khan-shaykhun' },
      { as_of: '2017-04-06T23:59:59.999Z' },
      'csv',
      undefined,
      'reckon-khan-shaykhun-summary-as-of-2017-04-06.csv',
    ],
    ['/claims', {}, { event_id: 'khan-shaykhun', format: 'csv' }, 'csv', undefined, 'reckon-claims-khan-shaykhun.csv'],
    ['/claims', {}, { event_id: 'khan-shaykhun' }, 'ndjson', undefined, 'reckon-claims-khan-shaykhun.ndjson'],
    ['/events', {}, {}, 'csv', undefined, 'reckon-events.csv'],
    ['/events/', {}, {}, 'csv', undefined, 'reckon-events.csv'],
    [
      '/events/:id/timeline',
      { id: 'khan-shaykhun' },
      { metric: 'killed', population: 'all' },
      'csv',
      undefined,
      'reckon-khan-shaykhun-timeline-killed-all.csv',
    ],
    [
      '/claims',
      {},
      { stated_from: '2017-04-04T00:00:00.000Z', stated_to: '2017-04-05T23:59:59.999Z' },
      'csv',
      undefined,
      'reckon-claims-stated-from-2017-04-04-stated-to-2017-04-05.csv',
    ],
    [
      '/events',
      {},
      { from: '2017-04', to: '2017', sort: '-occurred_on' },
      'csv',
      undefined,
      'reckon-events-from-2017-04-to-2017-occurred-on.csv',
    ],
    [
      '/events/:id/claims',
      { id: 'Ab C/../x"y' },
      { q: 'Khan "Shaykhun"; rm -rf /' },
      'csv',
      undefined,
      'reckon-ab-c-x-y-claims-khan-shaykhun-rm-rf.csv',
    ],
    ['/events', {}, { q: '٥٨ قتيلا' }, 'csv', undefined, 'reckon-events.csv'],
    ['/events', {}, { q: 'Ḱhán Šhaykhūn' }, 'csv', undefined, 'reckon-events-khan-shaykhun.csv'],
  ]
  for (const [route, params, query, format, asOf, name] of cases) {
    t.equal(exportFileName(route, params, query, format, asOf), name, `${route} ${JSON.stringify(query)}`)
  }
  const long = exportFileName(
    '/events',
    {},
    { q: 'x'.repeat(200), tag: 'y'.repeat(100), country: 'SY', level: 'conflicting' },
    'csv',
    '2017-04-06T23:59:59.999Z',
  )
  t.ok(long.length <= 160, `a long query makes a bounded name (${long.length} characters)`)
  t.match(long, /^reckon-events-x+-y+-sy-conflicting-as-of-2017-04-06\.csv$/, 'each value cut, the as-of date kept')
  fc.assert(
    // Whatever the parameters hold: a name of slugs, [a-z0-9] runs joined by single dashes.
    fc.property(
      fc.dictionary(
        fc.string({ minLength: 1 }),
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant('2017-04-04T00:00:00.000Z')),
      ),
      fc.string(),
      (query, id) => /^reckon(-[a-z0-9]+)*\.csv$/.test(exportFileName('/events/:id/claims', { id }, query, 'csv', undefined)),
    ),
    { seed: testSeed(), numRuns: 1000 },
  )
})

t.test('spreadsheet-safe cells read back as the text they stand for, whatever the text (seeded)', async (t) => {
  const text = fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', 'a', ' ', '1') })
  fc.assert(
    fc.property(text, (s) => {
      const safe = spreadsheetSafe(s)
      return fromSpreadsheetSafe(safe) === s && !/^[=+\-@\t\r]/.test(safe)
    }),
    { seed: testSeed(), numRuns: 5000 },
  )
  t.equal(spreadsheetSafe("'=1+1"), "''=1+1", 'an apostrophe already there before a formula gets one more…')
  t.equal(fromSpreadsheetSafe("''=1+1"), "'=1+1", '…and reads back as it was')
  t.equal(fromSpreadsheetSafe("'quoted"), "'quoted", 'an apostrophe before anything else is text')
})

t.test('pageInSlices reads a page a batch at a time, serving the event loop between batches, and answers the same page', async (t) => {
  const all = Array.from({ length: 23 }, (_, i) => `item-${String(i).padStart(2, '0')}`)
  const read = (cursor: string | undefined, limit: number): Page<string> => {
    const from = cursor === undefined ? 0 : all.indexOf(cursor) + 1
    const items = all.slice(from, from + limit)
    return { items, next_cursor: from + limit < all.length ? (items[items.length - 1] ?? null) : null }
  }
  const calls: Array<{ limit: number; turnsBefore: number }> = []
  let turns = 0
  const listing = {
    columns: [],
    batch: 5,
    async page(cursor: string | undefined, limit: number) {
      calls.push({ limit, turnsBefore: turns })
      // A callback that only runs if the event loop gets a turn before the next batch.
      setImmediate(() => turns++)
      return read(cursor, limit)
    },
  }
  for (const [cursor, limit] of [
    [undefined, 12],
    [undefined, 5],
    [undefined, 3],
    ['item-04', 30],
    ['item-09', 10],
  ] as const) {
    await new Promise((resolve) => setImmediate(resolve)) // the last case's callback has run
    calls.length = 0
    turns = 0
    t.strictSame(await pageInSlices(listing, cursor, limit), read(cursor, limit), `limit ${limit} after ${cursor ?? 'the start'}`)
    t.ok(
      calls.every((c, i) => c.turnsBefore === i),
      'each batch after the first comes after the event loop ran what the one before it scheduled',
    )
    t.ok(
      calls.every((c) => c.limit <= 5),
      'no read asks for more than a batch',
    )
  }
  calls.length = 0
  await pageInSlices(listing, undefined, 12)
  t.strictSame(
    calls.map((c) => c.limit),
    [5, 5, 2],
    'batches of 5, then the rest',
  )
})
