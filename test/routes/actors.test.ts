/** POST, PATCH and GET of /actors; the pages, refused queries and unknown ids all three share are in collections.test.ts. */
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
  get,
  getJson,
  json,
  patch,
  paths,
  post,
} from '../helper.js'
import type { ActorOut } from '../../src/schemas/actors.js'

/** The answer as the response schema types it (the tests check its fields and values). */
type Actor = ActorOut

const FIELDS = ['aliases', 'created_at', 'id', 'kind', 'name', 'notes', 'parent_id', 'updated_at']

const createActor = (app: FastifyInstance, body: Record<string, unknown>) => created<Actor>(app, '/actors', body)
const getActor = (app: FastifyInstance, id: string) => getJson<Actor>(app, `/actors/${id}`)

t.test('POST /actors', async (t) => {
  t.test('201 with Location and the full output shape', async (t) => {
    const app = await build(t)
    const body = await assertCreated<Actor>(t, app, '/actors', { name: 'Syrian government', kind: 'state' }, 'syrian-government', FIELDS)
    t.match(body, { id: 'syrian-government', name: 'Syrian government', kind: 'state', parent_id: null, notes: null })
    t.strictSame(body.aliases, [])
  })

  t.test('every field given is stored; parent by id or alias', async (t) => {
    const app = await build(t)
    await createActor(app, { name: 'Syrian government', aliases: ['Assad government'], kind: 'state' })
    const byAlias = await post(app, '/actors', {
      id: 'syrian-air-force',
      name: 'Syrian Arab Air Force',
      aliases: ['SyAAF'],
      kind: 'armed_forces',
      parent_id: 'ASSAD GOVERNMENT',
      notes: 'Fixed-wing and rotary.',
    })
    t.equal(byAlias.statusCode, 201)
    t.match(json<Actor>(byAlias), {
      id: 'syrian-air-force',
      parent_id: 'syrian-government',
      notes: 'Fixed-wing and rotary.',
      kind: 'armed_forces',
    })
    t.strictSame(json<Actor>(byAlias).aliases, ['SyAAF'])
    const byId = await createActor(app, { name: 'Syrian Arab Army', kind: 'armed_forces', parent_id: 'syrian-government' })
    t.equal(byId.parent_id, 'syrian-government')
  })

  t.test('ids derived from names, accents folded, -2 on collision, fallback for non-Latin names', async (t) => {
    const app = await build(t)
    await assertDerivedIds(t, app, '/actors', (name) => ({ name, kind: 'armed_group' }), [
      ["Forces armées de l'État", 'forces-armees-de-l-etat'],
      ['Forces Armées de l’État', 'forces-armees-de-l-etat-2'],
      ['  ¡Hezbollah!  ', 'hezbollah'],
      ['حزب الله', 'actor'],
      ['Хезболла', 'actor-2'],
    ])
  })

  t.test('a caller-supplied id that is taken is a 409; an invalid one a 400', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'isis', name: 'Islamic State', kind: 'armed_group' })
    const taken = await post(app, '/actors', { id: 'isis', name: 'Someone', kind: 'armed_group' })
    t.equal(taken.statusCode, 409)
    t.match(taken.headers['content-type'], /^application\/problem\+json/)
    t.equal(json<Problem>(taken).errors?.[0]?.path, '/id')
    assertRefused(t, await post(app, '/actors', { id: 'ISIS', name: 'Someone', kind: 'armed_group' }), 400, ['/id'])
  })

  t.test('kind is required and an enum', async (t) => {
    const app = await build(t)
    for (const kind of ['state', 'armed_forces', 'armed_group', 'international', 'other', 'unknown']) {
      t.equal((await post(app, '/actors', { name: `Actor ${kind}`, kind })).statusCode, 201, kind)
    }
    assertRefused(t, await post(app, '/actors', { name: 'X', kind: 'militia' }), 400, ['/kind'], 'not one of the kinds')
    assertRefused(t, await post(app, '/actors', { name: 'X' }), 400, ['/kind'], 'missing')
  })

  t.test('an unknown parent_id is a 422 naming /parent_id; nothing is created', async (t) => {
    const app = await build(t)
    const res = await post(app, '/actors', { name: 'Syrian Arab Air Force', kind: 'armed_forces', parent_id: 'nobody' })
    t.equal(res.statusCode, 422)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const problem = json<Problem>(res)
    t.equal(problem.status, 422)
    t.strictSame(paths(problem), ['/parent_id'])
    t.equal((await get(app, '/actors/syrian-arab-air-force')).statusCode, 404)
  })

  t.test('an actor cannot be created as its own parent', async (t) => {
    const app = await build(t)
    assertRefused(t, await post(app, '/actors', { id: 'loop', name: 'Loop', kind: 'other', parent_id: 'loop' }), 422, ['/parent_id'])
  })

  t.test('aliases: unique across actors case-insensitively (409), no repeats in one list (400)', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'isis', name: 'Islamic State', aliases: ['ISIS', 'Daesh'], kind: 'armed_group' })
    assertRefused(t, await post(app, '/actors', { name: 'Other', aliases: ['IS', 'daesh'], kind: 'armed_group' }), 409, ['/aliases/1'])
    const repeated = await post(app, '/actors', { name: 'Other', aliases: ['ISIL', 'isil'], kind: 'armed_group' })
    t.equal(repeated.statusCode, 400)
    t.ok(paths(json<Problem>(repeated)).some((p) => p.startsWith('/aliases')))
    const list = await getJson<Page<Actor>>(app, '/actors')
    t.strictSame(
      list.items.map((a) => a.id),
      ['isis'],
      'neither failure created anything',
    )
  })
})

t.test('PATCH /actors/{id}', async (t) => {
  t.test('changes only the fields given; null clears; updated_at changes', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'gov', name: 'Government', kind: 'state' })
    const created = await createActor(app, {
      id: 'af',
      name: 'Air force',
      aliases: ['AF'],
      kind: 'armed_forces',
      parent_id: 'gov',
      notes: 'note',
    })
    await assertPatched(t, app, '/actors/af', created, { notes: null })

    const orphan = await patch(app, '/actors/af', { parent_id: null })
    t.equal(json<Actor>(orphan).parent_id, null)
    t.equal(json<Actor>(orphan).name, 'Air force')

    const renamed = await patch(app, '/actors/af', { name: 'Arab Air Force', aliases: ['SyAAF'], kind: 'other', parent_id: 'gov' })
    t.match(json<Actor>(renamed), { id: 'af', name: 'Arab Air Force', kind: 'other', parent_id: 'gov' })
    t.strictSame(json<Actor>(renamed).aliases, ['SyAAF'], 'aliases are replaced')
    t.strictSame(await getActor(app, 'af'), json<Actor>(renamed))
  })

  t.test('a parent that would make a cycle is a 422 naming /parent_id', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'a', name: 'A', kind: 'other' })
    await createActor(app, { id: 'b', name: 'B', kind: 'other', parent_id: 'a' })
    await createActor(app, { id: 'c', name: 'C', kind: 'other', parent_id: 'b' })

    assertRefused(t, await patch(app, '/actors/a', { parent_id: 'a' }), 422, ['/parent_id'], 'self-parent')
    assertRefused(t, await patch(app, '/actors/a', { parent_id: 'b' }), 422, ['/parent_id'], 'a→b→a')

    const deep = await patch(app, '/actors/a', { parent_id: 'c' })
    assertRefused(t, deep, 422, ['/parent_id'], 'a→b→c→a')
    t.match(deep.headers['content-type'], /^application\/problem\+json/)

    t.equal((await getActor(app, 'a')).parent_id, null, 'the failed PATCHes changed nothing')

    const fine = await patch(app, '/actors/c', { parent_id: 'a' })
    t.equal(fine.statusCode, 200, 'moving a descendant up is no cycle')
    t.equal(json<Actor>(fine).parent_id, 'a')
  })

  t.test('a cycle through an alias is caught too', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'a', name: 'A', aliases: ['Alpha'], kind: 'other' })
    await createActor(app, { id: 'b', name: 'B', aliases: ['Beta'], kind: 'other', parent_id: 'alpha' })
    assertRefused(t, await patch(app, '/actors/a', { parent_id: 'BETA' }), 422, ['/parent_id'])
  })

  t.test('an unknown parent_id is a 422', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'a', name: 'A', kind: 'other' })
    assertRefused(t, await patch(app, '/actors/a', { parent_id: 'ghost' }), 422, ['/parent_id'])
  })

  t.test('id in the body is a 400 (an unknown id: collections.test.ts)', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'a', name: 'A', kind: 'other' })
    assertRefused(t, await patch(app, '/actors/a', { id: 'z' }), 400, ['/id'])
  })

  t.test('an alias taken by another actor is a 409', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'a', name: 'A', aliases: ['Alpha'], kind: 'other' })
    await createActor(app, { id: 'b', name: 'B', kind: 'other' })
    assertRefused(t, await patch(app, '/actors/b', { aliases: ['Bravo', 'ALPHA'] }), 409, ['/aliases/1'])
    t.strictSame((await getActor(app, 'b')).aliases, [])
  })
})
