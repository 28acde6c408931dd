import { readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { formatDay } from '../../src/charts/text.js'
import { collisions } from '../charts/layout-check.js'
import { byName, findAll, parseXml } from '../charts/xml.js'
import { assertQueryRefused, build, get, json, khanShaykhun, post } from '../helper.js'

const CHART = '/events/khan-shaykhun/chart.svg'
/** The §8 chart as the README shows it; RECKON_UPDATE_DOCS=1 rewrites it from the renderer. */
const DOC_CHART = new URL('../../docs/chart-khan-shaykhun.svg', import.meta.url)

function texts(body: string): string[] {
  return byName(parseXml(body), 'text').map((e) => e.text)
}

t.test('GET /events/{id}/chart.svg: the §8 chart, as SVG, past the JSON serializer', async (t) => {
  const { app } = await khanShaykhun(t)
  const res = await get(app, `${CHART}?as_of=2017-04-06`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-cache')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.ok(res.headers.etag, 'an ETag (contract §12)')
  t.match(res.body, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, 'the document itself, not a JSON string')
  t.equal(Buffer.byteLength(res.body), Number(res.headers['content-length']))

  const svg = parseXml(res.body)
  t.equal(byName(svg, 'title')[0]?.text, 'Chemical attack on Khan Shaykhun: people killed, by source, as of 6 April 2017')
  t.match(
    byName(svg, 'desc')[0]?.text ?? '',
    /^2 sources\. Figures range from 58 to no upper bound; median of the sources' figures: 64\. The figures conflict/,
  )
  const all = texts(res.body)
  t.equal(all[0], 'Chemical attack on Khan Shaykhun')
  t.equal(all[1], 'People killed: figures from 2 sources, as of 6 April 2017')
  t.ok(all.includes("median of the sources' figures: 64"))
  t.ok(all.includes('no two sources overlap; shaded: 58 (1 of 2)'), 'a conflicting group: the band does not claim agreement')
  t.strictSame(
    findAll(svg, (e) => e.attrs.class === 'credit').map((e) => e.text),
    ['Sources: SOHR via Reuters, TASS; WHO via TASS.', 'Each source counts once: its latest claim stated by 6 April 2017. Chart: Reckon.'],
    'the credit names the sources by their first alias, with their relays',
  )
  t.strictSame(collisions(svg), [], 'no label crosses a mark or another label')
  t.ok(all.includes('World Health Organization') && all.includes('Syrian Observatory for') && all.includes('Human Rights'))
  t.equal(findAll(svg, (e) => e.attrs.class === 'open-end').length, 1, 'WHO’s "at least 70" is an arrow')

  if (process.env.RECKON_UPDATE_DOCS === '1') writeFileSync(DOC_CHART, res.body)
  t.equal(
    readFileSync(DOC_CHART, 'utf8'),
    res.body,
    'docs/chart-khan-shaykhun.svg is what the renderer draws (RECKON_UPDATE_DOCS=1 to rewrite it)',
  )

  const again = await app.inject({
    method: 'GET',
    url: `${CHART}?as_of=2017-04-06`,
    headers: { 'if-none-match': String(res.headers.etag) },
  })
  t.equal(again.statusCode, 304, 'a matching If-None-Match is a 304')
  t.equal(again.body, '')
})

t.test('the defaults: killed, all, no party, as of now; other groups by query', async (t) => {
  const { app } = await khanShaykhun(t)
  const dayBefore = formatDay(new Date().toISOString())
  const now = await app.inject({ method: 'GET', url: CHART })
  const dayAfter = formatDay(new Date().toISOString())
  t.equal(now.statusCode, 200)
  t.ok(texts(now.body).includes("median of the sources' figures: 64"), 'killed/all as of now')
  // The request's date (read on both sides of it, in case midnight falls between).
  const dateLine = texts(now.body)[1]
  t.ok(
    [dayBefore, dayAfter].some((d) => dateLine === `People killed: figures from 2 sources, as of ${d}`),
    `as of now: the date of the request, no clock time (${dateLine})`,
  )

  const early = await get(app, `${CHART}?as_of=2017-04-04`)
  const earlyTexts = texts(early.body)
  t.equal(earlyTexts[1], 'People killed: figures from 1 source, as of 4 April 2017', 'as of 4 April only SOHR counts')
  t.notOk(
    earlyTexts.some((s) => s.startsWith('median')),
    'one source: no median line',
  )
  t.strictSame(
    findAll(parseXml(early.body), (e) => e.attrs.class === 'credit').map((e) => e.text),
    ['Source: SOHR via Reuters, TASS.', 'Each source counts once: its latest claim stated by 4 April 2017. Chart: Reckon.'],
  )
  t.ok(earlyTexts.some((s) => s.startsWith('Single source')))

  const children = await get(app, `${CHART}?population=children&as_of=2017-04-06`)
  t.equal(texts(children.body)[1], 'Children killed: figures from 1 source, as of 6 April 2017')
  t.ok(texts(children.body).includes('11'))

  const affected = await get(app, `${CHART}?metric=affected&as_of=2017-04-06`)
  const vague = parseXml(affected.body)
  t.ok(texts(affected.body).includes('hundreds (vague)'), 'a vague word is labelled as one')
  t.equal(findAll(vague, (e) => e.attrs.class === 'point').length, 0, 'no dot at the conventional 200')
  t.strictSame(
    findAll(vague, (e) => e.attrs.class === 'interval vague').map((e) => e.attrs.fill),
    ['url(#reckon-chart-vague)'],
    'the range, hatched',
  )
  t.equal(
    byName(vague, 'desc')[0]?.text,
    '1 source. World Health Organization gives hundreds (vague: 200 to 999). Only one source gives a figure. ' +
      'Vague words are drawn as the range they stand for, without a figure.',
  )
})

t.test('median=false leaves the median out; median=true is the default', async (t) => {
  const { app } = await khanShaykhun(t)
  const plain = await get(app, `${CHART}?as_of=2017-04-06`)
  const shown = await get(app, `${CHART}?as_of=2017-04-06&median=true`)
  t.equal(shown.body, plain.body, 'true is the default')
  const hidden = await get(app, `${CHART}?as_of=2017-04-06&median=false`)
  t.equal(hidden.statusCode, 200)
  const svg = parseXml(hidden.body)
  t.equal(findAll(svg, (e) => e.attrs.class === 'median' || e.attrs.class === 'median-label').length, 0)
  t.notOk(texts(hidden.body).some((s) => s.includes('median')))
  t.equal(findAll(svg, (e) => e.attrs.class === 'agreement').length, 1, 'the band stays')
  t.strictSame(collisions(svg), [])
})

t.test('a group with no counted claim is a 200 chart that says so', async (t) => {
  const { app } = await khanShaykhun(t)
  for (const [query, group] of [
    ['metric=injured&as_of=2017-04-06', 'injured/all'],
    ['as_of=2017-04-03', 'killed/all'],
    ['party=nobody&as_of=2017-04-06', 'killed/all/nobody'],
  ] as const) {
    const res = await get(app, `${CHART}?${query}`)
    t.equal(res.statusCode, 200, query)
    t.equal(res.headers['content-type'], 'image/svg+xml; charset=utf-8')
    const date = query.includes('2017-04-03') ? '3 April 2017' : '6 April 2017'
    t.ok(texts(res.body).includes(`No figures for ${group} as of ${date}.`), `${query}: says so`)
    t.equal(byName(parseXml(res.body), 'desc')[0]?.text, `No figures for ${group} as of ${date}.`)
  }
  // known_at: what the database held before anything was recorded.
  const before = await get(app, `${CHART}?as_of=2017-04-06&known_at=2000-01-01`)
  t.equal(before.statusCode, 200)
  t.ok(texts(before.body).includes('No figures for killed/all as of 6 April 2017.'))
  t.match(
    texts(before.body).join(' '),
    /its latest claim stated by 6 April 2017, as recorded by 1 January 2000\./,
    'the credit says what was known when',
  )
})

t.test('a party by id or by alias; its name in the heading', async (t) => {
  const { app } = await khanShaykhun(t)
  t.equal(
    (await post(app, '/actors', { id: 'ru-forces', name: 'Russian <armed> forces', aliases: ['RuAF'], kind: 'armed_forces' })).statusCode,
    201,
  )
  for (const [source, value] of [
    ['sohr', 10],
    ['who', 14],
  ] as const) {
    const res = await post(app, '/events/khan-shaykhun/claims', {
      kind: 'figure',
      source_id: source,
      stated_at: '2017-04-05',
      metric: 'killed',
      population: 'combatants',
      party: 'ru-forces',
      qualifier: 'exact',
      value,
    })
    t.equal(res.statusCode, 201)
  }
  const byId = await get(app, `${CHART}?population=combatants&party=ru-forces&as_of=2017-04-06`)
  const byAlias = await get(app, `${CHART}?population=combatants&party=ruaf&as_of=2017-04-06`)
  t.equal(byAlias.statusCode, 200)
  t.equal(byAlias.body, byId.body, 'an alias names the same party')
  t.equal(texts(byId.body)[1], 'Combatants killed (Russian <armed> forces): figures from 2 sources, as of 6 April 2017')
  t.match(byId.body, /Russian &lt;armed&gt; forces/)
  t.ok(texts(byId.body).includes("median of the sources' figures: 12"))
})

t.test('errors: unknown event 404, bad parameters 400, as problem documents', async (t) => {
  const { app } = await khanShaykhun(t)
  const missing = await get(app, '/events/nowhere/chart.svg')
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(json(missing), { status: 404, detail: 'No event with id "nowhere".' })
  t.notOk(missing.headers.etag)

  for (const [query, path] of [
    ['metric=dead', '/metric'],
    ['population=everyone', '/population'],
    ['as_of=yesterday', '/as_of'],
    ['known_at=2017-13-01', '/known_at'],
    ['party=', '/party'],
    ['colour=red', '/colour'],
    ['median=no', '/median'],
    ['median=TRUE', '/median'],
    ['median=', '/median'],
  ] as const) {
    const res = await get(app, `${CHART}?${query}`)
    assertQueryRefused(t, res, path, query)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
})

t.test('documented in OpenAPI as image/svg+xml', async (t) => {
  const app = await build(t)
  const doc = json<{
    paths: Record<
      string,
      { get?: { operationId?: string; tags?: string[]; responses?: Record<string, { content?: Record<string, unknown> }> } }
    >
  }>(await get(app, '/openapi.json'))
  const op = doc.paths['/events/{id}/chart.svg']?.get
  t.equal(op?.operationId, 'getEventChart')
  t.strictSame(op?.tags, ['events'])
  t.strictSame(Object.keys(op?.responses?.['200']?.content ?? {}), ['image/svg+xml'])
  t.ok(op?.responses?.['404']?.content?.['application/problem+json'])
})
