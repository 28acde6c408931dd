/** POST, PATCH and GET of /events; the pages, refused queries and unknown ids all three share are in collections.test.ts. */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import {
  type Page,
  type Problem,
  assertCreated,
  assertDerivedIds,
  assertPatched,
  assertRefused,
  build,
  created,
  getJson,
  json,
  patch,
  paths,
  post,
} from '../helper.js'
import type { EventOut } from '../../src/schemas/events.js'

/** The answer as the response schema types it (the tests check its fields and values). */
type Event = EventOut

const FIELDS = ['created_at', 'description', 'ended_on', 'external_ids', 'id', 'location', 'occurred_on', 'tags', 'title', 'updated_at']

const createEvent = (app: FastifyInstance, body: Record<string, unknown>) => created<Event>(app, '/events', body)
const getEvent = (app: FastifyInstance, id: string) => getJson<Event>(app, `/events/${id}`)

t.test('POST /events', async (t) => {
  t.test('201 with Location and the full output shape; absent fields are null or empty', async (t) => {
    const app = await build(t)
    const input = { title: 'Chemical attack on Khan Shaykhun', occurred_on: '2017-04-04' }
    const body = await assertCreated<Event>(t, app, '/events', input, 'chemical-attack-on-khan-shaykhun', FIELDS)
    t.match(body, {
      id: 'chemical-attack-on-khan-shaykhun',
      title: 'Chemical attack on Khan Shaykhun',
      occurred_on: '2017-04-04',
      ended_on: null,
      location: null,
      description: null,
    })
    t.strictSame(body.tags, [])
    t.strictSame(body.external_ids, {})
  })

  t.test('every field given is stored and returned', async (t) => {
    const app = await build(t)
    const input = {
      id: 'khan-shaykhun-2017',
      title: 'Chemical attack on Khan Shaykhun',
      occurred_on: '2017-04-04',
      ended_on: '2017-04-04',
      location: { place: 'Khan Shaykhun', admin1: 'Idlib', country: 'sy', lat: 35.44, lon: 36.65 },
      description: 'Sarin attack on the town.',
      tags: ['chemical-weapons', 'airstrike'],
      external_ids: { ucdp_ged: '123456', acled: 'SYR1234', airwars: 'R1' },
    }
    const res = await post(app, '/events', input)
    t.equal(res.statusCode, 201)
    t.equal(res.headers.location, '/events/khan-shaykhun-2017')
    const body = json<Event>(res)
    t.match(body, {
      id: input.id,
      title: input.title,
      occurred_on: input.occurred_on,
      ended_on: input.ended_on,
      description: input.description,
    })
    t.strictSame(body.location, { place: 'Khan Shaykhun', admin1: 'Idlib', country: 'SY', lat: 35.44, lon: 36.65 }, 'country upper-cased')
    t.strictSame(body.tags, ['chemical-weapons', 'airstrike'])
    t.strictSame(body.external_ids, { ucdp_ged: '123456', acled: 'SYR1234', airwars: 'R1' })
  })

  t.test('location fields are all optional and validated', async (t) => {
    const app = await build(t)
    const partial = await createEvent(app, { title: 'Somewhere', occurred_on: '2020', location: { place: 'Aleppo' } })
    t.strictSame(partial.location, { place: 'Aleppo' })
    const empty = await createEvent(app, { title: 'Nowhere', occurred_on: '2020', location: {} })
    t.strictSame(empty.location, {})

    const bad = await post(app, '/events', {
      title: 'Bad place',
      occurred_on: '2020',
      location: { country: 'SYR', lat: 91, lon: -181, city: 'X' },
    })
    t.equal(bad.statusCode, 400)
    t.strictSame(paths(json<Problem>(bad)).sort(), ['/location/city', '/location/country', '/location/lat', '/location/lon'])

    const edges = await createEvent(app, { title: 'Edges', occurred_on: '2020', location: { lat: -90, lon: 180 } })
    t.strictSame(edges.location, { lat: -90, lon: 180 })
    assertRefused(t, await post(app, '/events', { title: 'x', occurred_on: '2020', location: { lat: '35.4' } }), 400, ['/location/lat'])
  })

  t.test('occurred_on accepts YYYY-MM-DD, YYYY-MM and YYYY', async (t) => {
    const app = await build(t)
    for (const occurred_on of ['2017-04-04', '2017-04', '2017', '2016-02-29', '2017-12-31']) {
      const res = await post(app, '/events', { title: `Event ${occurred_on}`, occurred_on })
      t.equal(res.statusCode, 201, occurred_on)
      t.equal(json<Event>(res).occurred_on, occurred_on, 'stored as given')
    }
  })

  t.test('occurred_on rejects impossible or other forms (400 naming /occurred_on)', async (t) => {
    const app = await build(t)
    const bad = [
      '2017-02-30',
      '2017-02-29',
      '2017-13',
      '2017-00',
      '2017-04-00',
      'April 2017',
      '17',
      '2017-4-4',
      '2017/04/04',
      '2017-04-04T10:00:00Z',
      '',
    ]
    for (const occurred_on of bad) {
      assertRefused(t, await post(app, '/events', { title: 'Bad date', occurred_on }), 400, ['/occurred_on'], occurred_on)
    }
    assertRefused(t, await post(app, '/events', { title: 'No date' }), 400, ['/occurred_on'], 'missing')
    assertRefused(t, await post(app, '/events', { title: 'Number', occurred_on: 2017 }), 400, ['/occurred_on'], 'a number')
    t.strictSame((await getJson<Page<Event>>(app, '/events')).items, [], 'nothing created')
  })

  t.test('ended_on: same forms, not before occurred_on', async (t) => {
    const app = await build(t)
    const ok: Array<[string, string]> = [
      ['2017-04-04', '2017-04-04'],
      ['2017-04-04', '2017-04-10'],
      ['2017-04', '2017-04'],
      ['2017-04-04', '2017-04'],
      ['2017', '2018-01'],
      ['2017-04-04', '2017'],
    ]
    for (const [occurred_on, ended_on] of ok) {
      const res = await post(app, '/events', { title: `${occurred_on} to ${ended_on}`, occurred_on, ended_on })
      t.equal(res.statusCode, 201, `${occurred_on} → ${ended_on}`)
      t.equal(json<Event>(res).ended_on, ended_on)
    }
    const before: Array<[string, string]> = [
      ['2017-04-04', '2017-04-03'],
      ['2017-04-04', '2017-03'],
      ['2017-04-04', '2016'],
      ['2017', '2016-12-31'],
    ]
    for (const [occurred_on, ended_on] of before) {
      assertRefused(
        t,
        await post(app, '/events', { title: 'Backwards', occurred_on, ended_on }),
        400,
        ['/ended_on'],
        `${occurred_on} → ${ended_on}`,
      )
    }
    assertRefused(
      t,
      await post(app, '/events', { title: 'Bad end', occurred_on: '2017', ended_on: '2017-02-30' }),
      400,
      ['/ended_on'],
      'no such day',
    )
  })

  t.test('tags and external_ids are validated', async (t) => {
    const app = await build(t)
    const badTags = await post(app, '/events', { title: 'x', occurred_on: '2017', tags: ['ok', '', 3] })
    t.equal(badTags.statusCode, 400)
    t.strictSame(paths(json<Problem>(badTags)).sort(), ['/tags/1', '/tags/2'])
    assertRefused(t, await post(app, '/events', { title: 'x', occurred_on: '2017', tags: 'airstrike' }), 400, ['/tags'])
    const badIds = await post(app, '/events', { title: 'x', occurred_on: '2017', external_ids: { acled: 42 } })
    t.equal(badIds.statusCode, 400)
    t.ok(paths(json<Problem>(badIds)).includes('/external_ids/acled'))
    const badKey = await post(app, '/events', { title: 'x', occurred_on: '2017', external_ids: { 'Not A Key': '1' } })
    t.equal(badKey.statusCode, 400)
    t.ok(paths(json<Problem>(badKey)).every((p) => p.startsWith('/external_ids')))
  })

  t.test('ids: derived from the title with -2 on collision; fallback "event"; taken id 409; bad slug 400', async (t) => {
    const app = await build(t)
    await assertDerivedIds(t, app, '/events', (title) => ({ title, occurred_on: '2016' }), [
      ['Attaque à Ḥalab — 2016', 'attaque-a-halab-2016'],
      ['Attaque à Halab 2016', 'attaque-a-halab-2016-2'],
      ['Attaque a Halab (2016)', 'attaque-a-halab-2016-3'],
      ['مجزرة', 'event'],
    ])
    const taken = await post(app, '/events', { id: 'event', title: 'Another', occurred_on: '2016' })
    t.equal(taken.statusCode, 409)
    t.equal(json<Problem>(taken).errors?.[0]?.path, '/id')
    assertRefused(t, await post(app, '/events', { id: 'Khan Shaykhun', title: 'Another', occurred_on: '2016' }), 400, ['/id'])
  })
})

t.test('PATCH /events/{id}', async (t) => {
  t.test('changes only the fields given; null clears; lists and objects are replaced; updated_at changes', async (t) => {
    const app = await build(t)
    const created = await createEvent(app, {
      id: 'ks',
      title: 'Khan Shaykhun',
      occurred_on: '2017-04-04',
      ended_on: '2017-04-05',
      location: { place: 'Khan Shaykhun', country: 'SY' },
      description: 'Sarin.',
      tags: ['a', 'b'],
      external_ids: { acled: '1', ucdp_ged: '2' },
    })
    await assertPatched(t, app, '/events/ks', created, { description: null, tags: ['c'] })

    const res2 = await patch(app, '/events/ks', { ended_on: null, location: null, external_ids: { airwars: 'X' } })
    t.equal(res2.statusCode, 200)
    t.match(json<Event>(res2), { ended_on: null, location: null, title: 'Khan Shaykhun', occurred_on: '2017-04-04' })
    t.strictSame(json<Event>(res2).external_ids, { airwars: 'X' })
    t.strictSame(json<Event>(res2).tags, ['c'])

    const res3 = await patch(app, '/events/ks', {
      title: 'Khan Shaykhun chemical attack',
      occurred_on: '2017-04',
      location: { admin1: 'Idlib' },
    })
    t.match(json<Event>(res3), { id: 'ks', title: 'Khan Shaykhun chemical attack', occurred_on: '2017-04' })
    t.strictSame(json<Event>(res3).location, { admin1: 'Idlib' })
    t.strictSame(await getEvent(app, 'ks'), json<Event>(res3))
  })

  t.test('validation: id is unknown, dates are checked, title and occurred_on cannot be cleared', async (t) => {
    const app = await build(t)
    await createEvent(app, { id: 'ks', title: 'KS', occurred_on: '2017-04-04' })
    assertRefused(t, await patch(app, '/events/ks', { id: 'other' }), 400, ['/id'])
    assertRefused(t, await patch(app, '/events/ks', { occurred_on: 'April 2017' }), 400, ['/occurred_on'])
    const cleared = await patch(app, '/events/ks', { title: null, occurred_on: null })
    t.equal(cleared.statusCode, 400)
    t.strictSame(paths(json<Problem>(cleared)).sort(), ['/occurred_on', '/title'])
    assertRefused(t, await patch(app, '/events/ks', { occurred_on: '2017-04-04', ended_on: '2017-04-01' }), 400, ['/ended_on'])
    const got = await getEvent(app, 'ks')
    t.match(got, { title: 'KS', occurred_on: '2017-04-04', ended_on: null })
    t.equal(got.updated_at, got.created_at, 'failed PATCHes touched nothing')
  })

  t.test('ended_on is checked against the stored occurred_on, and occurred_on against the stored ended_on', async (t) => {
    const app = await build(t)
    await createEvent(app, { id: 'ks', title: 'KS', occurred_on: '2017-04-04' })
    assertRefused(
      t,
      await patch(app, '/events/ks', { ended_on: '2017-04-01' }),
      400,
      ['/ended_on'],
      'ended_on alone before the stored occurred_on',
    )
    t.equal((await getEvent(app, 'ks')).ended_on, null, 'the bad ended_on was not stored')

    await createEvent(app, { id: 'span', title: 'Span', occurred_on: '2017-04-04', ended_on: '2017-04-10' })
    const startOnly = await patch(app, '/events/span', { occurred_on: '2017-05-01' })
    t.equal(startOnly.statusCode, 400, 'occurred_on alone after the stored ended_on')
    t.equal((await getEvent(app, 'span')).occurred_on, '2017-04-04', 'the bad occurred_on was not stored')
  })
})
