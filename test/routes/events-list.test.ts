/** GET /events (contract §10): filters, sorts, keyset pages, the dispute block, formats. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { type Dispute, type Page, type Problem, assertQueryRefused, build, csvRecords, get, json, post } from '../helper.js'

interface Item {
  id: string
  title: string
  occurred_on: string
  location: { country?: string; place?: string } | null
  tags: string[]
  dispute: Dispute
}

type App = FastifyInstance

async function ok(res: Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  const r = await res
  if (r.statusCode >= 300) throw new Error(`${r.statusCode}: ${r.body}`)
  return r
}

async function list(app: App, query = ''): Promise<Item[]> {
  const res = await get(app, `/events?limit=1000${query ? `&${query}` : ''}`)
  if (res.statusCode !== 200) throw new Error(`GET /events?${query}: ${res.statusCode} ${res.body}`)
  return json<Page<Item>>(res).items
}

async function ids(app: App, query = ''): Promise<string[]> {
  return (await list(app, query)).map((e) => e.id)
}

/** Follows next_cursor (checking the Link header says the same) from the first page; every page's ids. */
async function walk(app: App, query: string, limit: number): Promise<string[][]> {
  const pages: string[][] = []
  let url: string | null = `/events?limit=${limit}${query ? `&${query}` : ''}`
  while (url !== null) {
    const res = await get(app, url)
    if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body}`)
    const body = json<Page<Item>>(res)
    pages.push(body.items.map((e) => e.id))
    const link = res.headers.link === undefined ? null : String(res.headers.link)
    if (body.next_cursor === null) {
      if (link !== null) throw new Error(`a last page with a Link header: ${link}`)
      url = null
    } else {
      const m = /^<([^>]+)>; rel="next"$/.exec(link ?? '')
      const next = m?.[1]
      if (next === undefined) throw new Error(`no Link header on ${url}`)
      const params = new URL(next, 'http://h').searchParams
      if (params.get('cursor') !== body.next_cursor) throw new Error('Link carries another cursor')
      url = next
    }
    if (pages.length > 500) throw new Error('no end')
  }
  return pages
}

// ---- a small world: sources, actors, and events with claims that give each dispute level ----

const SOURCES = ['s1', 's2', 's3', 's4']

async function world(t: Parameters<typeof build>[0]): Promise<App> {
  const app = await build(t)
  for (const id of SOURCES) await ok(post(app, '/sources', { id, name: `Source ${id}`, kind: 'monitor' }))
  for (const id of ['a', 'b', 'c']) await ok(post(app, '/actors', { id, name: `Actor ${id}`, kind: 'armed_group' }))
  return app
}

interface FigureSpec {
  source: string
  qualifier: string
  value?: number
  low?: number
  high?: number
  metric?: string
  population?: string
}

function figure(eventId: string, f: FigureSpec, day = '2017-04-05') {
  const { source, metric = 'killed', population = 'all', ...rest } = f
  return { event_id: eventId, kind: 'figure', source_id: source, stated_at: day, metric, population, ...rest }
}

function attribution(eventId: string, source: string, stance: 'accuses' | 'denies', actors: string[]) {
  return { event_id: eventId, kind: 'attribution', source_id: source, stated_at: '2017-04-05', stance, actor_ids: actors }
}

async function claims(app: App, rows: object[]): Promise<void> {
  if (rows.length > 0) await ok(post(app, '/claims/bulk', rows))
}

async function event(app: App, body: Record<string, unknown>, rows: (id: string) => object[] = () => []): Promise<void> {
  await ok(post(app, '/events', body))
  await claims(app, rows(String(body.id)))
}

/** One event per level, and one without figures; attribution statuses spread over them. */
async function levels(app: App): Promise<void> {
  await event(app, { id: 'conflicting', title: 'Conflicting', occurred_on: '2017-04-04' }, (id) => [
    figure(id, { source: 's1', qualifier: 'exact', value: 10 }),
    figure(id, { source: 's2', qualifier: 'exact', value: 20 }),
    attribution(id, 's1', 'accuses', ['a']),
    attribution(id, 's2', 'denies', ['a']),
  ])
  await event(app, { id: 'compatible', title: 'Compatible', occurred_on: '2017-04-05' }, (id) => [
    figure(id, { source: 's1', qualifier: 'at_least', value: 10 }),
    figure(id, { source: 's2', qualifier: 'exact', value: 12 }),
    attribution(id, 's1', 'accuses', ['a']),
  ])
  await event(app, { id: 'agreement', title: 'Agreement', occurred_on: '2017-04-06' }, (id) => [
    figure(id, { source: 's1', qualifier: 'exact', value: 10 }),
    figure(id, { source: 's2', qualifier: 'exact', value: 10 }),
    attribution(id, 's1', 'denies', ['b']),
  ])
  await event(app, { id: 'single', title: 'Single source', occurred_on: '2017-04-07' }, (id) => [
    figure(id, { source: 's1', qualifier: 'exact', value: 7, metric: 'injured' }),
  ])
  await event(app, { id: 'no-figures', title: 'No figures', occurred_on: '2017-04-08' }, (id) => [attribution(id, 's3', 'accuses', ['c'])])
  await event(app, { id: 'empty', title: 'Nothing yet', occurred_on: '2017-04-09' })
}

t.test('each item carries its dispute block: the §8 example', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  await ok(post(app, '/events', { id: 'later', title: 'Later', occurred_on: '2018' }))
  const items = await list(app)
  t.strictSame(
    items.map((e) => e.id),
    ['khan-shaykhun', 'later'],
    'id order without sort',
  )
  t.strictSame(items[0]?.dispute, {
    level: 'conflicting',
    relative_spread: 0.1875,
    range: { low: 58, high: null },
    status: 'contested',
    claims: 9,
  })
  t.strictSame(
    items[1]?.dispute,
    { level: null, relative_spread: null, range: null, status: 'none', claims: 0 },
    'a new event: an empty block',
  )
  const one = json<Record<string, unknown>>(await get(app, '/events/khan-shaykhun'))
  const event: Record<string, unknown> = { ...items[0] }
  delete event.dispute
  t.strictSame(event, one, 'the item is the event as GET /events/{id} shows it, with the block')
})

t.test('the most disputed group decides the level; the killed/all range is its own', async (t) => {
  const app = await world(t)
  await event(app, { id: 'ev', title: 'Two groups', occurred_on: '2017' }, (id) => [
    // killed/all: agreement (10, 10); injured/all: conflicting with relative spread 10/15.
    figure(id, { source: 's1', qualifier: 'exact', value: 10 }),
    figure(id, { source: 's2', qualifier: 'exact', value: 10 }),
    figure(id, { source: 's1', qualifier: 'exact', value: 10, metric: 'injured' }),
    figure(id, { source: 's2', qualifier: 'exact', value: 20, metric: 'injured' }),
    // killed/children: conflicting too, but a smaller relative spread (2/11).
    figure(id, { source: 's1', qualifier: 'exact', value: 10, population: 'children' }),
    figure(id, { source: 's2', qualifier: 'exact', value: 12, population: 'children' }),
  ])
  const [item] = await list(app)
  t.strictSame(item?.dispute, { level: 'conflicting', relative_spread: 10 / 15, range: { low: 10, high: 10 }, status: 'none', claims: 6 })

  await event(app, { id: 'no-killed', title: 'Injured only', occurred_on: '2017' }, (id) => [
    figure(id, { source: 's1', qualifier: 'at_least', value: 3, metric: 'injured' }),
  ])
  const noKilled = (await list(app)).find((e) => e.id === 'no-killed')
  t.strictSame(
    noKilled?.dispute,
    { level: 'single_source', relative_spread: 0, range: null, status: 'none', claims: 1 },
    'no killed/all group: range null',
  )
})

t.test('the block follows writes: claims, bulk, supersedes, retractions', async (t) => {
  const app = await world(t)
  await ok(post(app, '/events', { id: 'ev', title: 'Event', occurred_on: '2017-04-04' }))
  const first = json<{ id: string }>(
    await ok(post(app, '/events/ev/claims', figure('ev', { source: 's1', qualifier: 'exact', value: 10 }))),
  )
  const block = async () => (await list(app))[0]?.dispute
  t.strictSame(await block(), { level: 'single_source', relative_spread: 0, range: { low: 10, high: 10 }, status: 'none', claims: 1 })
  await ok(post(app, '/claims', figure('ev', { source: 's2', qualifier: 'exact', value: 30 })))
  t.match(await block(), { level: 'conflicting', relative_spread: 1, range: { low: 10, high: 30 }, claims: 2 })
  await ok(post(app, '/claims', { ...figure('ev', { source: 's1', qualifier: 'exact', value: 30 }, '2017-04-06'), supersedes: first.id }))
  t.match(
    await block(),
    { level: 'agreement', relative_spread: 0, range: { low: 30, high: 30 }, claims: 3 },
    'a correction replaces the figure',
  )
  const accusation = json<{ id: string }>(await ok(post(app, '/events/ev/claims', attribution('ev', 's3', 'accuses', ['a']))))
  t.match(await block(), { status: 'uncontested', claims: 4 })
  await ok(post(app, `/claims/${accusation.id}/retraction`, { reason: 'misattributed' }))
  t.match(await block(), { status: 'none', claims: 4 }, 'a retraction leaves the summary, not the count')
  const dryRun = await post(app, '/claims/bulk?dry_run=true', [attribution('ev', 's3', 'accuses', ['b'])])
  t.equal(dryRun.statusCode, 200)
  t.match(await block(), { status: 'none', claims: 4 }, 'a dry run writes nothing')
})

t.test('a claim stated in the future counts once its stated_at has passed', async (t) => {
  const app = await world(t)
  await ok(post(app, '/events', { id: 'ev', title: 'Event', occurred_on: '2017-04-04' }))
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString()
  await ok(
    post(app, '/events/ev/claims', {
      kind: 'figure',
      source_id: 's1',
      stated_at: tomorrow,
      metric: 'killed',
      qualifier: 'exact',
      value: 5,
    }),
  )
  t.strictSame(
    (await list(app))[0]?.dispute,
    { level: null, relative_spread: null, range: null, status: 'none', claims: 1 },
    'not counted yet, but on file',
  )
  const dayAfter = new Date(Date.now() + 2 * 86_400_000).toISOString()
  t.equal(await app.writes.now(() => app.repos.disputes.refreshDue(dayAfter)), 1, 'once its stated_at has passed, the event is due')
  t.strictSame((await list(app))[0]?.dispute, {
    level: 'single_source',
    relative_spread: 0,
    range: { low: 5, high: 5 },
    status: 'none',
    claims: 1,
  })
  const later = new Date(Date.now() + 3 * 86_400_000).toISOString()
  t.equal(await app.writes.now(() => app.repos.disputes.refreshDue(later)), 0, 'nothing is due twice')
})

t.test('a new parent of an actor refreshes the attribution status', async (t) => {
  const app = await world(t)
  // Two sources accuse a and b, unrelated: contested (§5 b). With b a child of a, the sets are related.
  await event(app, { id: 'ev', title: 'Event', occurred_on: '2017' }, (id) => [
    attribution(id, 's1', 'accuses', ['a']),
    attribution(id, 's2', 'accuses', ['b']),
  ])
  await event(app, { id: 'other', title: 'Other', occurred_on: '2017' }, (id) => [attribution(id, 's1', 'accuses', ['c'])])
  const status = async (id: string) => (await list(app)).find((e) => e.id === id)?.dispute.status
  const summary = async (id: string) =>
    json<{ attribution: { status: string } }>(await get(app, `/events/${id}/summary`)).attribution.status
  t.equal(await status('ev'), 'contested')
  await ok(app.inject({ method: 'PATCH', url: '/actors/b', payload: { parent_id: 'a' } }))
  t.equal(await summary('ev'), 'uncontested')
  t.equal(await status('ev'), 'uncontested', 'the list agrees with the summary')
  await ok(post(app, '/actors/bulk', [{ id: 'b', name: 'Actor b', kind: 'armed_group', parent_id: null }]))
  t.equal(await summary('ev'), 'contested')
  t.equal(await status('ev'), 'contested', 'a bulk update too')
  t.equal(await status('other'), 'uncontested', 'an event naming neither is untouched')
  const cycle = await app.inject({ method: 'PATCH', url: '/actors/a', payload: { parent_id: 'a' } })
  t.equal(cycle.statusCode, 422, 'a refused parent changes nothing')
  t.equal(await status('ev'), 'contested')
})

t.test('filters', async (t) => {
  const app = await world(t)
  const ev = (id: string, occurred_on: string, extra: Record<string, unknown> = {}) =>
    ok(post(app, '/events', { id, title: `Event ${id}`, occurred_on, ...extra }))
  await ev('y2017', '2017', { location: { country: 'SY' }, tags: ['Airstrike'] })
  await ev('m2017-04', '2017-04', { location: { country: 'sy', place: 'Khan Shaykhun' }, tags: ['chemical-weapons', 'airstrike'] })
  await ev('d2017-04-04', '2017-04-04', { location: { country: 'UA', place: 'Mariupol' }, description: 'The drama theatre was hit.' })
  await ev('d2017-04-15', '2017-04-15', { title: 'Frappe à Élbasan', tags: ['chemical'] })
  await ev('d2017-04-30', '2017-04-30', { location: { place: 'Élbasan' } })
  await ev('d2017-05-01', '2017-05-01', { location: { country: 'YE' } })
  await ev('d2016-12-31', '2016-12-31')
  await ev('m2016-02', '2016-02')

  t.test('country: location.country, any case', async (t) => {
    t.strictSame(await ids(app, 'country=SY'), ['m2017-04', 'y2017'])
    t.strictSame(await ids(app, 'country=sy'), ['m2017-04', 'y2017'], 'lower case asks the same')
    t.strictSame(await ids(app, 'country=ua'), ['d2017-04-04'])
    t.strictSame(await ids(app, 'country=FR'), [], 'no event there')
  })

  t.test('from and to: the whole of occurred_on within them', async (t) => {
    const april = ['d2017-04-04', 'd2017-04-15', 'd2017-04-30', 'm2017-04']
    t.strictSame(await ids(app, 'from=2017-04-01&to=2017-04-30'), april, 'a month event is within its month, day by day')
    t.strictSame(await ids(app, 'from=2017-04&to=2017-04'), april, 'partial dates: the first and the last day they mean')
    t.strictSame(await ids(app, 'from=2017-04-15'), ['d2017-04-15', 'd2017-04-30', 'd2017-05-01'], '2017-04 and 2017 start earlier')
    t.strictSame(await ids(app, 'to=2017-04-15'), ['d2016-12-31', 'd2017-04-04', 'd2017-04-15', 'm2016-02'], '2017-04 and 2017 end later')
    t.strictSame(await ids(app, 'from=2017&to=2017'), ['d2017-04-04', 'd2017-04-15', 'd2017-04-30', 'd2017-05-01', 'm2017-04', 'y2017'])
    t.strictSame(await ids(app, 'from=2017-01-01&to=2017-12-31'), await ids(app, 'from=2017&to=2017'), 'the same year by days')
    t.strictSame(
      await ids(app, 'to=2017-12-30'),
      ['d2016-12-31', 'd2017-04-04', 'd2017-04-15', 'd2017-04-30', 'd2017-05-01', 'm2016-02', 'm2017-04'],
      'the year ends on the 31st',
    )
    t.strictSame(await ids(app, 'from=2016-02-01&to=2016-02-29'), ['m2016-02'], 'a leap February ends on the 29th')
    t.strictSame(await ids(app, 'from=2016-02-01&to=2016-02-28'), [], 'and not on the 28th')
    t.strictSame(await ids(app, 'from=2017-04-30&to=2017-04-30'), ['d2017-04-30'], 'one day')
    t.strictSame(await ids(app, 'from=2016-12-31&to=2017-01-01'), ['d2016-12-31'])
  })

  t.test('tag: exact, any case', async (t) => {
    t.strictSame(await ids(app, 'tag=airstrike'), ['m2017-04', 'y2017'])
    t.strictSame(await ids(app, 'tag=AIRSTRIKE'), ['m2017-04', 'y2017'])
    t.strictSame(await ids(app, 'tag=chemical'), ['d2017-04-15'], 'not a substring of chemical-weapons')
    t.strictSame(await ids(app, 'tag=air'), [])
  })

  t.test('q: title, description and place, any case, Unicode', async (t) => {
    t.strictSame(await ids(app, 'q=KHAN'), ['m2017-04'], 'place')
    t.strictSame(await ids(app, 'q=theatre'), ['d2017-04-04'], 'description')
    t.strictSame(await ids(app, `q=${encodeURIComponent('élbasan')}`), ['d2017-04-15', 'd2017-04-30'], 'title and place; É folds to é')
    t.strictSame(await ids(app, 'q=event%20y2017'), ['y2017'], 'title')
    t.strictSame(await ids(app, 'q=50%25'), [], 'no wildcards: % is a character')
    t.strictSame(await ids(app, 'q=nowhere'), [])
  })
})

t.test('level and attribution_status filter on the dispute block', async (t) => {
  const app = await world(t)
  await levels(app)
  t.strictSame(await ids(app, 'level=conflicting'), ['conflicting'])
  t.strictSame(await ids(app, 'level=compatible'), ['compatible'])
  t.strictSame(await ids(app, 'level=agreement'), ['agreement'])
  t.strictSame(await ids(app, 'level=single_source'), ['single'])
  t.strictSame(await ids(app, 'level=none'), ['empty', 'no-figures'], 'none: no counted figure')
  t.strictSame(await ids(app, 'attribution_status=contested'), ['conflicting'])
  t.strictSame(await ids(app, 'attribution_status=uncontested'), ['compatible', 'no-figures'])
  t.strictSame(await ids(app, 'attribution_status=unattributed'), ['agreement'])
  t.strictSame(await ids(app, 'attribution_status=none'), ['empty', 'single'])
  for (const item of await list(app)) {
    const summary = json<{ figures: Array<{ disagreement: { level: string } }>; attribution: { status: string } }>(
      await get(app, `/events/${item.id}/summary`),
    )
    t.equal(item.dispute.status, summary.attribution.status, `${item.id}: the status is the summary's`)
  }
})

t.test('filters combine', async (t) => {
  const app = await world(t)
  await levels(app)
  await event(
    app,
    { id: 'conflicting-ye', title: 'Conflicting in Yemen', occurred_on: '2017-04-04', location: { country: 'YE' } },
    (id) => [figure(id, { source: 's1', qualifier: 'exact', value: 1 }), figure(id, { source: 's2', qualifier: 'exact', value: 9 })],
  )
  await event(
    app,
    { id: 'conflicting-sy', title: 'Conflicting in Syria', occurred_on: '2018-01', location: { country: 'SY' }, tags: ['x'] },
    (id) => [figure(id, { source: 's1', qualifier: 'exact', value: 1 }), figure(id, { source: 's2', qualifier: 'exact', value: 9 })],
  )
  t.strictSame(await ids(app, 'level=conflicting'), ['conflicting', 'conflicting-sy', 'conflicting-ye'])
  t.strictSame(await ids(app, 'level=conflicting&country=ye'), ['conflicting-ye'])
  t.strictSame(await ids(app, 'level=conflicting&to=2017-12-31'), ['conflicting', 'conflicting-ye'])
  t.strictSame(await ids(app, 'level=conflicting&q=syria&tag=X'), ['conflicting-sy'])
  t.strictSame(await ids(app, 'level=conflicting&attribution_status=contested'), ['conflicting'])
  t.strictSame(await ids(app, 'level=conflicting&attribution_status=none&sort=-occurred_on'), ['conflicting-sy', 'conflicting-ye'])
  t.strictSame(await ids(app, 'country=SY&level=agreement'), [])
  t.strictSame(
    (await walk(app, 'from=2017-04&sort=-dispute&q=conflicting', 1)).flat(),
    ['conflicting-ye', 'conflicting-sy', 'conflicting'],
    'filtered pages sorted by dispute: equal relative spreads (8/5) by id, descending, then 10/15',
  )
})

/** Many events: ties on every sort key, null relative spreads, partial dates. */
async function crowd(app: App): Promise<void> {
  const dates = ['2017', '2017-04', '2017-04-04', '2017-04-04', '2016-12-31', '2017-04', '2018-01-02']
  // Figure sets giving every level, equal relative spreads across events, and a median of 0 (relative_spread null).
  const sets: FigureSpec[][] = [
    [],
    [{ source: 's1', qualifier: 'exact', value: 10 }],
    [
      { source: 's1', qualifier: 'exact', value: 10 },
      { source: 's2', qualifier: 'exact', value: 20 },
    ],
    [
      { source: 's1', qualifier: 'exact', value: 20 },
      { source: 's2', qualifier: 'exact', value: 40 },
    ],
    [
      { source: 's1', qualifier: 'exact', value: 0 },
      { source: 's2', qualifier: 'exact', value: 0 },
      { source: 's3', qualifier: 'exact', value: 5 },
    ],
    [
      { source: 's1', qualifier: 'exact', value: 0 },
      { source: 's2', qualifier: 'exact', value: 0 },
    ],
    [
      { source: 's1', qualifier: 'at_least', value: 10 },
      { source: 's2', qualifier: 'exact', value: 12 },
    ],
    [
      { source: 's1', qualifier: 'exact', value: 10 },
      { source: 's2', qualifier: 'exact', value: 10 },
    ],
    [
      { source: 's1', qualifier: 'exact', value: 1 },
      { source: 's2', qualifier: 'exact', value: 100 },
    ],
  ]
  const rows: object[] = []
  for (let i = 0; i < 30; i++) {
    const id = `e${String((i * 7) % 30).padStart(2, '0')}`
    await ok(post(app, '/events', { id, title: `Event ${i}`, occurred_on: dates[i % dates.length] }))
    for (const f of sets[i % sets.length] ?? []) rows.push(figure(id, f))
    for (let k = 0; k < i % 4; k++) rows.push(attribution(id, SOURCES[k] ?? 's1', 'accuses', ['a']))
  }
  await claims(app, rows)
}

const RANK: Record<string, number> = { conflicting: 3, compatible: 2, agreement: 1, single_source: 0 }
const rankOf = (d: Dispute) => (d.level === null ? -1 : (RANK[d.level] ?? -2))
const compareIds = (a: Item, b: Item) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

const EXPECTED_ORDER: Record<string, (a: Item, b: Item) => number> = {
  occurred_on: (a, b) => (a.occurred_on < b.occurred_on ? -1 : a.occurred_on > b.occurred_on ? 1 : compareIds(a, b)),
  '-occurred_on': (a, b) => (a.occurred_on > b.occurred_on ? -1 : a.occurred_on < b.occurred_on ? 1 : compareIds(b, a)),
  '-claims': (a, b) => b.dispute.claims - a.dispute.claims || compareIds(b, a),
  '-dispute': (a, b) => {
    const byRank = rankOf(b.dispute) - rankOf(a.dispute)
    if (byRank !== 0) return byRank
    const sa = a.dispute.relative_spread
    const sb = b.dispute.relative_spread
    if (sa !== sb) return sa === null ? 1 : sb === null ? -1 : sb - sa
    return compareIds(b, a)
  },
}

t.test('every sort, page by page: no duplicates, no gaps, in order', async (t) => {
  const app = await world(t)
  await crowd(app)
  const all = await list(app)
  t.equal(all.length, 30)
  t.strictSame(
    all.map((e) => e.id),
    all.map((e) => e.id).sort(),
    'without sort: id order',
  )
  t.ok(
    all.some((e) => e.dispute.level !== null && e.dispute.relative_spread === null),
    'some group has a median of 0',
  )
  for (const sort of ['occurred_on', '-occurred_on', '-claims', '-dispute']) {
    const expected = [...all].sort(EXPECTED_ORDER[sort]).map((e) => e.id)
    t.strictSame(await ids(app, `sort=${sort}`), expected, `sort=${sort}: one page`)
    for (const limit of [1, 2, 3, 7]) {
      const pages = await walk(app, `sort=${encodeURIComponent(sort)}`, limit)
      t.strictSame(pages.flat(), expected, `sort=${sort}, limit=${limit}: the pages follow on`)
      t.equal(pages.length, Math.ceil(30 / limit), `sort=${sort}, limit=${limit}: ${Math.ceil(30 / limit)} pages`)
    }
  }
  const noSort = await walk(app, '', 4)
  t.strictSame(
    noSort.flat(),
    all.map((e) => e.id),
    'id order pages too',
  )

  t.test('the order of a sort survives writes between pages', async (t) => {
    const first = json<Page<Item>>(await get(app, '/events?sort=-claims&limit=5'))
    // An event seen on the first page gets claims: it moves up, and is not seen twice.
    const moved = first.items[4]?.id ?? ''
    await claims(
      app,
      Array.from({ length: 5 }, (_, k) => attribution(moved, SOURCES[k % 4] ?? 's1', 'denies', ['b'])),
    )
    const rest = await walk(app, `sort=-claims&cursor=${encodeURIComponent(first.next_cursor ?? '')}`, 5)
    const seen = [...first.items.map((e) => e.id), ...rest.flat()]
    t.equal(new Set(seen).size, seen.length, 'no event twice')
    t.equal(seen.length, 30, 'none missed')
  })
})

t.test('a cursor belongs to its sort', async (t) => {
  const app = await world(t)
  await crowd(app)
  const cursors: Record<string, string> = {}
  for (const sort of ['', 'occurred_on', '-occurred_on', '-claims', '-dispute']) {
    const body = json<Page<Item>>(await get(app, `/events?limit=2${sort ? `&sort=${sort}` : ''}`))
    cursors[sort] = body.next_cursor ?? ''
  }
  for (const [from, cursor] of Object.entries(cursors)) {
    for (const to of Object.keys(cursors)) {
      const res = await get(app, `/events?limit=2${to ? `&sort=${to}` : ''}&cursor=${encodeURIComponent(cursor)}`)
      if (from === to) {
        t.equal(res.statusCode, 200, `a cursor of sort=${from} with its own sort`)
        continue
      }
      assertQueryRefused(t, res, '/cursor', `a cursor of sort=${from || '(none)'} with sort=${to || '(none)'}`)
      t.match(json<Problem>(res).errors?.[0]?.message, /was given out for/)
    }
  }
  const forged = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url')
  for (const [sort, cursor] of [
    ['', 'not-a-cursor'],
    ['-claims', forged(['-claims', 'many', 'e01'])],
    ['-claims', forged(['-claims', '3'])],
    ['-dispute', forged(['-dispute', '3', 'wide', 'e01'])],
    ['occurred_on', forged(['occurred_on', 1, 'e01'])],
    ['', forged(['e01'])],
    ['', forged({ id: 'e01' } as unknown as unknown[])],
  ] as Array<[string, string]>) {
    assertQueryRefused(t, await get(app, `/events?${sort ? `sort=${sort}&` : ''}cursor=${cursor}`), '/cursor', `${sort}: ${cursor}`)
  }
})

t.test('bad values are 400s naming the parameter', async (t) => {
  const app = await world(t)
  for (const [query, path] of [
    ['country=SYR', '/country'],
    ['country=1', '/country'],
    ['from=2017-13', '/from'],
    ['from=April', '/from'],
    ['to=2017-02-30', '/to'],
    ['from=2017-05&to=2017-04-30', '/to'],
    ['from=2017-04-02&to=2017-04-01', '/to'],
    ['tag=', '/tag'],
    ['q=', '/q'],
    ['q=%20%20', '/q'],
    ['level=high', '/level'],
    ['level=', '/level'],
    ['attribution_status=disputed', '/attribution_status'],
    ['sort=dispute', '/sort'],
    ['sort=-id', '/sort'],
    ['limit=0', '/limit'],
    ['format=xml', '/format'],
  ] as Array<[string, string]>) {
    assertQueryRefused(t, await get(app, `/events?${query}`), path, query)
  }
  t.equal((await get(app, '/events?from=2017-04&to=2017-04')).statusCode, 200, 'from and to may be the same month')
})

t.test('formats: NDJSON and CSV carry the dispute block; exports follow filters and sort', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  for (const id of ['b', 'c'])
    await ok(post(app, '/events', { id, title: id.toUpperCase(), occurred_on: '2017', location: { country: 'SY' } }))

  const csv = await get(app, '/events?format=csv&hxl=true&sort=-dispute')
  t.match(csv.headers['content-type'], /^text\/csv/)
  const [header = '', tags = ''] = csv.body.split('\r\n')
  t.match(header, /,dispute_level,dispute_relative_spread,dispute_range_low,dispute_range_high,dispute_status,dispute_claims$/)
  t.match(
    tags,
    /,#status\+disagreement,#meta\+relative_spread,#affected\+killed\+min,#affected\+killed\+max,#status\+attribution,#meta\+claims$/,
  )
  const rows = csvRecords(csv.body, 1)
  t.strictSame(
    rows.map((r) => r.id),
    ['khan-shaykhun', 'c', 'b'],
    'in the order of the sort',
  )
  t.strictSame(
    [
      rows[0]?.dispute_level,
      rows[0]?.dispute_relative_spread,
      rows[0]?.dispute_range_low,
      rows[0]?.dispute_range_high,
      rows[0]?.dispute_status,
      rows[0]?.dispute_claims,
    ],
    ['conflicting', '0.1875', '58', '', 'contested', '9'],
  )
  t.strictSame(
    [
      rows[1]?.dispute_level,
      rows[1]?.dispute_relative_spread,
      rows[1]?.dispute_range_low,
      rows[1]?.dispute_status,
      rows[1]?.dispute_claims,
    ],
    ['', '', '', 'none', '0'],
    'no figures: empty cells',
  )

  const ndjson = await get(app, '/events?sort=-dispute', { accept: 'application/x-ndjson' })
  t.match(ndjson.headers['content-type'], /^application\/x-ndjson/)
  const lines = ndjson.body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Item)
  t.strictSame(lines, await list(app, 'sort=-dispute'), 'NDJSON: the JSON items, one a line')

  const filtered = csvRecords((await get(app, '/events?format=csv&country=SY&level=none&sort=-occurred_on')).body)
  t.strictSame(
    filtered.map((r) => r.id),
    ['c', 'b'],
    'the export filters and sorts like the list',
  )
  const paged = await get(app, '/events?format=csv&limit=1&sort=-claims')
  t.equal(csvRecords(paged.body).length, 1, 'CSV with limit: one page')
  t.match(String(paged.headers.link), /sort=-claims/, 'with a Link to the next')
})
