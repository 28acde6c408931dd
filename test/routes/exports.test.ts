import { type IncomingMessage, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { CLAIM_INPUT_FIELDS, CLAIM_OUTPUT_FIELDS } from '../../src/schemas/csv-columns.js'
import { type Page, type Problem, build, csvRecords, get, json, khanShaykhun, ndjsonLines, post } from '../helper.js'
import { ON_POSTGRES } from '../store.js'

// On PostgreSQL every statement is a round trip: storing 20,000 claims for the slow-client export takes longer than tap's 30 s a file.
if (ON_POSTGRES) t.setTimeout(300_000)

const EVENT = 'khan-shaykhun'

/** `n` figure claims of the Khan Shaykhun event, through POST /claims/bulk. */
async function manyClaims(app: FastifyInstance, n: number): Promise<void> {
  for (let start = 0; start < n; start += 20_000) {
    const rows = Array.from({ length: Math.min(20_000, n - start) }, (_, k) => {
      const i = start + k
      return {
        event_id: EVENT,
        kind: 'figure',
        source_id: i % 2 === 0 ? 'sohr' : 'who',
        stated_at: `2017-05-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00Z`,
        metric: 'injured',
        qualifier: 'exact',
        value: i,
        quote: `report number ${i}, "quoted"`,
      }
    })
    const res = await app.inject({ method: 'POST', url: '/claims/bulk', payload: rows })
    if (res.statusCode !== 201) throw new Error(`bulk: ${res.statusCode} ${res.body}`)
  }
}

t.test('the format comes from ?format, else from Accept; ?format wins', async (t) => {
  const { app } = await khanShaykhun(t)
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['/claims', {}, /^application\/json; charset=utf-8$/],
    ['/claims', { accept: '*/*' }, /^application\/json/],
    ['/claims', { accept: 'text/csv' }, /^text\/csv; charset=utf-8$/],
    ['/claims', { accept: 'application/x-ndjson' }, /^application\/x-ndjson$/],
    ['/claims', { accept: 'text/csv;q=0.4, application/x-ndjson;q=0.8' }, /^application\/x-ndjson$/],
    ['/claims?format=csv', {}, /^text\/csv; charset=utf-8$/],
    ['/claims?format=ndjson', { accept: 'text/csv' }, /^application\/x-ndjson$/],
    ['/claims?format=json', { accept: 'text/csv' }, /^application\/json/],
    ['/claims?format=csv', { accept: 'application/json' }, /^text\/csv/],
    ['/sources', { accept: 'text/csv' }, /^text\/csv/],
    ['/actors?format=ndjson', {}, /^application\/x-ndjson$/],
    ['/events', { accept: 'application/x-ndjson' }, /^application\/x-ndjson$/],
    [`/events/${EVENT}/claims`, { accept: 'text/csv' }, /^text\/csv/],
    ['/summaries?format=csv', { accept: 'application/json' }, /^text\/csv/],
    [`/events/${EVENT}/summary`, { accept: 'text/csv' }, /^text\/csv/],
    [`/events/${EVENT}/summary?format=ndjson`, {}, /^application\/x-ndjson$/],
    [`/events/${EVENT}/summary?format=json`, { accept: 'text/csv' }, /^application\/json/],
    ['/claims', { accept: 'text/html' }, /^application\/json/],
  ]
  for (const [url, headers, type] of cases) {
    const res = await get(app, url, headers)
    t.equal(res.statusCode, 200, `${url} ${JSON.stringify(headers)}`)
    t.match(res.headers['content-type'], type, `${url} ${JSON.stringify(headers)} → ${String(res.headers['content-type'])}`)
    t.equal(res.headers.vary, 'Accept', `${url}: caches keep formats apart`)
  }
})

t.test('NDJSON and CSV are sent as they are: the JSON serializer never touches them', async (t) => {
  const { app } = await khanShaykhun(t)
  const asJson = json<Page<Record<string, unknown>>>(await get(app, '/claims?limit=1000')).items
  for (const url of ['/claims?format=ndjson', '/claims?format=ndjson&limit=1000']) {
    const res = await get(app, url)
    t.notMatch(res.body, /^"/, `${url}: not a JSON string`)
    t.strictSame(ndjsonLines(res.body), asJson, `${url}: one line per item, the same items as JSON`)
  }
  for (const url of ['/claims?format=csv', '/claims?format=csv&limit=5']) {
    const res = await get(app, url)
    t.ok(res.body.startsWith(`${CLAIM_INPUT_FIELDS.join(',')}\r\n`), `${url}: starts with the header row`)
  }
  const sources = await get(app, '/sources?format=ndjson')
  t.strictSame(ndjsonLines(sources.body), json<Page<unknown>>(await get(app, '/sources')).items)
})

t.test('claims CSV: the input fields in contract order; view=full adds the read-only ones', async (t) => {
  const { app, ids } = await khanShaykhun(t)
  const res = await get(app, '/claims?format=csv')
  t.equal(
    res.body.split('\r\n')[0],
    'event_id,kind,source_id,via,stated_at,metric,population,party,qualifier,value,low,high,best,stance,actor_ids,certainty,role,quote,url,language,note,external_id,supersedes',
  )
  const rows = csvRecords(res.body)
  t.equal(rows.length, 9)
  t.strictSame(rows[0], {
    event_id: EVENT,
    kind: 'figure',
    source_id: 'sohr',
    via: 'reuters;tass',
    stated_at: '2017-04-04T00:00:00.000Z',
    metric: 'killed',
    population: 'all',
    party: '',
    qualifier: 'exact',
    value: '58',
    low: '',
    high: '',
    best: '',
    stance: '',
    actor_ids: '',
    certainty: '',
    role: '',
    quote: 'had killed 58 people including 11 children',
    url: '',
    language: 'en',
    note: '',
    external_id: '',
    supersedes: '',
  })
  const accusation = rows.find((r) => r.stance === 'accuses' && r.source_id === 'reuters')
  t.strictSame(
    [accusation?.actor_ids, accusation?.certainty, accusation?.metric, accusation?.value],
    ['syrian-government;russian-forces', 'suspected', '', ''],
    'lists joined with ;, fields of the other kind empty',
  )

  await post(app, `/claims/${ids[3] ?? ''}/retraction`, { reason: 'a test, with "quotes"' })
  const full = await get(app, '/claims?format=csv&view=full')
  t.equal(full.body.split('\r\n')[0], [...CLAIM_INPUT_FIELDS, ...CLAIM_OUTPUT_FIELDS].join(','))
  const byId = new Map(csvRecords(full.body).map((r) => [r.id, r]))
  t.strictSame(
    (({ status, retraction_reason, interval_low, interval_high, point }) => ({
      status,
      retraction_reason,
      interval_low,
      interval_high,
      point,
    }))(byId.get(ids[3] ?? '') ?? {}),
    { status: 'retracted', retraction_reason: 'a test, with "quotes"', interval_low: '200', interval_high: '999', point: '200' },
  )
  t.equal(byId.get(ids[2] ?? '')?.interval_high, '', 'an unbounded interval has an empty high')
  t.match(byId.get(ids[3] ?? '')?.retraction_at, /^\d{4}-\d{2}-\d{2}T/)
  t.equal(byId.get(ids[0] ?? '')?.status, 'active')
  t.equal((await get(app, '/claims?view=everything')).statusCode, 400)
})

t.test('CSV escapes quotes, commas and line breaks in quotes; csv-parse reads back the exact text', async (t) => {
  const { app } = await khanShaykhun(t)
  const quotes = [
    'He said "at least 70", then left',
    'line one\nline two',
    'windows\r\nline',
    'a, b, and c',
    '"',
    ' padded ',
    '٥٨ قتيلا',
    '=1+1',
  ]
  for (const [i, quote] of quotes.entries()) {
    const res = await post(app, `/events/${EVENT}/claims`, {
      kind: 'figure',
      source_id: 'who',
      stated_at: `2017-04-1${i}`,
      metric: 'injured',
      qualifier: 'exact',
      value: i,
      quote,
      note: `note ${i}; with a semicolon`,
    })
    t.equal(res.statusCode, 201)
  }
  const res = await get(app, '/claims?format=csv&metric=injured&raw=true')
  t.match(res.body, /"He said ""at least 70"", then left"/)
  t.match(res.body, /"line one\nline two"/)
  t.match(res.body, /"a, b, and c"/)
  const rows = csvRecords(res.body)
  t.strictSame(
    rows.map((r) => r.quote),
    quotes,
  )
  t.strictSame(
    rows.map((r) => r.note),
    quotes.map((_, i) => `note ${i}; with a semicolon`),
  )
  t.equal(rows.length, quotes.length, 'a line break inside a field does not start a row')
  t.strictSame(
    csvRecords((await get(app, '/claims?format=csv&metric=injured')).body).map((r) => r.quote),
    quotes.map((q) => (q === '=1+1' ? "'=1+1" : q)),
    'by default only the formula is changed',
  )
})

t.test('NDJSON: one line per item; with limit, that page and a Link', async (t) => {
  const { app } = await khanShaykhun(t)
  t.equal(ndjsonLines((await get(app, '/claims?format=ndjson')).body).length, 9)
  t.equal(ndjsonLines((await get(app, '/claims?format=ndjson&kind=attribution')).body).length, 5)
  t.equal(ndjsonLines((await get(app, '/actors?format=ndjson')).body).length, 4)
  t.equal(ndjsonLines((await get(app, `/events/${EVENT}/summary?format=ndjson&as_of=2017-04-06`)).body).length, 3)
  const page = await get(app, '/claims?format=ndjson&limit=4')
  t.equal(ndjsonLines(page.body).length, 4)
  t.match(page.headers.link, /^<\/claims\?format=ndjson&limit=4&cursor=[^>]+>; rel="next"$/)
  const rest = await get(app, /<([^>]+)>/.exec(String(page.headers.link))?.[1] ?? '')
  t.equal(ndjsonLines(rest.body).length, 4)
  const last = await get(app, /<([^>]+)>/.exec(String(rest.headers.link))?.[1] ?? '')
  t.equal(ndjsonLines(last.body).length, 1)
  t.notOk(last.headers.link)
  const csvPage = await get(app, '/claims?format=csv&limit=2')
  t.equal(csvRecords(csvPage.body).length, 2)
  t.match(csvPage.headers.link, /format=csv&limit=2&cursor=/)
})

t.test('hxl=true adds a hashtag row under the CSV header; it is a 400 for other formats', async (t) => {
  const { app } = await khanShaykhun(t)
  const claims = (await get(app, '/claims?format=csv&hxl=true')).body.split('\r\n')
  t.equal(claims[0]?.split(',').length, claims[1]?.split(',').length, 'one tag cell per column')
  const tags = Object.fromEntries((claims[0] ?? '').split(',').map((name, i) => [name, claims[1]?.split(',')[i]]))
  t.strictSame(
    [tags.event_id, tags.source_id, tags.stated_at, tags.quote],
    ['#event+id', '#meta+source', '#date+reported', '#description+quote'],
  )
  t.equal(csvRecords((await get(app, '/claims?format=csv&hxl=true')).body, 1).length, 9, 'the data rows follow the tags')
  const killed = (await get(app, '/claims?format=csv&hxl=true&metric=killed&view=full')).body.split('\r\n')
  const killedTags = Object.fromEntries((killed[0] ?? '').split(',').map((name, i) => [name, killed[1]?.split(',')[i]]))
  t.strictSame(
    [killedTags.point, killedTags.interval_low],
    ['#affected+killed', '#affected+killed+min'],
    'a metric filter names the metric',
  )

  const summaries = (await get(app, '/summaries?format=csv&hxl=true&as_of=2017-04-06&metric=killed')).body.split('\r\n')
  t.equal(
    summaries[0],
    'event_id,event_title,occurred_on,metric,population,party,sources,range_low,range_high,median,level,spread,ratio,relative_spread,attribution_status,as_of',
  )
  t.equal(
    summaries[1],
    '#event+id,#event+name,#date+occurred,#impact+type,#group+code,#org+id+party,#meta+sources,#affected+killed+min,#affected+killed+max,#affected+killed,#status+disagreement,#meta+spread,#meta+ratio,#meta+relative_spread,#status+attribution,#date+as_of',
  )
  const events = (await get(app, '/events?hxl=true', { accept: 'text/csv' })).body.split('\r\n')
  t.match(events[1], /^#event\+id,#event\+name,#date\+occurred,#date\+end,#loc\+name,#adm1\+name,#country\+code,#geo\+lat,#geo\+lon,/)
  const sources = (await get(app, '/sources?format=csv&hxl=true')).body.split('\r\n')
  t.match(sources[1], /^#org\+id,#org\+name,/)
  t.notOk((await get(app, '/claims?format=csv&hxl=false')).body.includes('#event+id'), 'hxl=false: no tag row')

  for (const [url, headers] of [
    ['/claims?hxl=true', {}],
    ['/claims?hxl=true&format=ndjson', {}],
    ['/claims?hxl=true', { accept: 'application/x-ndjson' }],
    ['/claims?hxl=true&format=json', { accept: 'text/csv' }],
    [`/events/${EVENT}/summary?hxl=true`, {}],
    ['/summaries?hxl=true&format=ndjson', {}],
    ['/sources?hxl=true', {}],
  ] as Array<[string, Record<string, string>]>) {
    const res = await get(app, url, headers)
    t.equal(res.statusCode, 400, url)
    t.strictSame(
      json<Problem>(res).errors?.map((e) => [e.path, e.in]),
      [['/hxl', 'query']],
      url,
    )
  }
  t.equal((await get(app, '/claims?hxl=yes&format=csv')).statusCode, 400)
})

t.test('an unknown format is a 400 naming the parameter', async (t) => {
  const { app } = await khanShaykhun(t)
  for (const url of [
    '/claims?format=xml',
    `/events/${EVENT}/summary?format=xlsx`,
    '/summaries?format=',
    `/events/${EVENT}/claims?format=tsv`,
  ]) {
    const res = await get(app, url)
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.strictSame(
      json<Problem>(res).errors?.map((e) => e.path),
      ['/format'],
      url,
    )
  }
  const res = await get(app, '/claims?format=xml')
  t.equal(
    json<Problem>(res).errors?.[0]?.message,
    'must be one of json, ndjson, csv (any letter case); got "xml".',
    'the message lists the formats and quotes what was sent',
  )
})

t.test('a format in any letter case is that format, with its tag', async (t) => {
  const { app } = await khanShaykhun(t)
  const lower = await get(app, '/sources?format=csv')
  for (const format of ['CSV', 'Csv']) {
    const res = await get(app, `/sources?format=${format}`)
    t.equal(res.statusCode, 200, format)
    t.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    t.equal(res.body, lower.body)
    t.equal(res.headers.etag, lower.headers.etag, 'the same representation, the same ETag')
  }
})

t.test('the summary of one event as CSV and NDJSON: a row per figure group', async (t) => {
  const { app } = await khanShaykhun(t)
  const csv = await get(app, `/events/${EVENT}/summary?as_of=2017-04-06&format=csv&hxl=true`)
  const rows = csvRecords(csv.body, 1)
  t.strictSame(
    rows.map((r) => [r.metric, r.population, r.sources, r.range_low, r.range_high, r.median, r.level, r.attribution_status]),
    [
      ['killed', 'all', '2', '58', '', '64', 'conflicting', 'contested'],
      ['killed', 'children', '1', '11', '11', '11', 'single_source', 'contested'],
      ['affected', 'all', '1', '200', '999', '200', 'single_source', 'contested'],
    ],
  )
  t.equal(rows[0]?.ratio, String(70 / 58), 'numbers unrounded')
  t.equal(rows[0]?.event_title, 'Chemical attack on Khan Shaykhun')
  t.match(csv.body.split('\r\n')[1], /^#event\+id,#event\+name,/)
  const ndjson = ndjsonLines((await get(app, `/events/${EVENT}/summary?as_of=2017-04-06&format=ndjson`)).body)
  const listed = json<Page<unknown>>(await get(app, '/summaries?as_of=2017-04-06')).items
  t.strictSame(ndjson, listed, 'the same rows as GET /summaries')
  const early = await get(app, `/events/${EVENT}/summary?as_of=2017-04-01&format=csv`)
  t.equal(early.body, `${csv.body.split('\r\n')[0] ?? ''}\r\n`, 'no figure group yet: the header alone')
  t.equal((await get(app, '/events/nowhere/summary?format=csv')).statusCode, 404)
})

t.test('GET /summaries as CSV: the §8 killed/all row', async (t) => {
  const { app } = await khanShaykhun(t)
  const rows = csvRecords((await get(app, '/summaries?as_of=2017-04-06', { accept: 'text/csv' })).body)
  t.strictSame(rows[0], {
    event_id: EVENT,
    event_title: 'Chemical attack on Khan Shaykhun',
    occurred_on: '2017-04-04',
    metric: 'killed',
    population: 'all',
    party: '',
    sources: '2',
    range_low: '58',
    range_high: '',
    median: '64',
    level: 'conflicting',
    spread: '12',
    ratio: String(70 / 58),
    relative_spread: '0.1875',
    attribution_status: 'contested',
    as_of: '2017-04-06T23:59:59.999Z',
  })
  t.equal(rows.length, 3)
})

t.test('events and sources as CSV: nested objects flattened, lists joined', async (t) => {
  const { app } = await khanShaykhun(t)
  await post(app, '/events', {
    id: 'ext',
    title: 'With ids',
    occurred_on: '2017-04',
    location: { lat: 35.4, lon: 36.6 },
    tags: ['a', 'b'],
    external_ids: { acled: 'SYR1', ucdp_ged: '42' },
  })
  const events = csvRecords((await get(app, '/events?format=csv')).body)
  const ext = events.find((e) => e.id === 'ext')
  t.strictSame(
    [ext?.location_lat, ext?.location_lon, ext?.location_place, ext?.tags, ext?.external_ids, ext?.ended_on],
    ['35.4', '36.6', '', 'a;b', 'acled=SYR1;ucdp_ged=42', ''],
  )
  const khan = events.find((e) => e.id === EVENT)
  t.strictSame([khan?.location_place, khan?.location_admin1, khan?.location_country], ['Khan Shaykhun', 'Idlib', 'SY'])
  const sources = csvRecords((await get(app, '/sources?format=csv&q=world')).body)
  t.strictSame(
    sources.map((s) => [s.id, s.aliases, s.kind]),
    [['who', 'WHO', 'igo']],
    'the source list filter applies to the export too',
  )
})

t.test('exports without limit stream every row; with limit they page', async (t) => {
  const { app } = await khanShaykhun(t)
  await manyClaims(app, 3000)
  const total = 3009

  const ndjson = await get(app, '/claims?format=ndjson')
  t.equal(ndjson.statusCode, 200)
  t.notOk(ndjson.headers.link, 'an export is whole: no Link')
  t.equal(ndjson.headers['content-length'], undefined, 'streamed (chunked), not built in memory and measured')
  const items = ndjsonLines(ndjson.body) as Array<{ id: string; stated_at: string }>
  t.equal(items.length, total)
  t.equal(new Set(items.map((c) => c.id)).size, total, 'no claim twice')
  const keys = items.map((c) => `${c.stated_at} ${c.id}`)
  t.strictSame(keys, [...keys].sort(), 'in (stated_at, id) order across batches')

  const csv = await get(app, '/claims?format=csv')
  t.equal(csv.headers['content-length'], undefined)
  const rows = csvRecords(csv.body)
  t.equal(rows.length, total)
  t.equal(rows.filter((r) => (r.quote ?? '').endsWith('"quoted"')).length, 3000)

  const fromCursor = await get(app, '/claims?limit=1000')
  const cursor = json<Page<unknown>>(fromCursor).next_cursor ?? ''
  const rest = await get(app, `/claims?format=ndjson&cursor=${cursor}`)
  t.equal(ndjsonLines(rest.body).length, total - 1000, 'an export starts at the cursor')

  const filtered = ndjsonLines((await get(app, '/claims?format=ndjson&source_id=who&metric=injured')).body)
  t.equal(filtered.length, 1500, 'filters apply to the export')
  const ofEvent = ndjsonLines((await get(app, `/events/${EVENT}/claims`, { accept: 'application/x-ndjson' })).body)
  t.equal(ofEvent.length, total)

  const paged = await get(app, '/claims?format=csv&limit=1000')
  t.ok(paged.headers['content-length'], 'a page is sent whole')
  t.equal(csvRecords(paged.body).length, 1000)
  t.ok(paged.headers.link)
  t.equal(json<Page<unknown>>(await get(app, '/claims')).items.length, 50, 'JSON always pages')
})

t.test('writes go on while a slow client holds an export open', async (t) => {
  const { app } = await khanShaykhun(t)
  await manyClaims(app, 20_000)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    httpRequest({ port, host: '127.0.0.1', path: '/claims?format=ndjson' }, resolve).on('error', reject).end()
  })
  response.setEncoding('utf8')
  let text = ''
  response.on('data', (chunk: string) => {
    text += chunk
    response.pause()
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const before = text.length
  t.ok(before > 0, 'the export has begun')

  const write = await post(app, `/events/${EVENT}/claims`, {
    kind: 'figure',
    source_id: 'who',
    stated_at: '2099-01-01',
    metric: 'missing',
    qualifier: 'exact',
    value: 1,
  })
  t.equal(write.statusCode, 201, 'a write is not refused while the export waits for its client')

  const done = new Promise<void>((resolve) => response.on('end', () => resolve()))
  response.removeAllListeners('data')
  response.on('data', (chunk: string) => {
    text += chunk
  })
  response.resume()
  await done
  t.ok(before < text.length / 4, `the client had ${before} of ${text.length} bytes at the write: the export was still being read`)
  const lines = ndjsonLines(text) as Array<{ metric?: string }>
  t.equal(lines.length, 20_010, 'every claim, and the one written during the export (it sorts last)')
  t.equal(lines[lines.length - 1]?.metric, 'missing')
})

t.test('a CSV export posted back to POST /claims/bulk, then exported again, is the same file byte for byte', async (t) => {
  const { app } = await khanShaykhun(t)
  const extra = [
    {
      kind: 'figure',
      source_id: 'who',
      via: ['reuters'],
      stated_at: '2017-04-07T10:15:00Z',
      metric: 'casualties',
      population: 'civilians',
      party: 'armed-opposition',
      qualifier: 'range',
      low: 40,
      high: 90,
      best: 52,
      quote: 'between 40 and 90, "probably" 52,\nsaid officials',
      url: 'https://example.org/a?b=1,2',
      language: 'ar-SY',
      note: 'a; b',
      external_id: 'who-7',
    },
    {
      kind: 'figure',
      source_id: 'sohr',
      stated_at: '2017-04-07',
      metric: 'displaced',
      qualifier: 'thousands',
      external_id: 'x,1',
      quote: '=HYPERLINK("http://x","click")',
      note: '-3 on the day before',
    },
    {
      kind: 'attribution',
      source_id: 'syrian-mod',
      stated_at: '2017-04-07',
      stance: 'denies',
      actor_ids: ['syrian-air-force'],
      certainty: 'asserted',
      role: 'dropped "the" bombs',
      quote: '',
    },
  ]
  for (const claim of extra) t.equal((await post(app, `/events/${EVENT}/claims`, claim)).statusCode, 201)
  const exported = (await get(app, '/claims?format=csv&raw=true')).body
  t.equal(csvRecords(exported).length, 12)

  const copy = await build(t)
  const fixture = readFixture()
  await loadFixture(copy, { ...fixture, claims: [] })
  const imported = await copy.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: exported })
  t.equal(imported.statusCode, 201, imported.body)
  t.equal(json<{ inserted: number }>(imported).inserted, 12)
  const again = (await get(copy, '/claims?format=csv&raw=true')).body
  t.equal(again, exported, 'the same bytes')
  const summary = (a: FastifyInstance) => get(a, `/events/${EVENT}/summary?as_of=2017-04-08&format=csv`)
  t.equal((await summary(copy)).body, (await summary(app)).body, 'and the same summary')
})
