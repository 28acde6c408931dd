/**
 * Issue #12 §5: exports a desk can open safely. CSV text cells that a
 * spreadsheet would run as a formula are written with a leading apostrophe
 * (raw=true: exactly); NDJSON and CSV downloads are named; /summaries rows say
 * what moment they hold as of.
 */
import t from 'tap'
import type { Test } from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { type Page, type Problem, build, csvRecords, get, json, khanShaykhun, post } from '../helper.js'

const EVENT = 'khan-shaykhun'
const FORMULA = '=HYPERLINK("http://x","click")'

/** Claims whose text begins with each character a spreadsheet reads as a formula, and ones that only contain one. */
const RISKY = [FORMULA, '+1-1', '-3 dead', '@SUM(A1:A9)', '\t=1', '\r=1']
const HARMLESS = ['a = b', " '=1", 'had killed 58']

async function withFormulas(t: Test) {
  const { app } = await khanShaykhun(t)
  for (const [i, quote] of [...RISKY, ...HARMLESS].entries()) {
    const res = await post(app, `/events/${EVENT}/claims`, {
      kind: 'figure',
      source_id: 'who',
      stated_at: `2017-05-${String(i + 1).padStart(2, '0')}`,
      metric: 'injured',
      qualifier: 'exact',
      value: i,
      quote,
      note: quote,
    })
    t.equal(res.statusCode, 201, quote)
  }
  return app
}

/** One column of rows, in row order. */
function column<K extends string>(rows: ReadonlyArray<Partial<Record<K, unknown>>>, name: K): unknown[] {
  return rows.map((r) => r[name])
}

t.test(
  'CSV: a quote that is a formula is written with an apostrophe; raw=true, JSON and NDJSON give the exact text; numbers unchanged',
  async (t) => {
    const app = await withFormulas(t)
    const quotes = [...RISKY, ...HARMLESS]
    const safe = quotes.map((q) => (RISKY.includes(q) ? `'${q}` : q))

    const csv = await get(app, '/claims?format=csv&metric=injured')
    t.equal(csv.statusCode, 200)
    const rows = csvRecords(csv.body)
    t.strictSame(column(rows, 'quote'), safe, 'every risky cell, and only those, begins with an apostrophe')
    t.strictSame(column(rows, 'note'), safe, 'every text column, not only quote')
    t.strictSame(
      column(rows, 'value'),
      quotes.map((_, i) => String(i)),
      'numbers as they are',
    )
    t.equal(rows[0]?.quote, `'=HYPERLINK("http://x","click")`)
    t.ok(csv.body.includes(`'=HYPERLINK(""http://x"",""click"")`), 'in the file: the apostrophe inside the RFC 4180 quoting')

    const raw = csvRecords((await get(app, '/claims?format=csv&metric=injured&raw=true')).body)
    t.strictSame(column(raw, 'quote'), quotes, 'raw=true: the exact text')
    t.strictSame(column(raw, 'note'), quotes)
    t.strictSame(
      column(raw, 'value'),
      rows.map((r) => r.value),
    )
    t.strictSame(csvRecords((await get(app, '/claims?format=csv&metric=injured&raw=false')).body), rows, 'raw=false is the default')

    const asJson = json<Page<{ quote: string; note: string; value: number }>>(await get(app, '/claims?metric=injured'))
    t.strictSame(column(asJson.items, 'quote'), quotes, 'JSON: exact')
    t.strictSame(
      column(asJson.items, 'value'),
      quotes.map((_, i) => i),
    )
    const ndjson = (await get(app, '/claims?metric=injured&format=ndjson')).body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { quote: string })
    t.strictSame(column(ndjson, 'quote'), quotes, 'NDJSON: exact')

    const hxl = await get(app, '/claims?format=csv&metric=injured&hxl=true&view=full')
    t.match(hxl.body.split('\r\n')[1], /^#event\+id,/, 'the HXL row is as before')
    const hxlRows = csvRecords(hxl.body, 1)
    t.strictSame(column(hxlRows, 'quote'), safe, 'HXL variant: the same cells')
    t.strictSame(
      column(hxlRows, 'point'),
      quotes.map((_, i) => String(i)),
    )
    t.strictSame(
      csvRecords((await get(app, '/claims?format=csv&metric=injured&hxl=true&raw=true')).body, 1).map((r) => r.quote),
      quotes,
    )

    const page = csvRecords((await get(app, '/claims?format=csv&metric=injured&limit=2')).body)
    t.strictSame(column(page, 'quote'), safe.slice(0, 2), 'a page is made safe as the stream is')
    const ofEvent = csvRecords((await get(app, `/events/${EVENT}/claims?format=csv`)).body)
    t.equal(ofEvent.find((r) => (r.quote ?? '').includes('HYPERLINK'))?.quote, `'${FORMULA}`)
  },
)

t.test('every CSV export: titles, names, aliases and tags are text cells too', async (t) => {
  const { app } = await khanShaykhun(t)
  t.equal((await post(app, '/events', { id: 'formula', title: '=1+1', occurred_on: '2017-04-05', tags: ['@x', 'y'] })).statusCode, 201)
  t.equal((await post(app, '/sources', { id: 'plus', name: '+cmd', kind: 'ngo', aliases: ['-alias'] })).statusCode, 201)
  t.equal(
    (
      await post(app, '/events/formula/claims', {
        kind: 'figure',
        source_id: 'plus',
        stated_at: '2017-04-05',
        metric: 'killed',
        qualifier: 'exact',
        value: 3,
      })
    ).statusCode,
    201,
  )

  const event = csvRecords((await get(app, '/events?format=csv')).body).find((e) => e.id === 'formula')
  t.strictSame([event?.title, event?.tags, event?.occurred_on, event?.dispute_claims], ["'=1+1", "'@x;y", '2017-04-05', '1'])
  const source = csvRecords((await get(app, '/sources?format=csv')).body).find((s) => s.id === 'plus')
  t.strictSame([source?.name, source?.aliases], ["'+cmd", "'-alias"])
  const rawSource = csvRecords((await get(app, '/sources?format=csv&raw=true')).body).find((s) => s.id === 'plus')
  t.strictSame([rawSource?.name, rawSource?.aliases], ['+cmd', '-alias'])

  const summary = csvRecords((await get(app, '/summaries?format=csv&as_of=2017-04-06')).body).find((r) => r.event_id === 'formula')
  t.strictSame([summary?.event_title, summary?.median, summary?.range_low], ["'=1+1", '3', '3'])
  const one = csvRecords((await get(app, '/events/formula/summary?format=csv&as_of=2017-04-06&hxl=true')).body, 1)
  t.strictSame(column(one, 'event_title'), ["'=1+1"])
  t.strictSame(
    csvRecords((await get(app, '/events/formula/summary?format=csv&as_of=2017-04-06&raw=true')).body).map((r) => r.event_title),
    ['=1+1'],
  )
  t.equal(json<{ event: { title: string } }>(await get(app, '/events/formula/summary?as_of=2017-04-06')).event.title, '=1+1', 'JSON: exact')
})

t.test('raw takes true or false only; with JSON or NDJSON it is accepted and changes nothing', async (t) => {
  const app = await withFormulas(t)
  for (const url of [
    '/claims?format=csv&raw=yes',
    '/claims?raw=1',
    `/events/${EVENT}/summary?format=csv&raw=TRUE`,
    '/summaries?raw=',
    '/sources?format=csv&raw=on',
    `/events/${EVENT}/claims?raw=true&raw=false`,
  ]) {
    const res = await get(app, url)
    t.equal(res.statusCode, 400, url)
    t.strictSame(
      json<Problem>(res).errors?.map((e) => [e.path, e.in]),
      [['/raw', 'query']],
      url,
    )
  }
  for (const url of [
    '/claims?metric=injured',
    '/claims?metric=injured&format=ndjson',
    `/events/${EVENT}/summary?as_of=2017-05-30`,
    '/summaries?as_of=2017-05-30&format=ndjson',
  ]) {
    const plain = await get(app, url)
    const raw = await get(app, `${url}&raw=true`)
    t.equal(raw.statusCode, 200, url)
    t.equal(raw.body, plain.body, `${url}: raw=true is the same body`)
  }
})

t.test('GET /summaries: every row says its as_of, in JSON, NDJSON and CSV', async (t) => {
  const { app } = await khanShaykhun(t)
  const asOf = '2017-04-06T23:59:59.999Z'
  const items = json<Page<Record<string, unknown>>>(await get(app, '/summaries?as_of=2017-04-06')).items
  t.equal(items.length, 3)
  t.strictSame(column(items, 'as_of'), [asOf, asOf, asOf])
  t.strictSame(Object.keys(items[0] ?? {}).slice(-2), ['attribution_status', 'as_of'], 'after the contract’s fields')
  const ndjson = (await get(app, '/summaries?as_of=2017-04-06T12:00:00%2B03:00&format=ndjson')).body
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { as_of: string })
  t.strictSame(
    column(ndjson, 'as_of'),
    ['2017-04-06T09:00:00.000Z', '2017-04-06T09:00:00.000Z', '2017-04-06T09:00:00.000Z'],
    'a date-time in UTC',
  )
  const csv = csvRecords((await get(app, '/summaries?as_of=2017-04-06&format=csv')).body)
  t.strictSame(column(csv, 'as_of'), [asOf, asOf, asOf])

  // Without as_of: now, the same moment on every row, and the one the file is named by.
  const before = new Date().toISOString()
  const now = await get(app, '/summaries?format=csv')
  const after = new Date().toISOString()
  const moments = new Set(csvRecords(now.body).map((r) => r.as_of))
  t.equal(moments.size, 1)
  const [moment = ''] = [...moments]
  t.ok(before <= moment && moment <= after, `${moment} is the moment of the request`)
  t.equal(now.headers['content-disposition'], `attachment; filename="reckon-summaries-as-of-${moment.slice(0, 10)}.csv"`)

  const single = (await get(app, `/events/${EVENT}/summary?as_of=2017-04-06&format=ndjson`)).body
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown)
  t.strictSame(single, items, 'GET /events/{id}/summary as rows: the same rows, as_of included')
})

t.test('NDJSON and CSV downloads are named; JSON is not', async (t) => {
  const { app } = await khanShaykhun(t)
  const cases: Array<[string, Record<string, string>, string]> = [
    ['/summaries?as_of=2017-04-06&format=csv', {}, 'reckon-summaries-as-of-2017-04-06.csv'],
    ['/summaries?as_of=2017-04-06&metric=killed&hxl=true', { accept: 'text/csv' }, 'reckon-summaries-killed-as-of-2017-04-06.csv'],
    ['/summaries?as_of=2017-04-06&format=ndjson&limit=1', {}, 'reckon-summaries-as-of-2017-04-06.ndjson'],
    [`/events/${EVENT}/summary?as_of=2017-04-06&format=csv`, {}, 'reckon-khan-shaykhun-summary-as-of-2017-04-06.csv'],
    [
      `/events/${EVENT}/summary?as_of=2017-04-06&known_at=2017-04-05&format=csv`,
      {},
      'reckon-khan-shaykhun-summary-known-at-2017-04-05-as-of-2017-04-06.csv',
    ],
    [`/claims?event_id=${EVENT}&format=csv`, {}, 'reckon-claims-khan-shaykhun.csv'],
    [`/claims?format=csv&raw=true&limit=2&event_id=${EVENT}`, {}, 'reckon-claims-khan-shaykhun.csv'],
    [
      '/claims?format=csv&metric=killed&stated_from=2017-04-04&stated_to=2017-04-05&view=full',
      {},
      'reckon-claims-killed-stated-from-2017-04-04-stated-to-2017-04-05-full.csv',
    ],
    [`/events/${EVENT}/claims`, { accept: 'application/x-ndjson' }, 'reckon-khan-shaykhun-claims.ndjson'],
    ['/events?format=csv', {}, 'reckon-events.csv'],
    ['/events?format=csv&country=sy&sort=-dispute', {}, 'reckon-events-sy-dispute.csv'],
    ['/sources?format=csv', {}, 'reckon-sources.csv'],
    ['/actors?format=ndjson', {}, 'reckon-actors.ndjson'],
  ]
  for (const [url, headers, name] of cases) {
    const res = await get(app, url, headers)
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['content-disposition'], `attachment; filename="${name}"`, url)
  }
  for (const url of ['/claims', `/events/${EVENT}/summary?as_of=2017-04-06`, '/summaries?format=json', '/events?limit=1']) {
    const res = await get(app, url)
    t.equal(res.headers['content-disposition'], undefined, `${url}: JSON is not a download`)
  }
  const odd = await get(app, `/events?format=csv&q=${encodeURIComponent('٥٨ "قتيلا"; rm -rf / \r\n')}`)
  t.equal(
    odd.headers['content-disposition'],
    'attachment; filename="reckon-events-rm-rf.csv"',
    'only the slug of a value: no quote, slash, space or line break',
  )
  const arabic = await get(app, `/events?format=csv&q=${encodeURIComponent('قتيلا')}`)
  t.equal(arabic.headers['content-disposition'], 'attachment; filename="reckon-events.csv"', 'a value with nothing ASCII in it: left out')
})

t.test('the default, spreadsheet-safe claims CSV posts back as it was stored: replays are existing, texts unchanged', async (t) => {
  const { app } = await khanShaykhun(t)
  const tricky = [
    { external_id: '-2017-001', quote: '+3 more injured', note: FORMULA },
    { external_id: '@desk-7', quote: "'=already quoted", note: '-' },
  ]
  for (const [i, extra] of tricky.entries()) {
    const res = await post(app, `/events/${EVENT}/claims`, {
      kind: 'figure',
      source_id: 'who',
      stated_at: `2017-04-0${7 + i}`,
      metric: 'injured',
      qualifier: 'exact',
      value: 10 + i,
      ...extra,
    })
    t.equal(res.statusCode, 201, res.body)
  }
  const csv = (await get(app, '/claims?format=csv&source_id=who&metric=injured')).body
  t.match(csv, /,'-2017-001,/, 'the export is spreadsheet-safe…')
  const again = await app.inject({
    method: 'POST',
    url: '/claims/bulk?dry_run=true',
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  })
  t.equal(again.statusCode, 200, again.body)
  t.strictSame(
    [json<{ inserted: number; existing: number }>(again).inserted, json<{ inserted: number; existing: number }>(again).existing],
    [0, 2],
    '…and posted back, both claims are recognised as the ones already stored (no duplicate)',
  )

  const other = await build(t)
  await loadFixture(other, { ...readFixture(), claims: [] })
  const loaded = await other.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: csv })
  t.equal(loaded.statusCode, 201, loaded.body)
  const stored = json<Page<{ external_id: string; quote: string; note: string }>>(await get(other, '/claims?source_id=who&metric=injured'))
  t.strictSame(
    stored.items.map((c) => ({ external_id: c.external_id, quote: c.quote, note: c.note })),
    tricky,
    'loaded into another database, every text is what was first stored',
  )
  t.equal((await get(other, '/claims?format=csv&source_id=who&metric=injured')).body, csv, 'and exports to the same file, byte for byte')
})
