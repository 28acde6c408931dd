/** The in-process summary cache: hits skip the database, every write that matters invalidates. */
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, figureClaim, json, post } from '../helper.js'

interface Summary {
  as_of: string
  claims_counted: number
  figures: Array<{ metric: string; population: string; claims: Array<{ source_name: string }> }>
}

t.test('a repeated summary is served from memory; writes invalidate it', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  let reads = 0
  const countedAt = app.repos.claims.countedAt.bind(app.repos.claims)
  app.repos.claims.countedAt = (...args) => {
    reads++
    return countedAt(...args)
  }
  const get = async (url = '/events/khan-shaykhun/summary') => json<Summary>(await app.inject({ method: 'GET', url }))

  const first = await get()
  const second = await get()
  t.equal(reads, 1, 'the second request did not read the claims')
  t.not(second.as_of, undefined)
  t.strictSame({ ...second, as_of: first.as_of }, first, 'the same summary, with its own as_of')
  await get('/events/khan-shaykhun/summary?as_of=2017-04-04')
  t.equal(reads, 2, 'another moment is another entry')

  await post(app, '/events/khan-shaykhun/claims', {
    kind: 'figure',
    source_id: 'who',
    stated_at: '2017-04-06',
    metric: 'injured',
    qualifier: 'hundreds',
  })
  t.equal(
    (await get()).figures.some((f) => f.metric === 'injured'),
    true,
    'a new claim shows at once',
  )

  const renamed = await app.inject({ method: 'PATCH', url: '/sources/sohr', payload: { name: 'Syrian Observatory' } })
  t.equal(renamed.statusCode, 200)
  const names = (await get()).figures.flatMap((f) => f.claims.map((c) => c.source_name))
  t.ok(names.includes('Syrian Observatory'), 'a renamed source shows at once')

  const before = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary' })
  t.match(before.body, /"name":"Russian armed forces"/)
  const actorRename = await app.inject({ method: 'PATCH', url: '/actors/russian-forces', payload: { name: 'Russian Aerospace Forces' } })
  t.equal(actorRename.statusCode, 200)
  const after = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary' })
  t.match(after.body, /"name":"Russian Aerospace Forces"/, 'a renamed actor shows at once')

  const soon = new Date(Date.now() + 300).toISOString()
  await post(
    app,
    '/events/khan-shaykhun/claims',
    figureClaim({ source_id: 'who', stated_at: soon, metric: 'missing', qualifier: 'dozens', value: undefined }),
  )
  t.equal(
    (await get()).figures.some((f) => f.metric === 'missing'),
    false,
    'not yet stated',
  )
  await new Promise((r) => setTimeout(r, 400))
  t.equal(
    (await get()).figures.some((f) => f.metric === 'missing'),
    true,
    'counted once due, with no write in between',
  )
})
