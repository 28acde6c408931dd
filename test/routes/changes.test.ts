import type { FastifyInstance } from 'fastify'
import t from 'tap'
import {
  type Change,
  ISO_UTC as ISO,
  assertQueryRefused,
  build,
  figureClaim as figure,
  get,
  json,
  patch,
  post,
  succeeded as ok,
} from '../helper.js'

interface ChangesPage {
  items: Change[]
  next_cursor: string | null
  has_more: boolean
}
async function feed(app: FastifyInstance, query = ''): Promise<ChangesPage> {
  const res = await get(app, `/changes${query ? `?${query}` : ''}`)
  if (res.statusCode !== 200) throw new Error(`GET /changes?${query}: ${res.statusCode} ${res.body}`)
  return json<ChangesPage>(res)
}

/** Every change, read in one page. */
async function all(app: FastifyInstance, query = ''): Promise<Change[]> {
  const page = await feed(app, `limit=1000${query ? `&${query}` : ''}`)
  if (page.has_more) throw new Error('more than 1000 changes')
  return page.items
}

/** A little of everything, through the API: returns the (type, id, event_id) each write should have logged, in order. */
async function writeEverything(app: FastifyInstance): Promise<Array<[string, string, string | null]>> {
  const expected: Array<[string, string, string | null]> = []
  await ok(post(app, '/actors', { id: 'gov', name: 'Government', kind: 'state' }))
  expected.push(['actor.created', 'gov', null])
  await ok(post(app, '/sources', { id: 'sohr', name: 'Syrian Observatory for Human Rights', kind: 'monitor' }))
  expected.push(['source.created', 'sohr', null])
  await ok(post(app, '/events', { id: 'ev', title: 'An event', occurred_on: '2017-04-04' }))
  expected.push(['event.created', 'ev', 'ev'])
  await ok(post(app, '/events', { id: 'other', title: 'Another event', occurred_on: '2017-04-05' }))
  expected.push(['event.created', 'other', 'other'])
  await ok(patch(app, '/actors/gov', { notes: 'the state' }), 200)
  expected.push(['actor.updated', 'gov', null])
  await ok(patch(app, '/sources/sohr', { country: 'GB' }), 200)
  expected.push(['source.updated', 'sohr', null])
  await ok(patch(app, '/events/ev', { description: 'what happened' }), 200)
  expected.push(['event.updated', 'ev', 'ev'])
  const claim = json<{ id: string }>(await ok(post(app, '/events/ev/claims', figure())))
  expected.push(['claim.created', claim.id, 'ev'])
  const bulk = json<{ ids: string[] }>(
    await ok(
      post(app, '/claims/bulk', [
        { event_id: 'other', ...figure({ value: 10 }) },
        { event_id: 'ev', ...figure({ value: 70, qualifier: 'at_least' }) },
        { event_id: 'other', ...figure({ value: 12 }) },
      ]),
    ),
  )
  if (bulk.ids.length !== 3) throw new Error(`the batch answered ${bulk.ids.length} ids`)
  expected.push(
    ['claim.created', bulk.ids[0] ?? '', 'other'],
    ['claim.created', bulk.ids[1] ?? '', 'ev'],
    ['claim.created', bulk.ids[2] ?? '', 'other'],
  )
  await ok(post(app, `/claims/${claim.id}/retraction`, { reason: 'wrong' }))
  expected.push(['claim.retracted', claim.id, 'ev'])
  return expected
}

t.test('the feed lists every write in order, with its type, id and event', async (t) => {
  const app = await build(t)
  const empty = await feed(app)
  t.strictSame(empty, { items: [], next_cursor: null, has_more: false }, 'an empty feed read from its start')

  const expected = await writeEverything(app)
  // Writes that fail log nothing: a taken id, an atomic batch with a bad row, a dry run.
  await ok(post(app, '/sources', { id: 'sohr', name: 'again', kind: 'monitor' }), 409)
  await ok(
    post(app, '/claims/bulk', [
      { event_id: 'ev', ...figure() },
      { event_id: 'ev', ...figure({ value: -1 }) },
    ]),
    400,
  )
  await ok(post(app, '/claims/bulk?dry_run=true', [{ event_id: 'ev', ...figure() }]), 200)

  const items = await all(app)
  t.strictSame(
    items.map((c) => [c.type, c.id, c.event_id]),
    expected,
    'one change per write, in the order of the writes',
  )
  t.strictSame(
    items.map((c) => c.seq),
    expected.map((_, i) => i + 1),
    'seq counts the writes from 1',
  )
  for (const c of items) t.match(c.at, ISO, `${c.type} ${c.id} has an ISO 8601 UTC time`)
  const times = items.map((c) => c.at)
  t.strictSame(times, [...times].sort(), 'times do not go back')
  t.strictSame(Object.keys(items[0] ?? {}), ['seq', 'at', 'type', 'id', 'event_id'], 'exactly the contract fields')

  const claim = items.find((c) => c.type === 'claim.created')
  const shown = json<{ recorded_at: string }>(await get(app, `/claims/${claim?.id ?? ''}`))
  t.equal(claim?.at, shown.recorded_at, 'a claim.created change is at the claim’s recorded_at')
})

t.test('paging with after and limit has no gap and no duplicate, and the Link header names the next page', async (t) => {
  const app = await build(t)
  const expected = await writeEverything(app)
  const everything = await all(app)
  t.equal(everything.length, expected.length)

  for (const limit of [1, 2, 3, 5, expected.length - 1, expected.length, expected.length + 1]) {
    const seen: number[] = []
    let url: string | null = `/changes?limit=${limit}`
    let pages = 0
    let last: ChangesPage | undefined
    while (url !== null) {
      const res = await get(app, url)
      t.equal(res.statusCode, 200)
      const page: ChangesPage = json<ChangesPage>(res)
      t.ok(page.items.length <= limit, `limit ${limit}: at most ${limit} items`)
      seen.push(...page.items.map((c) => c.seq))
      const link = res.headers.link === undefined ? null : String(res.headers.link)
      t.equal(link !== null, page.has_more, `limit ${limit}: a Link header exactly when more follow`)
      if (link !== null) {
        const m = /^<([^>]+)>; rel="next"$/.exec(link)
        t.ok(m, `limit ${limit}: the Link header is <…>; rel="next"`)
        const next = new URL(m?.[1] ?? '', 'http://h')
        t.equal(next.pathname, '/changes')
        t.equal(next.searchParams.get('after'), page.next_cursor, 'the link carries next_cursor as after')
        t.equal(next.searchParams.get('limit'), String(limit), 'and keeps the other parameters')
        url = `${next.pathname}${next.search}`
      } else {
        url = null
      }
      last = page
      if (++pages > 100) throw new Error('no end')
    }
    t.strictSame(
      seen,
      everything.map((c) => c.seq),
      `limit ${limit}: every change once, in order`,
    )
    t.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), `limit ${limit}: no empty page at the end`)

    // The last page still carries a position: polling from it answers only what is newer.
    t.not(last?.next_cursor, null, `limit ${limit}: the last page has a next_cursor`)
    const again = await feed(app, `after=${last?.next_cursor ?? ''}&limit=${limit}`)
    t.strictSame(
      again,
      { items: [], next_cursor: last?.next_cursor ?? null, has_more: false },
      `limit ${limit}: nothing newer yet; the position stays`,
    )
  }
})

t.test('a follower that pages while writes go on sees every change once', async (t) => {
  const app = await build(t)
  await ok(post(app, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' }))
  await ok(post(app, '/events', { id: 'ev', title: 'An event', occurred_on: '2017-04-04' }))
  const seen: Change[] = []
  let after: string | null = null
  for (let round = 0; round < 12; round++) {
    // Two writes between reads, one page of two at a time: the follower falls behind, then catches up.
    if (round < 8) {
      await ok(post(app, '/events/ev/claims', figure({ value: round + 1 })))
      await ok(patch(app, '/sources/sohr', { notes: `round ${round}` }), 200)
    }
    const page = await feed(app, `limit=2${after === null ? '' : `&after=${after}`}`)
    seen.push(...page.items)
    t.not(page.next_cursor, null)
    after = page.next_cursor
  }
  const everything = await all(app)
  t.equal(everything.length, 2 + 16)
  t.strictSame(seen, everything, 'the follower saw every change, once, in order')
})

t.test('after takes a next_cursor or a bare seq; a bad one is a 400 naming /after', async (t) => {
  const app = await build(t)
  await writeEverything(app)
  const first = await feed(app, 'limit=4')
  const byCursor = await feed(app, `after=${first.next_cursor ?? ''}&limit=3`)
  const bySeq = await feed(app, 'after=4&limit=3')
  t.strictSame(bySeq, byCursor, 'after=4 is the position after seq 4')
  t.strictSame(
    byCursor.items.map((c) => c.seq),
    [5, 6, 7],
  )
  t.strictSame(
    (await feed(app, 'after=0&limit=2')).items.map((c) => c.seq),
    [1, 2],
    'after=0 is the start',
  )
  const beyond = await feed(app, 'after=999')
  t.strictSame(beyond.items, [])
  t.type(beyond.next_cursor, 'string', 'an empty page after a position still has one')
  t.strictSame((await feed(app, `after=${beyond.next_cursor ?? ''}`)).items, [], 'an empty page echoes its position')

  const claimsCursor = json<{ next_cursor: string }>(await get(app, '/claims?limit=1')).next_cursor
  t.ok(claimsCursor, 'GET /claims gave a cursor')
  for (const bad of ['nope', '-1', '1.5', '1e3', 'WyJ4Il0', claimsCursor, '9'.repeat(20)]) {
    assertQueryRefused(t, await get(app, `/changes?after=${encodeURIComponent(bad)}`), '/after', `after=${bad}`)
  }
})

t.test('other bad queries are 400s naming the field', async (t) => {
  const app = await build(t)
  const cases: Array<[string, string]> = [
    ['limit=0', '/limit'],
    ['limit=1001', '/limit'],
    ['type=claim.deleted', '/type'],
    ['type=claim.created,', '/type'],
    ['cursor=abc', '/cursor'],
  ]
  for (const [query, path] of cases) assertQueryRefused(t, await get(app, `/changes?${query}`), path, query)
})

t.test('event_id and type narrow the feed, and page like it', async (t) => {
  const app = await build(t)
  await writeEverything(app)
  const everything = await all(app)

  const ofEv = await all(app, 'event_id=ev')
  t.strictSame(
    ofEv,
    everything.filter((c) => c.event_id === 'ev'),
    'event_id: the event and its claims',
  )
  t.strictSame(
    ofEv.map((c) => c.type),
    ['event.created', 'event.updated', 'claim.created', 'claim.created', 'claim.retracted'],
  )

  const claims = await all(app, 'type=claim.created,claim.retracted')
  t.strictSame(
    claims,
    everything.filter((c) => c.type.startsWith('claim.')),
    'type: a list of types',
  )
  t.strictSame(
    await all(app, 'type=source.updated'),
    everything.filter((c) => c.type === 'source.updated'),
    'type: one type',
  )
  t.strictSame(
    await all(app, 'event_id=other&type=claim.created'),
    everything.filter((c) => c.event_id === 'other' && c.type === 'claim.created'),
    'both filters',
  )
  t.strictSame(await all(app, 'event_id=nowhere'), [], 'an event without changes')

  // Paging a filtered feed one item at a time finds the same items.
  const paged: Change[] = []
  let after = '0'
  for (;;) {
    const page = await feed(app, `type=claim.created&limit=1&after=${after}`)
    paged.push(...page.items)
    after = page.next_cursor ?? ''
    if (!page.has_more) break
  }
  t.strictSame(
    paged,
    everything.filter((c) => c.type === 'claim.created'),
  )
})

t.test('a follower that polls with If-None-Match gets a 304 until something is written', async (t) => {
  const app = await build(t)
  await ok(post(app, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' }))
  const first = await get(app, '/changes?after=1')
  const etag = first.headers.etag
  t.type(etag, 'string', 'GET /changes carries an ETag')
  const same = await get(app, '/changes?after=1', { 'if-none-match': String(etag) })
  t.equal(same.statusCode, 304, 'nothing new: 304')
  t.equal(same.body, '')
  await ok(patch(app, '/sources/sohr', { notes: 'edited' }), 200)
  const changed = await get(app, '/changes?after=1', { 'if-none-match': String(etag) })
  t.equal(changed.statusCode, 200, 'a write: the page again')
  t.strictSame(
    json<ChangesPage>(changed).items.map((c) => c.type),
    ['source.updated'],
  )
  t.not(changed.headers.etag, etag)
})

t.test('the feed is documented in OpenAPI', async (t) => {
  const app = await build(t)
  const doc = json<{
    paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, { content?: Record<string, unknown> }> }>>
  }>(await get(app, '/openapi.json'))
  const list = doc.paths['/changes']?.get
  const stream = doc.paths['/changes/stream']?.get
  t.strictSame(list?.tags, ['changes'])
  t.strictSame(stream?.tags, ['changes'])
  t.ok(list?.responses['200']?.content?.['application/json'], 'GET /changes answers JSON')
  t.strictSame(Object.keys(stream?.responses['200']?.content ?? {}), ['text/event-stream'], 'GET /changes/stream answers text/event-stream')
  t.ok(list?.responses['400']?.content?.['application/problem+json'])
  t.ok(stream?.responses['400']?.content?.['application/problem+json'])
})
