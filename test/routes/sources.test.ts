/** POST, PATCH and GET of /sources; the pages, refused queries and unknown ids all three share are in collections.test.ts. */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import {
  type Asserts,
  type Page,
  type Problem,
  allPages,
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
import type { SourceOut } from '../../src/schemas/sources.js'

/** The answer as the response schema types it (the tests check its fields and values). */
type Source = SourceOut

const FIELDS = ['affiliated_actor_id', 'aliases', 'country', 'created_at', 'id', 'kind', 'name', 'notes', 'updated_at', 'url']

const createSource = (app: FastifyInstance, body: Record<string, unknown>) => created<Source>(app, '/sources', body)
const createActor = async (app: FastifyInstance, body: Record<string, unknown>) => (await created<{ id: string }>(app, '/actors', body)).id
const getSource = (app: FastifyInstance, id: string) => getJson<Source>(app, `/sources/${id}`)

/** The ids GET /sources?q= lists (the request must answer 200). */
async function matching(t: Asserts, app: FastifyInstance, q: string): Promise<string[]> {
  const res = await get(app, `/sources?q=${encodeURIComponent(q)}`)
  t.equal(res.statusCode, 200, q)
  return json<Page<Source>>(res).items.map((s) => s.id)
}

t.test('POST /sources', async (t) => {
  t.test('201 with Location and the full output shape; absent optional fields are null', async (t) => {
    const app = await build(t)
    const before = Date.now()
    const input = { name: 'Syrian Observatory for Human Rights', kind: 'monitor' }
    const body = await assertCreated<Source>(t, app, '/sources', input, 'syrian-observatory-for-human-rights', FIELDS)
    t.equal(body.name, 'Syrian Observatory for Human Rights')
    t.strictSame(body.aliases, [])
    t.equal(body.kind, 'monitor')
    t.equal(body.country, null)
    t.equal(body.url, null)
    t.equal(body.affiliated_actor_id, null)
    t.equal(body.notes, null)
    t.equal(body.created_at, body.updated_at)
    t.ok(Date.parse(body.created_at) >= before - 1000 && Date.parse(body.created_at) <= Date.now() + 1000, 'created_at is now')
  })

  t.test('every field given is stored and returned', async (t) => {
    const app = await build(t)
    const actor = await createActor(app, { name: 'Russian armed forces', kind: 'armed_forces' })
    const res = await post(app, '/sources', {
      id: 'russian-mod',
      name: 'Russian Defence Ministry',
      aliases: ['MoD', 'Минобороны'],
      kind: 'military',
      country: 'RU',
      url: 'https://eng.mil.ru/',
      affiliated_actor_id: actor,
      notes: 'Official briefings.',
    })
    t.equal(res.statusCode, 201)
    t.equal(res.headers.location, '/sources/russian-mod')
    const body = json<Source>(res)
    t.match(body, {
      id: 'russian-mod',
      name: 'Russian Defence Ministry',
      kind: 'military',
      country: 'RU',
      url: 'https://eng.mil.ru/',
      affiliated_actor_id: 'russian-armed-forces',
      notes: 'Official briefings.',
    })
    t.strictSame(body.aliases, ['MoD', 'Минобороны'])
  })

  t.test('the id is derived from the name: lower-case, accents folded, other runs become "-", trimmed', async (t) => {
    const app = await build(t)
    const cases: Array<[string, string]> = [
      ["Organisation des Nations Unies pour l'Éducation", 'organisation-des-nations-unies-pour-l-education'],
      ['  Médecins Sans Frontières  ', 'medecins-sans-frontieres'],
      ['--Reuters!!!', 'reuters'],
      ['Agence France-Presse (AFP)', 'agence-france-presse-afp'],
      ['Zürich  &  Ångström', 'zurich-angstrom'],
      ['BBC News 24', 'bbc-news-24'],
    ]
    await assertDerivedIds(t, app, '/sources', (name) => ({ name, kind: 'media' }), cases)
  })

  t.test('a derived id that is taken gets -2, -3, …', async (t) => {
    const app = await build(t)
    const first = await createSource(app, { name: 'Reuters', kind: 'news_agency' })
    const second = await createSource(app, { name: 'REUTERS', kind: 'news_agency' })
    const third = await createSource(app, { name: 'Reuters.', kind: 'news_agency' })
    t.strictSame([first.id, second.id, third.id], ['reuters', 'reuters-2', 'reuters-3'])
  })

  t.test('a name with no Latin letters or digits gets a fallback id', async (t) => {
    const app = await build(t)
    const a = await createSource(app, { name: 'Синхуа', kind: 'news_agency' })
    const b = await createSource(app, { name: '新华社', kind: 'news_agency' })
    t.equal(a.id, 'source')
    t.equal(b.id, 'source-2')
    t.equal(a.name, 'Синхуа', 'the name is kept as given')
  })

  t.test('a long name gives an id of at most 64 characters', async (t) => {
    const app = await build(t)
    const name = 'A very long name for a news organisation that goes on and on well beyond any limit'
    const a = await createSource(app, { name, kind: 'media' })
    const b = await createSource(app, { name, kind: 'media' })
    t.ok(a.id.length <= 64 && b.id.length <= 64)
    t.match(a.id, /^[a-z0-9][a-z0-9-]{0,63}$/)
    t.match(b.id, /-2$/)
    t.not(a.id, b.id)
  })

  t.test('a caller-supplied id that is taken is a 409 naming /id', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'sohr', name: 'Syrian Observatory for Human Rights', kind: 'monitor' })
    const res = await post(app, '/sources', { id: 'sohr', name: 'Someone else', kind: 'monitor' })
    t.equal(res.statusCode, 409)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const problem = json<Problem>(res)
    t.equal(problem.status, 409)
    t.equal(problem.errors?.[0]?.path, '/id')
    t.equal((await getSource(app, 'sohr')).name, 'Syrian Observatory for Human Rights', 'the first record is untouched')
  })

  t.test('a derived id never collides with a caller-supplied one', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'who', name: 'World Health Organization', kind: 'igo' })
    const derived = await createSource(app, { name: 'WHO', kind: 'igo' })
    t.equal(derived.id, 'who-2')
  })

  t.test('an invalid slug is a 400 naming /id', async (t) => {
    const app = await build(t)
    for (const id of ['Sohr', '-sohr', 'so hr', 'sohr_1', 'é', '', 'a'.repeat(65)]) {
      const res = await post(app, '/sources', { id, name: 'SOHR', kind: 'monitor' })
      t.equal(res.statusCode, 400, JSON.stringify(id))
      t.ok(paths(json<Problem>(res)).includes('/id'), `${JSON.stringify(id)} names /id`)
    }
    const ok = await post(app, '/sources', { id: 'a'.repeat(64), name: 'SOHR', kind: 'monitor' })
    t.equal(ok.statusCode, 201, 'a 64-character slug is fine')
  })

  t.test('name and kind are required; kind is an enum', async (t) => {
    const app = await build(t)
    const missing = await post(app, '/sources', {})
    t.equal(missing.statusCode, 400)
    t.strictSame(paths(json<Problem>(missing)).sort(), ['/kind', '/name'])

    assertRefused(t, await post(app, '/sources', { name: '   ', kind: 'monitor' }), 400, ['/name'], 'a blank name')
    assertRefused(t, await post(app, '/sources', { name: 'X', kind: 'blog' }), 400, ['/kind'], 'not one of the kinds')

    const kinds = ['news_agency', 'media', 'monitor', 'ngo', 'igo', 'government', 'military', 'health_authority', 'individual', 'other']
    for (const kind of kinds) {
      const res = await post(app, '/sources', { name: `Source ${kind}`, kind })
      t.equal(res.statusCode, 201, kind)
      t.equal(json<Source>(res).kind, kind)
    }
  })

  t.test('country is ISO 3166-1 alpha-2, upper-cased', async (t) => {
    const app = await build(t)
    const lower = await post(app, '/sources', { name: 'SANA', kind: 'media', country: 'sy' })
    t.equal(lower.statusCode, 201)
    t.equal(json<Source>(lower).country, 'SY')
    for (const country of ['SYR', 'S', '12', 'S1', '']) {
      assertRefused(t, await post(app, '/sources', { name: 'Bad', kind: 'media', country }), 400, ['/country'], country)
    }
    const nulled = await post(app, '/sources', { name: 'No country', kind: 'media', country: null })
    t.equal(nulled.statusCode, 201)
    t.equal(json<Source>(nulled).country, null)
  })

  t.test('url must be http or https', async (t) => {
    const app = await build(t)
    for (const url of ['http://example.org/a', 'https://www.sohr.com/en/']) {
      const res = await post(app, '/sources', { name: url, kind: 'media', url })
      t.equal(res.statusCode, 201, url)
      t.equal(json<Source>(res).url, url)
    }
    for (const url of ['ftp://example.org/', 'javascript:alert(1)', 'not a url', 'www.example.org', 'mailto:a@b.org']) {
      assertRefused(t, await post(app, '/sources', { name: 'Bad url', kind: 'media', url }), 400, ['/url'], url)
    }
  })

  t.test('affiliated_actor_id: unknown is a 422; an actor alias is accepted and stored as the id', async (t) => {
    const app = await build(t)
    const unknown = await post(app, '/sources', { name: 'Russian MoD', kind: 'military', affiliated_actor_id: 'nobody' })
    t.equal(unknown.statusCode, 422)
    t.match(unknown.headers['content-type'], /^application\/problem\+json/)
    const problem = json<Problem>(unknown)
    t.equal(problem.status, 422)
    t.strictSame(paths(problem), ['/affiliated_actor_id'])
    t.strictSame((await getJson<Page<Source>>(app, '/sources')).items, [], 'nothing was created')

    await createActor(app, { id: 'russian-forces', name: 'Russian armed forces', aliases: ['VKS'], kind: 'armed_forces' })
    const byAlias = await post(app, '/sources', { name: 'Russian MoD', kind: 'military', affiliated_actor_id: 'vks' })
    t.equal(byAlias.statusCode, 201)
    t.equal(json<Source>(byAlias).affiliated_actor_id, 'russian-forces')
    const byId = await post(app, '/sources', { name: 'Zvezda', kind: 'media', affiliated_actor_id: 'russian-forces' })
    t.equal(json<Source>(byId).affiliated_actor_id, 'russian-forces')
  })
})

t.test('aliases', async (t) => {
  t.test('an alias belongs to one source only, case-insensitively (409 naming /aliases/<i>)', async (t) => {
    const app = await build(t)
    await createSource(app, {
      id: 'sohr',
      name: 'Syrian Observatory for Human Rights',
      aliases: ['SOHR', 'The Observatory'],
      kind: 'monitor',
    })
    const res = await post(app, '/sources', { name: 'Copycat', aliases: ['Copy', 'sohr'], kind: 'monitor' })
    t.equal(res.statusCode, 409)
    const problem = json<Problem>(res)
    t.equal(problem.status, 409)
    t.strictSame(paths(problem), ['/aliases/1'])
    t.match(problem.errors?.[0]?.message, /sohr/)

    const two = await post(app, '/sources', { name: 'Copycat', aliases: ['THE OBSERVATORY', 'x', ' Sohr '], kind: 'monitor' })
    assertRefused(t, two, 409, ['/aliases/0', '/aliases/2'], 'each taken alias is named; surrounding spaces do not matter')

    t.equal((await getJson<Page<Source>>(app, '/sources')).items.length, 1, 'nothing was created')
  })

  t.test('source and actor aliases are separate namespaces', async (t) => {
    const app = await build(t)
    await createActor(app, { name: 'Syrian government', aliases: ['SyGov'], kind: 'state' })
    const res = await post(app, '/sources', { name: 'Syrian government press office', aliases: ['SyGov'], kind: 'government' })
    t.equal(res.statusCode, 201)
  })

  t.test('a repeated alias in one list is a 400', async (t) => {
    const app = await build(t)
    const res = await post(app, '/sources', { name: 'SOHR', aliases: ['SOHR', 'sohr'], kind: 'monitor' })
    t.equal(res.statusCode, 400)
    const problem = json<Problem>(res)
    t.ok(
      paths(problem).some((p) => p.startsWith('/aliases')),
      'names /aliases',
    )
    assertRefused(t, await post(app, '/sources', { name: 'SOHR', aliases: [''], kind: 'monitor' }), 400, ['/aliases/0'])
  })

  t.test('PATCH replaces the alias list; freed aliases can be reused; taken ones are a 409', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'a', name: 'A', aliases: ['One', 'Two'], kind: 'media' })
    await createSource(app, { id: 'b', name: 'B', aliases: ['Three'], kind: 'media' })

    const keepOwn = await patch(app, '/sources/a', { aliases: ['ONE', 'Four'] })
    t.equal(keepOwn.statusCode, 200, 'a source may keep its own alias in another case')
    t.strictSame(json<Source>(keepOwn).aliases, ['ONE', 'Four'])

    const reuse = await patch(app, '/sources/b', { aliases: ['Three', 'two'] })
    t.equal(reuse.statusCode, 200, '"Two" was freed by the replacement')
    t.strictSame(json<Source>(reuse).aliases, ['Three', 'two'])

    assertRefused(t, await patch(app, '/sources/b', { aliases: ['four'] }), 409, ['/aliases/0'])
    t.strictSame((await getSource(app, 'b')).aliases, ['Three', 'two'], 'the failed PATCH changed nothing')

    const q = await getJson<Page<Source>>(app, '/sources?q=two')
    t.strictSame(
      q.items.map((s) => s.id),
      ['b'],
      'the alias index follows the replacement',
    )
  })
})

t.test('GET /sources', async (t) => {
  t.test('q matches id, name and aliases case-insensitively', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'sohr', name: 'Syrian Observatory for Human Rights', aliases: ['SOHR'], kind: 'monitor' })
    await createSource(app, { id: 'obs-1', name: 'Observatoire', aliases: ['OSDH'], kind: 'monitor' })
    await createSource(app, { id: 'who', name: 'World Health Organization', aliases: ['OMS'], kind: 'igo' })
    const ids = (q: string) => matching(t, app, q)
    t.strictSame(await ids('sohr'), ['sohr'], 'id / alias')
    t.strictSame(await ids('osdh'), ['obs-1'], 'by alias only, lower-case query')
    t.strictSame(await ids('oms'), ['who'], 'by alias only')
    t.strictSame(await ids('HEALTH'), ['who'], 'by name, upper-case query')
    t.strictSame(await ids('observ'), ['obs-1', 'sohr'], 'several, in id order')
    t.strictSame(await ids('OBS-'), ['obs-1'], 'by id')
    t.strictSame(await ids('nothing-matches'), [])
    t.strictSame(await ids('%'), [], 'LIKE wildcards are literal')
    t.strictSame(await ids('_'), [], 'LIKE wildcards are literal')
  })

  t.test('q is case-insensitive beyond ASCII too', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'msf', name: 'Médecins Sans Frontières', aliases: ['Ärzte ohne Grenzen'], kind: 'ngo' })
    await createSource(app, { id: 'mid', name: 'Ministry of Foreign Affairs of Russia', aliases: ['МИД России'], kind: 'government' })
    await createSource(app, { id: 'ohchr', name: 'ÉQUIPE DES NATIONS UNIES', kind: 'igo' })
    await createSource(app, { id: 'ria', name: 'РИА Новости', kind: 'news_agency' })
    const ids = (q: string) => matching(t, app, q)
    t.strictSame(await ids('médecins'), ['msf'], 'name, same case')
    t.strictSame(await ids('MÉDECINS'), ['msf'], 'name, upper-case query with an accented capital')
    t.strictSame(await ids('FRONTIÈRES'), ['msf'], 'name, upper-case query')
    t.strictSame(await ids('ÄRZTE'), ['msf'], 'alias, upper-case query')
    t.strictSame(await ids('мид'), ['mid'], 'Cyrillic alias, lower-case query')
    t.strictSame(await ids('équipe'), ['ohchr'], 'name with an accented capital, lower-case query')
    t.strictSame(await ids('риа'), ['ria'], 'Cyrillic name in capitals, lower-case query')
    t.strictSame(await ids('НОВОСТИ'), ['ria'], 'Cyrillic name, upper-case query')
  })

  t.test('q combines with pagination', async (t) => {
    const app = await build(t)
    for (const id of ['x-1', 'x-2', 'x-3', 'y-1']) await createSource(app, { id, name: `Name ${id}`, kind: 'media' })
    const [first, second, ...rest] = await allPages<Source>(t, app, '/sources?q=x-&limit=2')
    t.strictSame(
      first?.items.map((s) => s.id),
      ['x-1', 'x-2'],
    )
    t.type(first?.next_cursor, 'string')
    t.strictSame(
      second?.items.map((s) => s.id),
      ['x-3'],
    )
    t.equal(second?.next_cursor, null)
    t.equal(rest.length, 0)
  })

  t.test('an unknown query parameter is a 400', async (t) => {
    const app = await build(t)
    assertRefused(t, await get(app, '/sources?kinds=monitor'), 400, ['/kinds'])
  })
})

t.test('GET /sources/{id}', async (t) => {
  t.test('200 for a known id', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'sohr', name: 'SOHR', kind: 'monitor' })
    const res = await get(app, '/sources/sohr')
    t.equal(res.statusCode, 200)
    t.equal(json<Source>(res).id, 'sohr')
  })
})

t.test('PATCH /sources/{id}', async (t) => {
  t.test('changes only the fields given; null clears; updated_at changes', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'syrian-government', name: 'Syrian government', kind: 'state' })
    const created = await createSource(app, {
      id: 'sana',
      name: 'SANA',
      aliases: ['Syrian Arab News Agency'],
      kind: 'news_agency',
      country: 'SY',
      url: 'https://sana.sy/en/',
      affiliated_actor_id: 'syrian-government',
      notes: 'State news agency.',
    })
    await assertPatched(t, app, '/sources/sana', created, { kind: 'government', notes: null, url: null })

    const cleared = await patch(app, '/sources/sana', { country: null, affiliated_actor_id: null })
    t.equal(cleared.statusCode, 200)
    t.equal(json<Source>(cleared).country, null)
    t.equal(json<Source>(cleared).affiliated_actor_id, null)
    t.equal(json<Source>(cleared).name, 'SANA', 'untouched fields are kept')
    t.strictSame(json<Source>(cleared).aliases, ['Syrian Arab News Agency'])

    const renamed = await patch(app, '/sources/sana', { name: 'Syrian Arab News Agency (SANA)', country: 'sy' })
    t.equal(json<Source>(renamed).id, 'sana', 'renaming keeps the id')
    t.equal(json<Source>(renamed).country, 'SY')

    t.strictSame(await getSource(app, 'sana'), json<Source>(renamed), 'the change is stored')
  })

  t.test('an id in the body is an unknown field (400); nothing changes', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'sohr', name: 'SOHR', kind: 'monitor' })
    assertRefused(t, await patch(app, '/sources/sohr', { id: 'other', name: 'Changed' }), 400, ['/id'])
    t.equal((await getSource(app, 'sohr')).name, 'SOHR')
    t.equal((await get(app, '/sources/other')).statusCode, 404)
  })

  t.test('name and kind cannot be cleared', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'sohr', name: 'SOHR', kind: 'monitor' })
    const res = await patch(app, '/sources/sohr', { name: null, kind: null })
    t.equal(res.statusCode, 400)
    t.strictSame(paths(json<Problem>(res)).sort(), ['/kind', '/name'])
  })

  t.test('validation applies as on create', async (t) => {
    const app = await build(t)
    await createSource(app, { id: 'sohr', name: 'SOHR', kind: 'monitor' })
    const bad = await patch(app, '/sources/sohr', { country: 'SYR', url: 'ftp://x.org', kind: 'blog' })
    t.equal(bad.statusCode, 400)
    t.strictSame(paths(json<Problem>(bad)).sort(), ['/country', '/kind', '/url'])
    assertRefused(t, await patch(app, '/sources/sohr', { affiliated_actor_id: 'ghost' }), 422, ['/affiliated_actor_id'])
    const got = await getSource(app, 'sohr')
    t.equal(got.affiliated_actor_id, null)
    t.equal(got.updated_at, got.created_at, 'a failed PATCH does not touch updated_at')
  })

  t.test('PATCH with an actor alias stores the actor id', async (t) => {
    const app = await build(t)
    await createActor(app, { id: 'russian-forces', name: 'Russian armed forces', aliases: ['VKS'], kind: 'armed_forces' })
    await createSource(app, { id: 'mod', name: 'MoD', kind: 'military' })
    const res = await patch(app, '/sources/mod', { affiliated_actor_id: 'Vks' })
    t.equal(res.statusCode, 200)
    t.equal(json<Source>(res).affiliated_actor_id, 'russian-forces')
  })
})
