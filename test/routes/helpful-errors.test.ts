/**
 * Issue #12 §4: every error a newcomer meets names the field, quotes what was
 * sent, says what is expected and suggests the nearest valid name or value.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, figureRow, json, post, postText, type Problem } from '../helper.js'

interface LineError {
  path: string
  message: string
  in?: string
  line?: number
  column?: number
  offset?: number
}
type Detailed = Omit<Problem, 'errors'> & { errors?: LineError[] }

const METRIC_LIST = 'killed, injured, casualties, missing, captured, detained, displaced, affected'
const POPULATION_LIST = 'all, civilians, combatants, children, women, men, medical_workers, journalists'

const row = figureRow

async function khanShaykhun(t: Parameters<typeof build>[0]): Promise<FastifyInstance> {
  const app = await build(t)
  await loadFixture(app, readFixture())
  return app
}

const bulk = (app: FastifyInstance, payload: string, type: string) =>
  app.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': type }, payload })

t.test('415 lists the Content-Types the operation reads and quotes the one sent', async (t) => {
  const app = await build(t)
  const plain = await app.inject({ method: 'POST', url: '/sources', headers: { 'content-type': 'text/plain' }, payload: '{}' })
  t.equal(plain.statusCode, 415)
  t.strictSame(json(plain), {
    type: 'urn:reckon:problem:unsupported-media-type',
    title: 'Unsupported media type',
    status: 415,
    detail: 'This operation reads a body of application/json; the Content-Type sent was "text/plain".',
    instance: '/sources',
    errors: [{ path: '/content-type', message: 'must be application/json; got "text/plain".', in: 'header' }],
  })

  const xml = json<Detailed>(
    await app.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'application/xml' }, payload: '<claims/>' }),
  )
  t.equal(
    xml.detail,
    'This operation reads a body of one of application/json, application/x-ndjson, text/csv; the Content-Type sent was "application/xml".',
  )
  t.strictSame(xml.errors, [
    {
      path: '/content-type',
      message: 'must be one of application/json, application/x-ndjson, text/csv; got "application/xml".',
      in: 'header',
    },
  ])

  const none = json<Detailed>(await app.inject({ method: 'POST', url: '/sources', payload: Buffer.from('{"name":"x"}') }))
  t.equal(none.detail, 'This operation reads a body of application/json; the request has no Content-Type.')
  t.strictSame(none.errors, [{ path: '/content-type', message: 'must be application/json; got none.', in: 'header' }])

  const metadata = json<Detailed>(
    await app.inject({ method: 'POST', url: '/sources/bulk', headers: { 'content-type': 'text/csv' }, payload: 'name\nx\n' }),
  )
  t.equal(
    metadata.detail,
    'This operation reads a body of application/json; the Content-Type sent was "text/csv".',
    'the metadata bulk routes read JSON only',
  )
})

t.test('malformed JSON names the line, column and byte of the error', async (t) => {
  const app = await build(t)
  const cases: Array<[string, { line: number; column: number; offset: number; what: string }]> = [
    [
      '{\n  "name": "SOHR",\n  "kind": monitor\n}',
      {
        line: 3,
        column: 11,
        offset: 30,
        what: "found 'monitor', expected a value (a string in double quotes, a number, true, false, null, an object or an array)",
      },
    ],
    [
      '{"name": "SOHR", "kind": ',
      {
        line: 1,
        column: 26,
        offset: 25,
        what: 'found the end of the text, expected a value (a string in double quotes, a number, true, false, null, an object or an array)',
      },
    ],
    ["{'name':'x'}", { line: 1, column: 2, offset: 1, what: `found "'", expected a field name in double quotes or '}'` }],
    ['{"name": "Ça", "kind": "media",}', { line: 1, column: 32, offset: 32, what: "found '}', expected a field name in double quotes" }],
  ]
  for (const [payload, { line, column, offset, what }] of cases) {
    const res = await app.inject({ method: 'POST', url: '/sources', headers: { 'content-type': 'application/json' }, payload })
    t.equal(res.statusCode, 400)
    const at = `line ${line}, column ${column} (byte ${offset})`
    t.strictSame(json(res), {
      type: 'urn:reckon:problem:invalid-json',
      title: 'Malformed JSON',
      status: 400,
      detail: `The body is not valid JSON: at ${at}, ${what}.`,
      instance: '/sources',
      errors: [{ path: '', message: `is not valid JSON: at ${at}, ${what}.`, in: 'body', line, column, offset }],
    })
  }
  const poisoned = await postText(app, '/sources', 'application/json', '{"name":"x","kind":"media","__proto__":{"a":1}}')
  t.equal(poisoned.statusCode, 400, 'a __proto__ key is still refused')
  t.equal(json<Detailed>(poisoned).detail, 'The body is refused: it has a "__proto__" or "constructor.prototype" key.')
})

t.test('enum values in any letter case (a space for "_") are stored and answered in lower case', async (t) => {
  const app = await khanShaykhun(t)
  const figure = await post(
    app,
    '/claims',
    row({ kind: 'Figure', metric: 'Killed', population: 'CIVILIANS', qualifier: 'At least', value: 70 }),
  )
  t.equal(figure.statusCode, 201, figure.body)
  const f = json<Record<string, unknown>>(figure)
  t.strictSame([f.kind, f.metric, f.population, f.qualifier], ['figure', 'killed', 'civilians', 'at_least'])
  const stored = json<Record<string, unknown>>(await app.inject({ method: 'GET', url: `/claims/${String(f.id)}` }))
  t.strictSame([stored.kind, stored.metric, stored.population, stored.qualifier], ['figure', 'killed', 'civilians', 'at_least'])

  const upper = json<Record<string, unknown>>(await post(app, '/claims', row({ qualifier: 'AT_LEAST', value: 71 })))
  t.equal(upper.qualifier, 'at_least')

  const attribution = json<Record<string, unknown>>(
    await post(app, '/claims', {
      ...row({ kind: 'ATTRIBUTION', stance: 'Accuses', certainty: 'Suspected', actor_ids: ['syrian-government'] }),
      metric: undefined,
      qualifier: undefined,
      value: undefined,
    }),
  )
  t.strictSame([attribution.kind, attribution.stance, attribution.certainty], ['attribution', 'accuses', 'suspected'])

  const source = json<Record<string, unknown>>(await post(app, '/sources', { name: 'Some agency', kind: 'News Agency' }))
  t.equal(source.kind, 'news_agency')
  const actor = json<Record<string, unknown>>(await post(app, '/actors', { name: 'Some army', kind: 'ARMED_FORCES' }))
  t.equal(actor.kind, 'armed_forces')
  const patched = json<Record<string, unknown>>(
    await app.inject({ method: 'PATCH', url: `/actors/${String(actor.id)}`, payload: { kind: 'State' } }),
  )
  t.equal(patched.kind, 'state')

  const list = await app.inject({ method: 'GET', url: '/claims?event_id=khan-shaykhun&kind=FIGURE&metric=Killed&status=Active' })
  t.equal(list.statusCode, 200, list.body)
  const items = json<{ items: Array<{ kind: string; metric: string }> }>(list).items
  t.ok(items.length > 0)
  t.ok(
    items.every((c) => c.kind === 'figure' && c.metric === 'killed'),
    'the filters read as their lower-case values',
  )
  await post(app, '/events', { id: 'later', title: 'Later', occurred_on: '2018' })
  const pairs: Array<[string, string]> = [
    ['sort=-Occurred_On', 'sort=-occurred_on'],
    ['level=Single Source', 'level=single_source'],
    ['attribution_status=NONE', 'attribution_status=none'],
  ]
  for (const [sent, canonical] of pairs) {
    const ids = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/events?${encodeURI(query)}` })
      t.equal(res.statusCode, 200, `${query}: ${res.body}`)
      return json<{ items: Array<{ id: string }> }>(res).items.map((e) => e.id)
    }
    t.strictSame(await ids(sent), await ids(canonical), `${sent} reads as ${canonical}`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/events/khan-shaykhun/timeline?metric=KILLED&population=All' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/events/khan-shaykhun/chart.svg?metric=Killed' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/summaries?metric=Injured' })).statusCode, 200)
})

t.test('API key scopes in any letter case', async (t) => {
  const app = await build(t, { apiKeys: 'admin-token-0123456789:admin' })
  const res = await post(app, '/keys', { name: 'desk', scopes: ['Read', 'WRITE'] }, { authorization: 'Bearer admin-token-0123456789' })
  t.equal(res.statusCode, 201, res.body)
  t.strictSame(json<{ scopes: string[] }>(res).scopes, ['read', 'write'])
})

t.test('an unknown enum value is quoted, the allowed values listed, the nearest suggested', async (t) => {
  const app = await khanShaykhun(t)
  const res = await post(app, '/claims', row({ metric: 'kiled', population: 'hundred', qualifier: 'atleast' }))
  t.equal(res.statusCode, 400)
  const problem = json<Detailed>(res)
  const metric = `must be one of ${METRIC_LIST} (any letter case); got "kiled". Did you mean "killed"?`
  const population = `must be one of ${POPULATION_LIST} (any letter case); got "hundred".`
  const qualifier =
    'must be one of exact, at_least, more_than, at_most, fewer_than, approximately, range, dozens, hundreds, thousands (any letter case); got "atleast". Did you mean "at_least"?'
  t.strictSame(problem.errors, [
    { path: '/metric', message: metric, in: 'body' },
    { path: '/population', message: population, in: 'body' },
    { path: '/qualifier', message: qualifier, in: 'body' },
  ])
  t.equal(problem.detail, `The body is invalid. /metric: ${metric} /population: ${population} /qualifier: ${qualifier}`)

  const kind = json<Detailed>(await post(app, '/claims', row({ kind: 'figures' })))
  t.strictSame(kind.errors, [
    { path: '/kind', message: 'must be one of figure, attribution (any letter case); got "figures". Did you mean "figure"?', in: 'body' },
  ])
  const number = json<Detailed>(await post(app, '/claims', row({ metric: 7 })))
  t.strictSame(number.errors, [{ path: '/metric', message: `must be one of ${METRIC_LIST} (any letter case); got 7.`, in: 'body' }])
  const query = json<Detailed>(await app.inject({ method: 'GET', url: '/claims?status=actve' }))
  t.strictSame(query.errors, [
    {
      path: '/status',
      message: 'must be one of active, superseded, retracted (any letter case); got "actve". Did you mean "active"?',
      in: 'query',
    },
  ])
  const source = json<Detailed>(await post(app, '/sources', { name: 'x', kind: 'blog' }))
  t.strictSame(source.errors, [
    {
      path: '/kind',
      message:
        'must be one of news_agency, media, monitor, ngo, igo, government, military, health_authority, individual, other (any letter case); got "blog".',
      in: 'body',
    },
  ])
})

t.test('an unknown field is quoted with the nearest known one', async (t) => {
  const app = await khanShaykhun(t)
  const rest: Record<string, unknown> = row()
  delete rest.source_id
  const res = json<Detailed>(await post(app, '/claims', { ...rest, sourceid: 'sohr' }))
  t.strictSame(res.errors, [
    { path: '/source_id', message: 'is required', in: 'body' },
    { path: '/sourceid', message: '"sourceid" is not a known field. Did you mean "source_id"?', in: 'body' },
  ])
  const bulkRes = json<Detailed>(await post(app, '/claims/bulk', [row(), { ...rest, source: 'sohr' }]))
  t.strictSame(bulkRes.errors, [
    { path: '/1/source_id', message: 'is required', in: 'body' },
    { path: '/1/source', message: '"source" is not a known field. Did you mean "source_id"?', in: 'body' },
  ])
  const attribution = json<Detailed>(
    await post(app, '/claims', {
      ...row({ kind: 'Attribution', stance: 'accuses', actors: ['syrian-government'] }),
      metric: undefined,
      qualifier: undefined,
      value: undefined,
    }),
  )
  t.strictSame(
    attribution.errors,
    [
      { path: '/actor_ids', message: 'is required', in: 'body' },
      { path: '/actors', message: '"actors" is not a known field. Did you mean "actor_ids"?', in: 'body' },
    ],
    'the fields of the kind sent, whatever its letter case',
  )
  const nested = json<Detailed>(await post(app, '/events', { title: 'x', occurred_on: '2017', location: { place: 'Idlib', contry: 'SY' } }))
  t.strictSame(nested.errors, [{ path: '/location/contry', message: '"contry" is not a known field. Did you mean "country"?', in: 'body' }])
  const far = json<Detailed>(await post(app, '/actors', { name: 'x', kind: 'state', colour: 'red' }))
  t.strictSame(far.errors, [
    { path: '/colour', message: '"colour" is not a known field. Expected one of id, name, aliases, kind, parent_id, notes.', in: 'body' },
  ])
  const query = json<Detailed>(await app.inject({ method: 'GET', url: '/claims?metrc=killed' }))
  t.strictSame(query.errors, [{ path: '/metrc', message: '"metrc" is not a known field. Did you mean "metric"?', in: 'query' }])
})

t.test('a number cell such as "1,200", "1 200" or "70+" is refused with the value quoted, never guessed', async (t) => {
  const app = await khanShaykhun(t)
  for (const value of ['1,200', '1 200', '70+', '12.5']) {
    const res = json<Detailed>(await post(app, '/claims', row({ value })))
    t.strictSame(
      res.errors,
      [{ path: '/value', message: `must be a whole number such as 1200, without separators; got "${value}".`, in: 'body' }],
      value,
    )
  }
  const string = json<Detailed>(await post(app, '/claims', row({ value: '1200' })))
  t.strictSame(string.errors, [
    { path: '/value', message: 'must be a JSON number, not a string: write 1200 without quotes; got "1200".', in: 'body' },
  ])
  const fraction = json<Detailed>(await post(app, '/claims', row({ value: 12.5 })))
  t.strictSame(fraction.errors, [
    { path: '/value', message: 'must be a whole number such as 1200, without separators; got 12.5.', in: 'body' },
  ])
  const negative = json<Detailed>(
    await bulk(
      app,
      'event_id,kind,source_id,stated_at,metric,qualifier,value\nkhan-shaykhun,figure,sohr,2017-04-08,killed,exact,-3\n',
      'text/csv',
    ),
  )
  t.strictSame(
    negative.errors,
    [{ path: '/0/value', message: 'line 2: must not be negative', in: 'body', line: 2 }],
    'a negative cell is a number, and refused as one',
  )
})

t.test('CSV: an unknown column gets the nearest name; row errors say their line in the file', async (t) => {
  const app = await khanShaykhun(t)
  const header = await bulk(
    app,
    'event_id,kind,source,stated_at,metric,qualifier,value,colour\nkhan-shaykhun,figure,sohr,2017-04-08,killed,exact,87,red\n',
    'text/csv',
  )
  t.equal(header.statusCode, 400)
  const columns =
    'event_id, kind, source_id, via, stated_at, metric, population, party, qualifier, value, low, high, best, stance, actor_ids, certainty, role, quote, url, language, note, external_id, supersedes'
  t.strictSame(json(header), {
    type: 'urn:reckon:problem:invalid-request',
    title: 'Invalid request',
    status: 400,
    detail: `The CSV header (line 1) names columns this operation does not read: "source", "colour". The columns are ${columns}.`,
    instance: '/claims/bulk',
    errors: [
      { path: '', message: 'line 1: unknown column "source". Did you mean "source_id"?', in: 'body', line: 1 },
      { path: '', message: `line 1: unknown column "colour". Expected one of ${columns}.`, in: 'body', line: 1 },
    ],
  })

  // Row 0 spans lines 2–3 (a quoted cell with a line break), line 4 is blank, row 1 is line 5, row 2 line 6.
  const csv = [
    'event_id,kind,source_id,stated_at,metric,qualifier,value,quote',
    'khan-shaykhun,Figure,sohr,2017-04-08,Killed,exact,87,"first line',
    'second line"',
    '',
    'khan-shaykhun,figure,sohr,2017-04-08,kiled,exact,"1,200",',
    'khan-shaykhun,figure,sohr,2017-04-08,killed,at least,70+,',
  ].join('\r\n')
  const invalid = json<Detailed>(await bulk(app, csv, 'text/csv'))
  t.strictSame(invalid.errors, [
    {
      path: '/1/metric',
      message: `line 5: must be one of ${METRIC_LIST} (any letter case); got "kiled". Did you mean "killed"?`,
      in: 'body',
      line: 5,
    },
    { path: '/1/value', message: 'line 5: must be a whole number such as 1200, without separators; got "1,200".', in: 'body', line: 5 },
    { path: '/2/value', message: 'line 6: must be a whole number such as 1200, without separators; got "70+".', in: 'body', line: 6 },
  ])

  // Rows that name what does not exist (422): the lines too.
  const unknown = await bulk(
    app,
    csv
      .replace('kiled', 'killed')
      .replace('"1,200"', '1200')
      .replace('70+', '70')
      .replace('\nkhan-shaykhun,figure,sohr,2017-04-08,killed,at', '\nkhan-shaykhun,figure,ghost,2017-04-08,killed,at'),
    'text/csv',
  )
  t.equal(unknown.statusCode, 422)
  t.strictSame(
    json<Detailed>(unknown).errors?.map((e) => [e.path, e.line, e.message.startsWith('line 6: ')]),
    [['/2/source_id', 6, true]],
  )

  const good = await bulk(app, csv.replace('kiled', 'killed').replace('"1,200"', '1200').replace('70+', '70'), 'text/csv')
  t.equal(good.statusCode, 201, good.body)
  const ids = json<{ ids: string[] }>(good).ids
  const last = json<Record<string, unknown>>(await app.inject({ method: 'GET', url: `/claims/${ids[2] ?? ''}` }))
  t.strictSame(
    [last.kind, last.metric, last.qualifier, last.value],
    ['figure', 'killed', 'at_least', 70],
    '"at least" in a spreadsheet cell is at_least',
  )
})

t.test('NDJSON: a line that is not JSON is named by its line in the file, with the column', async (t) => {
  const app = await khanShaykhun(t)
  const body = [JSON.stringify(row()), '', '{"event_id": "khan-shaykhun", "kind": figure}', JSON.stringify(row({ metric: 'kiled' }))].join(
    '\n',
  )
  const res = json<Detailed>(await bulk(app, body, 'application/x-ndjson'))
  t.equal(res.detail, 'Some NDJSON lines are not JSON: line 3.')
  t.strictSame(res.errors, [
    {
      path: '/1',
      message:
        "line 3: is not valid JSON: at column 39, found 'figure', expected a value (a string in double quotes, a number, true, false, null, an object or an array).",
      in: 'body',
      line: 3,
      column: 39,
    },
  ])
  const bom = await bulk(app, `\uFEFF${JSON.stringify(row({ external_id: 'bom' }))}\n`, 'application/x-ndjson')
  t.equal(bom.statusCode, 201, 'a byte order mark before the first line is not a JSON error')
  const csvBom = json<Detailed>(
    await bulk(
      app,
      '\uFEFFevent_id,kind,source_id,stated_at,metric,qualifier,value\r\nkhan-shaykhun,figure,sohr,2017-04-08,killed,exact,1 200\r\n',
      'text/csv',
    ),
  )
  t.strictSame(
    csvBom.errors,
    [{ path: '/0/value', message: 'line 2: must be a whole number such as 1200, without separators; got "1 200".', in: 'body', line: 2 }],
    'a CSV with a byte order mark counts lines alike',
  )
  const valid = json<Detailed>(
    await bulk(app, [JSON.stringify(row()), '', JSON.stringify(row({ metric: 'kiled' }))].join('\n'), 'application/x-ndjson'),
  )
  t.strictSame(valid.errors, [
    {
      path: '/1/metric',
      message: `line 3: must be one of ${METRIC_LIST} (any letter case); got "kiled". Did you mean "killed"?`,
      in: 'body',
      line: 3,
    },
  ])
})
