import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { readFixture } from '../../src/demo/load-fixture.js'
import { type Page, type Problem, figureClaim, get, json, khanShaykhun, post } from '../helper.js'

interface ClaimBody {
  id: string
  kind: string
  event_id: string
  source_id: string
  stated_at: string
  status: string
  superseded_by: string | null
  metric?: string
}

const EVENT = 'khan-shaykhun'

async function claims(app: FastifyInstance, query: string): Promise<ClaimBody[]> {
  const res = await get(app, `/claims?limit=1000${query ? `&${query}` : ''}`)
  if (res.statusCode !== 200) throw new Error(`GET /claims?${query}: ${res.statusCode} ${res.body}`)
  return json<Page<ClaimBody>>(res).items
}

/** The URL in a `Link: <…>; rel="next"` header, or null. */
function nextUrl(res: LightMyRequestResponse): string | null {
  const link = res.headers.link
  if (link === undefined) return null
  const m = /^<([^>]+)>; rel="next"$/.exec(String(link))
  if (!m?.[1]) throw new Error(`not a next link: ${String(link)}`)
  return m[1]
}

/** Follows Link headers from `url` to the last page; returns every page's items and the URLs visited. */
async function follow<T>(app: FastifyInstance, url: string): Promise<{ items: T[]; urls: string[] }> {
  const items: T[] = []
  const urls: string[] = []
  for (let at: string | null = url; at !== null;) {
    urls.push(at)
    const res = await get(app, at)
    if (res.statusCode !== 200) throw new Error(`GET ${at}: ${res.statusCode} ${res.body}`)
    const body = json<Page<T>>(res)
    items.push(...body.items)
    const next = nextUrl(res)
    if ((next === null) !== (body.next_cursor === null)) throw new Error(`Link and next_cursor disagree on ${at}`)
    if (next !== null && new URL(next, 'http://h').searchParams.get('cursor') !== body.next_cursor)
      throw new Error('Link carries another cursor')
    at = next
    if (urls.length > 1000) throw new Error('no end')
  }
  return { items, urls }
}

t.test('GET /claims lists every claim in (stated_at, id) order', async (t) => {
  const { app, ids } = await khanShaykhun(t)
  const all = await claims(app, '')
  t.equal(all.length, 9)
  t.strictSame(new Set(all.map((c) => c.id)), new Set(ids))
  const keys = all.map((c) => `${c.stated_at} ${c.id}`)
  t.strictSame(keys, [...keys].sort(), 'ordered by stated_at, then id')
  const one = await get(app, `/claims/${all[0]?.id ?? ''}`)
  t.strictSame(all[0], json(one), 'an item is the claim as GET /claims/{id} shows it')
})

t.test('GET /claims filters by event, source (id or alias), kind and metric', async (t) => {
  const { app } = await khanShaykhun(t)
  await post(app, '/events', { id: 'other', title: 'Another event', occurred_on: '2017-05-01' })
  await post(app, '/events/other/claims', figureClaim({ stated_at: '2017-05-01', metric: 'injured', value: 3 }))

  t.equal((await claims(app, '')).length, 10)
  const ofEvent = await claims(app, `event_id=${EVENT}`)
  t.equal(ofEvent.length, 9)
  t.ok(ofEvent.every((c) => c.event_id === EVENT))
  t.strictSame(
    (await claims(app, 'event_id=other')).map((c) => c.metric),
    ['injured'],
  )
  t.strictSame(await claims(app, 'event_id=nowhere'), [], 'an unknown event matches nothing')

  const sohr = await claims(app, 'source_id=sohr')
  t.equal(sohr.length, 3)
  t.ok(sohr.every((c) => c.source_id === 'sohr'))
  t.strictSame(
    (await claims(app, 'source_id=SOHR')).map((c) => c.id),
    sohr.map((c) => c.id),
    'an alias names its source',
  )
  t.strictSame(await claims(app, 'source_id=nobody'), [])

  const figures = await claims(app, 'kind=figure')
  t.equal(figures.length, 5)
  t.ok(figures.every((c) => c.kind === 'figure'))
  const attributions = await claims(app, 'kind=attribution')
  t.equal(attributions.length, 5)
  t.ok(attributions.every((c) => c.kind === 'attribution'))

  const killed = await claims(app, 'metric=killed')
  t.equal(killed.length, 3)
  t.ok(killed.every((c) => c.metric === 'killed'))
  t.equal((await claims(app, 'metric=affected')).length, 1)
  t.strictSame(await claims(app, 'metric=killed&kind=attribution'), [], 'filters combine')
  t.equal((await claims(app, `metric=killed&source_id=who&event_id=${EVENT}`)).length, 1)
})

t.test('GET /claims filters by stated_from and stated_to: a date is the start, or the end, of its day', async (t) => {
  const { app } = await khanShaykhun(t)
  await post(app, `/events/${EVENT}/claims`, {
    kind: 'figure',
    source_id: 'who',
    stated_at: '2017-04-05T18:30:00+02:00',
    metric: 'killed',
    qualifier: 'exact',
    value: 72,
  })
  const stated = async (q: string) => (await claims(app, q)).map((c) => c.stated_at)

  t.equal((await stated('stated_from=2017-04-05')).length, 6, 'every claim of the 5th, from 00:00:00Z')
  t.ok((await stated('stated_from=2017-04-05')).every((s) => s >= '2017-04-05T00:00:00.000Z'))
  t.equal((await stated('stated_to=2017-04-04')).length, 4, 'to a date: through the end of that day')
  t.strictSame(await stated('stated_to=2017-04-03'), [])
  t.equal((await stated('stated_to=2017-04-05')).length, 10, 'the 16:30Z claim is within the 5th')
  t.strictSame(
    await stated('stated_from=2017-04-05T16:30:00Z&stated_to=2017-04-05T16:30:00Z'),
    ['2017-04-05T16:30:00.000Z'],
    'both ends inclusive',
  )
  t.strictSame(
    await stated('stated_from=2017-04-05T18:00:00%2B02:00&stated_to=2017-04-05T17:00:00Z'),
    ['2017-04-05T16:30:00.000Z'],
    'offsets are read',
  )
  t.strictSame(await stated('stated_from=2017-04-06'), [])

  const backwards = await get(app, '/claims?stated_from=2017-04-06&stated_to=2017-04-05')
  t.equal(backwards.statusCode, 400)
  t.strictSame(
    json<Problem>(backwards).errors?.map((e) => e.path),
    ['/stated_to'],
  )
  const bad = await get(app, '/claims?stated_from=yesterday')
  t.equal(bad.statusCode, 400)
  t.strictSame(
    json<Problem>(bad).errors?.map((e) => [e.path, e.in]),
    [['/stated_from', 'query']],
  )
})

t.test('GET /claims?status= follows retractions and supersedes as GET /claims/{id} does', async (t) => {
  const { app, ids } = await khanShaykhun(t)
  const [sohrKilled, , whoKilled, whoAffected] = ids as [string, string, string, string]
  const retracted = await post(app, `/claims/${whoAffected}/retraction`, { reason: 'duplicate' })
  t.equal(retracted.statusCode, 201)
  const correction = await post(app, `/events/${EVENT}/claims`, figureClaim({ stated_at: '2017-04-06', value: 86, supersedes: sohrKilled }))
  t.equal(correction.statusCode, 201)
  // A correction that was itself retracted supersedes nothing: the WHO figure stays active.
  const badCorrection = json<{ id: string }>(
    await post(app, `/events/${EVENT}/claims`, {
      kind: 'figure',
      source_id: 'who',
      stated_at: '2017-04-06',
      metric: 'killed',
      qualifier: 'at_least',
      value: 1,
      supersedes: whoKilled,
    }),
  )
  await post(app, `/claims/${badCorrection.id}/retraction`, { reason: 'misattributed' })

  const ofStatus = async (status: string) => (await claims(app, `status=${status}`)).map((c) => c.id).sort()
  t.strictSame(await ofStatus('retracted'), [whoAffected, badCorrection.id].sort())
  t.strictSame(await ofStatus('superseded'), [sohrKilled])
  const active = await ofStatus('active')
  t.equal(active.length, 8, '11 claims: 2 retracted, 1 superseded')
  t.ok(active.includes(whoKilled), 'superseded only by a retracted claim: still active')
  t.ok(active.includes(json<{ id: string }>(correction).id))

  for (const claim of await claims(app, '')) {
    const one = json<ClaimBody>(await get(app, `/claims/${claim.id}`))
    t.strictSame([claim.status, claim.superseded_by], [one.status, one.superseded_by], `status of ${claim.id} as GET /claims/{id} has it`)
  }
  t.strictSame(
    (await claims(app, `status=superseded&event_id=${EVENT}`)).map((c) => c.superseded_by),
    [json<{ id: string }>(correction).id],
  )
  t.equal((await get(app, '/claims?status=deleted')).statusCode, 400)
})

t.test('lists page with Link headers: following them gives every item once', async (t) => {
  const { app } = await khanShaykhun(t)
  for (let i = 0; i < 6; i++) await post(app, '/events', { title: `Event ${i}`, occurred_on: '2020' })
  await post(app, '/actors', { name: 'Another actor', kind: 'other' })

  const cases: Array<{ url: string; limit: number; key: (item: Record<string, unknown>) => string }> = [
    { url: '/claims?kind=figure&limit=2', limit: 2, key: (c) => String(c.id) },
    { url: '/claims?limit=4', limit: 4, key: (c) => String(c.id) },
    { url: `/events/${EVENT}/claims?limit=2`, limit: 2, key: (c) => String(c.id) },
    { url: '/sources?limit=4', limit: 4, key: (s) => String(s.id) },
    { url: '/sources?q=ministry&limit=1', limit: 1, key: (s) => String(s.id) },
    { url: '/actors?limit=2', limit: 2, key: (a) => String(a.id) },
    { url: '/events?limit=3', limit: 3, key: (e) => String(e.id) },
  ]
  for (const c of cases) {
    const all = await get(app, `${c.url.replace(/limit=\d+/, 'limit=1000')}`)
    const expected = json<Page<Record<string, unknown>>>(all).items.map(c.key)
    t.notOk(all.headers.link, `${c.url}: one page, no Link`)
    const { items, urls } = await follow<Record<string, unknown>>(app, c.url)
    const got = items.map(c.key)
    t.strictSame(got, expected, `${c.url}: the pages add up to the list, in order`)
    t.equal(new Set(got).size, got.length, `${c.url}: no duplicates`)
    t.equal(urls.length, Math.max(1, Math.ceil(expected.length / c.limit)), `${c.url}: ${urls.length} pages`)
    t.ok(expected.length > c.limit, `${c.url}: more than one page to follow`)
    const [path, query] = c.url.split('?') as [string, string]
    for (const u of urls.slice(1)) {
      t.ok(u.startsWith(`${path}?`), `${u} is relative, on the same path`)
      const params = new URLSearchParams(u.split('?')[1])
      for (const [k, v] of new URLSearchParams(query)) t.equal(params.get(k), v, `${u} keeps ${k}`)
    }
  }
})

t.test('limit defaults to 50 and is at most 1000; a bad cursor is a 400', async (t) => {
  const { app } = await khanShaykhun(t)
  const rows = Array.from({ length: 60 }, (_, i) => ({
    event_id: EVENT,
    kind: 'figure',
    source_id: 'sohr',
    stated_at: '2017-04-07',
    metric: 'injured',
    qualifier: 'exact',
    value: i,
  }))
  t.equal((await app.inject({ method: 'POST', url: '/claims/bulk', payload: rows })).statusCode, 201)
  const first = await get(app, '/claims')
  t.equal(json<Page<unknown>>(first).items.length, 50)
  t.ok(first.headers.link)
  const rest = await get(app, nextUrl(first) ?? '')
  t.equal(json<Page<unknown>>(rest).items.length, 19)
  t.equal(json<Page<unknown>>(rest).next_cursor, null)
  t.notOk(rest.headers.link, 'the last page has no Link')
  t.equal(json<Page<unknown>>(await get(app, '/claims?limit=1000')).items.length, 69)

  for (const url of [
    '/claims?limit=0',
    '/claims?limit=1001',
    '/claims?limit=x',
    '/sources?limit=1001',
    '/summaries?limit=0',
    `/events/${EVENT}/claims?limit=1001`,
  ]) {
    const res = await get(app, url)
    t.equal(res.statusCode, 400, url)
    t.strictSame(
      json<Problem>(res).errors?.map((e) => e.path),
      ['/limit'],
      url,
    )
  }
  for (const url of [
    '/claims?cursor=nonsense',
    `/events/${EVENT}/claims?cursor=WyJ4Il0`,
    '/summaries?cursor=%5B%5D',
    '/claims?cursor=nonsense&format=csv',
  ]) {
    const res = await get(app, url)
    t.equal(res.statusCode, 400, `${url}: a problem, before any export byte`)
    t.strictSame(
      json<Problem>(res).errors?.map((e) => e.path),
      ['/cursor'],
      url,
    )
  }
})

t.test('unknown query parameters are a 400 on every list', async (t) => {
  const { app } = await khanShaykhun(t)
  for (const url of [
    '/claims?evnt_id=x',
    '/sources?page=2',
    '/actors?offset=1',
    '/events?order=x',
    `/events/${EVENT}/claims?status=active`,
    '/summaries?event_id=x',
    `/events/${EVENT}/summary?limit=2`,
  ]) {
    const res = await get(app, url)
    t.equal(res.statusCode, 400, url)
    t.match(json<Problem>(res).errors?.[0]?.message, /not a known field/, url)
  }
  t.equal((await get(app, '/events/nowhere/claims')).statusCode, 404)
})

interface Row {
  event_id: string
  event_title: string
  occurred_on: string
  metric: string
  population: string
  party: string | null
  sources: number
  range_low: number
  range_high: number | null
  median: number
  level: string
  spread: number
  ratio: number | null
  relative_spread: number | null
  attribution_status: string
}

t.test('GET /summaries: one row per figure group of the §8 example', async (t) => {
  const { app } = await khanShaykhun(t)
  const res = await get(app, '/summaries?as_of=2017-04-06')
  t.equal(res.statusCode, 200)
  const body = json<Page<Row>>(res)
  t.equal(body.next_cursor, null)
  t.strictSame(
    body.items.map((r) => `${r.metric}/${r.population}`),
    ['killed/all', 'killed/children', 'affected/all'],
  )
  t.strictSame(body.items[0], {
    event_id: EVENT,
    event_title: 'Chemical attack on Khan Shaykhun',
    occurred_on: '2017-04-04',
    metric: 'killed',
    population: 'all',
    party: null,
    sources: 2,
    range_low: 58,
    range_high: null,
    median: 64,
    level: 'conflicting',
    spread: 12,
    ratio: 70 / 58,
    relative_spread: 0.1875,
    attribution_status: 'contested',
    as_of: '2017-04-06T23:59:59.999Z',
  })
  t.strictSame(body.items[2], {
    ...body.items[2],
    sources: 1,
    range_low: 200,
    range_high: 999,
    median: 200,
    level: 'single_source',
  })

  const summary = json<{ figures: Array<{ sources: number; range: { low: number; high: number | null } }> }>(
    await get(app, `/events/${EVENT}/summary?as_of=2017-04-06`),
  )
  t.strictSame(
    body.items.map((r) => [r.sources, r.range_low, r.range_high]),
    summary.figures.map((f) => [f.sources, f.range.low, f.range.high]),
    'the rows say what the event summary says',
  )

  const early = json<Page<Row>>(await get(app, '/summaries?as_of=2017-04-04'))
  t.strictSame(
    early.items.map((r) => [r.metric, r.population, r.level, r.sources]),
    [
      ['killed', 'all', 'single_source', 1],
      ['killed', 'children', 'single_source', 1],
    ],
    'as of the 4th, only SOHR',
  )
  t.strictSame(json<Page<Row>>(await get(app, '/summaries?as_of=2017-04-03')).items, [], 'nothing stated yet: no rows')
  t.strictSame(
    json<Page<Row>>(await get(app, '/summaries?as_of=2017-04-06&metric=affected')).items.map((r) => r.metric),
    ['affected'],
  )
  const defaultNow = json<Page<Row>>(await get(app, '/summaries'))
  t.equal(defaultNow.items.length, 3, 'as_of defaults to now')
  t.equal((await get(app, '/summaries?as_of=soon')).statusCode, 400)
})

t.test('GET /summaries pages over events: limit counts events, no group straddles two pages', async (t) => {
  const { app } = await khanShaykhun(t)
  const fixture = readFixture()
  for (const id of ['a-event', 'b-event', 'z-event']) {
    await post(app, '/events', { ...fixture.event, id })
    for (const claim of fixture.claims) await post(app, `/events/${id}/claims`, claim)
  }
  await post(app, '/events', { id: 'no-figures', title: 'Only blame', occurred_on: '2017' })
  await post(app, `/events/no-figures/claims`, {
    kind: 'attribution',
    source_id: 'reuters',
    stated_at: '2017-04-04',
    stance: 'accuses',
    actor_ids: ['russian-forces'],
  })

  const { items, urls } = await follow<Row>(app, '/summaries?as_of=2017-04-06&limit=1')
  t.equal(urls.length, 4, 'one page per event with figures')
  t.strictSame(
    [...new Set(items.map((r) => r.event_id))],
    ['a-event', 'b-event', EVENT, 'z-event'],
    'events in id order; one without figures has no row',
  )
  t.equal(items.length, 12, 'three groups for each of four events')
  const two = await get(app, '/summaries?as_of=2017-04-06&limit=2')
  t.equal(json<Page<Row>>(two).items.length, 6, 'limit=2: every row of two events')
})
