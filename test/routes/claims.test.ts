import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { type Problem, assertRefused, build, countRows as count, createAll, figureClaim as figure, get, json, post } from '../helper.js'

interface ClaimBody {
  id: string
  kind: string
  status: string
  superseded_by: string | null
  supersedes: string | null
  retraction: { at: string; reason: string } | null
  interval?: { low: number; high: number | null }
  point?: number
  source_id: string
  via: string[]
  actor_ids?: string[]
  party?: string | null
  stated_at: string
  recorded_at: string
}
const seed = (app: FastifyInstance) =>
  createAll(app, [
    ['/actors', { id: 'gov', name: 'Government', kind: 'state', aliases: ['The Regime'] }],
    ['/actors', { id: 'air-force', name: 'Air Force', kind: 'armed_forces', parent_id: 'gov' }],
    ['/sources', { id: 'sohr', name: 'Syrian Observatory for Human Rights', kind: 'monitor', aliases: ['SOHR'] }],
    ['/sources', { id: 'reuters', name: 'Reuters', kind: 'news_agency' }],
    ['/events', { id: 'ev', title: 'An event', occurred_on: '2017-04-04' }],
    ['/events', { id: 'other', title: 'Another event', occurred_on: '2017-04-05' }],
  ])

/** An attribution claim of SOHR's on 2017-04-04, with `extra` fields set or replaced. */
const attribution = (extra: object) => ({ kind: 'attribution', source_id: 'sohr', stated_at: '2017-04-04', ...extra })

t.test('a figure claim is recorded with its read-only fields', async (t) => {
  const app = await build(t)
  await seed(app)
  const res = await post(app, '/events/ev/claims', figure({ via: ['reuters'], quote: 'had killed 58 people', language: 'en' }))
  t.equal(res.statusCode, 201)
  t.match(res.headers['content-type'], /^application\/json/)
  const claim = json<ClaimBody>(res)
  t.equal(res.headers.location, `/claims/${claim.id}`)
  t.match(claim.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/, 'a UUIDv7')
  t.strictSame(claim.interval, { low: 58, high: 58 })
  t.equal(claim.point, 58)
  t.equal(claim.status, 'active')
  t.equal(claim.superseded_by, null)
  t.equal(claim.retraction, null)
  t.equal(claim.stated_at, '2017-04-04T00:00:00.000Z', 'a date means 00:00:00Z that day')
  t.match(claim.recorded_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  t.strictSame(claim.via, ['reuters'])
  const again = await app.inject({ method: 'GET', url: `/claims/${claim.id}` })
  t.equal(again.statusCode, 200)
  t.strictSame(json(again), claim, 'GET /claims/{id} answers the same claim')
})

t.test('intervals and points follow contract §2', async (t) => {
  const app = await build(t)
  await seed(app)
  const cases: Array<[object, { low: number; high: number | null }, number]> = [
    [{ qualifier: 'approximately', value: 100 }, { low: 90, high: 110 }, 100],
    [{ qualifier: 'at_least', value: 70 }, { low: 70, high: null }, 70],
    [{ qualifier: 'more_than', value: 70 }, { low: 71, high: null }, 71],
    [{ qualifier: 'at_most', value: 40 }, { low: 0, high: 40 }, 40],
    [{ qualifier: 'fewer_than', value: 40 }, { low: 0, high: 39 }, 39],
    [{ qualifier: 'range', value: undefined, low: 58, high: 86 }, { low: 58, high: 86 }, 72],
    [{ qualifier: 'range', value: undefined, low: 58, high: 86, best: 60 }, { low: 58, high: 86 }, 60],
    [{ qualifier: 'dozens', value: undefined }, { low: 24, high: 99 }, 24],
    [{ qualifier: 'hundreds', value: undefined }, { low: 200, high: 999 }, 200],
    [{ qualifier: 'thousands', value: undefined }, { low: 2000, high: 9999 }, 2000],
  ]
  for (const [extra, interval, point] of cases) {
    const res = await post(app, '/events/ev/claims', figure(extra))
    t.equal(res.statusCode, 201, JSON.stringify(extra))
    const claim = json<ClaimBody>(res)
    t.strictSame(claim.interval, interval, JSON.stringify(extra))
    t.equal(claim.point, point, JSON.stringify(extra))
  }
})

t.test('POST /claims takes event_id from the body', async (t) => {
  const app = await build(t)
  await seed(app)
  const ok = await post(app, '/claims', figure({ event_id: 'ev' }))
  t.equal(ok.statusCode, 201)
  t.equal(json<{ event_id: string }>(ok).event_id, 'ev')

  assertRefused(t, await post(app, '/claims', figure()), 400, ['/event_id'], 'no event_id')

  const unknown = await post(app, '/claims', figure({ event_id: 'nope' }))
  assertRefused(t, unknown, 422, ['/event_id'], 'an unknown event_id')
  t.match(unknown.headers['content-type'], /^application\/problem\+json/)
})

t.test('the event in the path must exist and agree with the body', async (t) => {
  const app = await build(t)
  await seed(app)
  const missing = await post(app, '/events/nope/claims', figure())
  t.equal(missing.statusCode, 404)
  t.equal(json<Problem>(missing).status, 404)
  assertRefused(t, await post(app, '/events/ev/claims', figure({ event_id: 'other' })), 400, ['/event_id'])
  const same = await post(app, '/events/ev/claims', figure({ event_id: 'ev' }))
  t.equal(same.statusCode, 201)
})

t.test('aliases resolve to ids wherever a source or actor is expected', async (t) => {
  const app = await build(t)
  await seed(app)
  const res = await post(app, '/events/ev/claims', {
    kind: 'attribution',
    source_id: 'sohr',
    via: ['Reuters'.toLowerCase()],
    stated_at: '2017-04-04',
    stance: 'accuses',
    actor_ids: ['the regime', 'air-force'],
  })
  t.equal(res.statusCode, 201)
  const claim = json<ClaimBody>(res)
  t.strictSame(claim.actor_ids, ['gov', 'air-force'])
  const byAlias = await post(app, '/events/ev/claims', figure({ source_id: 'sohr', party: 'THE REGIME', population: 'combatants' }))
  t.equal(byAlias.statusCode, 201)
  t.equal(json<ClaimBody>(byAlias).party, 'gov')
  const sourceAlias = await post(app, '/events/ev/claims', figure({ source_id: 'SOHR' }))
  t.equal(json<ClaimBody>(sourceAlias).source_id, 'sohr')
})

t.test('every unknown reference is named in one 422, and nothing is written', async (t) => {
  const app = await build(t)
  await seed(app)
  const before = { claims: await count(app, 'claims'), changes: await count(app, 'changes') }
  const res = await post(app, '/events/ev/claims', figure({ source_id: 'ghost', via: ['reuters', 'phantom'], party: 'nobody' }))
  assertRefused(t, res, 422, ['/source_id', '/via/1', '/party'])
  assertRefused(t, await post(app, '/events/ev/claims', attribution({ stance: 'denies', actor_ids: ['gov', 'ghost'] })), 422, [
    '/actor_ids/1',
  ])
  t.strictSame({ claims: await count(app, 'claims'), changes: await count(app, 'changes') }, before)
})

t.test('figure numbers must fit the qualifier (400, naming each field)', async (t) => {
  const app = await build(t)
  await seed(app)
  const before = await count(app, 'claims')
  const cases: Array<[object, string[]]> = [
    [{ value: undefined }, ['/value']],
    [{ value: null }, ['/value']],
    [{ qualifier: 'dozens', value: 30 }, ['/value']],
    [{ qualifier: 'range', value: 5 }, ['/value', '/low', '/high']],
    [{ qualifier: 'range', value: undefined, low: 10, high: 5 }, ['/high']],
    [{ qualifier: 'range', value: undefined, low: 10, high: 20, best: 25 }, ['/best']],
    [{ qualifier: 'exact', value: 5, best: 5 }, ['/best']],
    [{ qualifier: 'fewer_than', value: 0 }, ['/value']],
    [{ value: -1 }, ['/value']],
    [{ value: 1.5 }, ['/value']],
    [{ value: '58' }, ['/value']],
    [{ qualifier: 'roughly' }, ['/qualifier']],
    [{ metric: 'dead' }, ['/metric']],
    [{ population: 'elderly' }, ['/population']],
    [{ stated_at: '2017-02-30' }, ['/stated_at']],
    [{ stated_at: '4 April 2017' }, ['/stated_at']],
    [{ language: 'not a tag!' }, ['/language']],
    [{ url: 'ftp://example.org/x' }, ['/url']],
    [{ colour: 'red' }, ['/colour']],
    [{ via: 'reuters' }, ['/via']],
  ]
  for (const [extra, paths] of cases) {
    const res = await post(app, '/events/ev/claims', figure(extra))
    t.equal(res.statusCode, 400, JSON.stringify(extra))
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const problem = json<Problem>(res)
    t.strictSame(
      problem.errors?.map((e) => e.path),
      paths,
      JSON.stringify(extra),
    )
    t.ok(problem.errors?.every((e) => e.in === 'body' && e.message.length > 0))
  }
  t.equal(await count(app, 'claims'), before, 'nothing written')
})

t.test('kind decides the fields', async (t) => {
  const app = await build(t)
  await seed(app)
  assertRefused(t, await post(app, '/events/ev/claims', { source_id: 'sohr', stated_at: '2017-04-04' }), 400, ['/kind'], 'no kind')
  const figureFieldOnAttribution = attribution({ stance: 'accuses', actor_ids: ['gov'], value: 3 })
  assertRefused(t, await post(app, '/events/ev/claims', figureFieldOnAttribution), 400, ['/value'], 'a figure field on an attribution')
  const emptyActors = attribution({ stance: 'accuses', actor_ids: [] })
  assertRefused(t, await post(app, '/events/ev/claims', emptyActors), 400, ['/actor_ids'], 'no actor')
  const defaults = await post(
    app,
    '/events/ev/claims',
    attribution({ stated_at: '2017-04-04T10:30:00+02:00', stance: 'accuses', actor_ids: ['gov'] }),
  )
  t.equal(defaults.statusCode, 201)
  const body = json<ClaimBody & { certainty: string }>(defaults)
  t.equal(body.certainty, 'asserted', 'certainty defaults to asserted')
  t.equal(body.stated_at, '2017-04-04T08:30:00.000Z', 'offsets are converted to UTC')
  const pop = json<{ population: string }>(await post(app, '/events/ev/claims', figure()))
  t.equal(pop.population, 'all', 'population defaults to all')
})

t.test('external_id makes a claim idempotent per source', async (t) => {
  const app = await build(t)
  await seed(app)
  const first = await post(app, '/events/ev/claims', figure({ external_id: 'row-1' }))
  t.equal(first.statusCode, 201)
  const replay = await post(app, '/events/ev/claims', figure({ external_id: 'row-1' }))
  t.equal(replay.statusCode, 200, 'the same content returns the existing claim')
  t.equal(json<ClaimBody>(replay).id, json<ClaimBody>(first).id)
  const viaPath = await post(app, '/claims', figure({ external_id: 'row-1', event_id: 'ev', source_id: 'SOHR', population: 'all' }))
  t.equal(viaPath.statusCode, 200, 'aliases, defaults and the other route are the same content')
  assertRefused(t, await post(app, '/events/ev/claims', figure({ external_id: 'row-1', value: 59 })), 409, ['/external_id'])
  const otherSource = await post(app, '/events/ev/claims', figure({ external_id: 'row-1', source_id: 'reuters' }))
  t.equal(otherSource.statusCode, 201, 'external ids are unique per source only')
  t.equal(await count(app, 'claims'), 2)
})

t.test('supersedes replaces an earlier claim of the same event', async (t) => {
  const app = await build(t)
  await seed(app)
  const old = json<ClaimBody>(await post(app, '/events/ev/claims', figure()))
  const other = json<ClaimBody>(await post(app, '/events/other/claims', figure()))

  assertRefused(t, await post(app, '/events/ev/claims', figure({ supersedes: 'nope' })), 422, ['/supersedes'], 'an unknown claim')
  assertRefused(t, await post(app, '/events/ev/claims', figure({ supersedes: other.id })), 422, ['/supersedes'], 'a claim of another event')

  const correction = json<ClaimBody>(
    await post(app, '/events/ev/claims', figure({ value: 60, stated_at: '2017-04-05', supersedes: old.id })),
  )
  t.equal(correction.supersedes, old.id)
  const oldNow = json<ClaimBody>(await get(app, `/claims/${old.id}`))
  t.equal(oldNow.status, 'superseded')
  t.equal(oldNow.superseded_by, correction.id)

  const twice = await post(app, '/events/ev/claims', figure({ value: 61, supersedes: old.id }))
  t.equal(twice.statusCode, 409, 'a claim already superseded cannot be superseded again')

  await post(app, `/claims/${correction.id}/retraction`, { reason: 'wrong' })
  const restored = json<ClaimBody>(await get(app, `/claims/${old.id}`))
  t.equal(restored.status, 'active', 'retracting the correction brings the original back')
  t.equal(restored.superseded_by, null)
  const again = await post(app, '/events/ev/claims', figure({ value: 62, supersedes: old.id }))
  t.equal(again.statusCode, 201)
})

t.test('a retraction is recorded once and keeps the claim readable', async (t) => {
  const app = await build(t)
  await seed(app)
  const claim = json<ClaimBody>(await post(app, '/events/ev/claims', figure()))
  const res = await post(app, `/claims/${claim.id}/retraction`, { reason: 'Duplicate of another record' })
  t.equal(res.statusCode, 201)
  const retracted = json<ClaimBody>(res)
  t.equal(retracted.status, 'retracted')
  t.equal(retracted.retraction?.reason, 'Duplicate of another record')
  t.match(retracted.retraction?.at, /^\d{4}-\d{2}-\d{2}T/)
  t.equal(retracted.point, 58, 'the claim itself is unchanged')

  const twice = await post(app, `/claims/${claim.id}/retraction`, { reason: 'again' })
  t.equal(twice.statusCode, 409)
  const unknown = await post(app, '/claims/nope/retraction', { reason: 'x' })
  t.equal(unknown.statusCode, 404)
  const noReason = await post(app, `/claims/${claim.id}/retraction`, {})
  t.equal(noReason.statusCode, 400)
  t.strictSame(
    json<Problem>(noReason).errors?.map((e) => e.path),
    ['/reason'],
  )
  const blank = await post(app, `/claims/${claim.id}/retraction`, { reason: '  ' })
  t.equal(blank.statusCode, 400)
})

t.test('claims cannot be edited or deleted', async (t) => {
  const app = await build(t)
  await seed(app)
  const claim = json<ClaimBody>(await post(app, '/events/ev/claims', figure()))
  for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
    const res = await app.inject({ method, url: `/claims/${claim.id}`, payload: { value: 1 } })
    t.equal(res.statusCode, 404, method)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
  }
  const unchanged = json<ClaimBody>(await app.inject({ method: 'GET', url: `/claims/${claim.id}` }))
  t.strictSame(unchanged, claim)
  const missing = await app.inject({ method: 'GET', url: '/claims/nope' })
  t.equal(missing.statusCode, 404)
  t.equal(json<Problem>(missing).title, 'Not found')
})

t.test('GET /events/{id}/claims pages through every claim, retracted included, in stated order', async (t) => {
  const app = await build(t)
  await seed(app)
  const ids: string[] = []
  for (const day of ['2017-04-07', '2017-04-05', '2017-04-06', '2017-04-04', '2017-04-05']) {
    ids.push(json<ClaimBody>(await post(app, '/events/ev/claims', figure({ stated_at: day }))).id)
  }
  await post(app, `/claims/${ids[0]}/retraction`, { reason: 'wrong' })
  const seen: ClaimBody[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/events/ev/claims?limit=2${cursor ? `&cursor=${cursor}` : ''}`
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200)
    const body = json<{ items: ClaimBody[]; next_cursor: string | null }>(res)
    seen.push(...body.items)
    cursor = body.next_cursor
    pages++
  } while (cursor !== null && pages < 10)
  t.equal(pages, 3)
  t.equal(seen.length, 5)
  t.strictSame(
    seen.map((c) => c.stated_at.slice(0, 10)),
    ['2017-04-04', '2017-04-05', '2017-04-05', '2017-04-06', '2017-04-07'],
  )
  t.equal(seen.find((c) => c.id === ids[0])?.status, 'retracted')
  const none = await app.inject({ method: 'GET', url: '/events/nope/claims' })
  t.equal(none.statusCode, 404)
})
