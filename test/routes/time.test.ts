/** Contract §11 through the API: timelines, known_at, and the summary's warnings. */
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { loadMetadataInBulk } from '../../src/demo/datasets.js'
import { ukraineDataset } from '../../src/demo/ukraine.js'
import type { EventSummaryOut } from '../../src/schemas/summary.js'
import { build, getJson as get, json, post } from '../helper.js'

type Summary = EventSummaryOut
type Group = Summary['figures'][number]
interface Timeline {
  metric: string
  population: string
  party: string | null
  steps: Array<{ at: string; summary: Group | null }>
}

t.test('the §8 killed/all timeline', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const tl = await get<Timeline>(app, '/events/khan-shaykhun/timeline?metric=killed')
  t.strictSame([tl.metric, tl.population, tl.party], ['killed', 'all', null])
  t.strictSame(
    tl.steps.map((s) => s.at),
    ['2017-04-04T00:00:00.000Z', '2017-04-05T00:00:00.000Z'],
  )
  t.strictSame(
    tl.steps.map((s) => s.summary?.disagreement.level),
    ['single_source', 'conflicting'],
  )
  const children = await get<Timeline>(app, '/events/khan-shaykhun/timeline?metric=killed&population=children')
  t.equal(children.steps.length, 1)
  const cut = await get<Timeline>(app, '/events/khan-shaykhun/timeline?metric=killed&as_of=2017-04-04')
  t.equal(cut.steps.length, 1, 'as_of stops the steps')
  const none = await get<Timeline>(app, '/events/khan-shaykhun/timeline?metric=missing')
  t.strictSame(none.steps, [])

  const bad = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/timeline' })
  t.equal(bad.statusCode, 400)
  t.strictSame(
    json<{ errors: Array<{ path: string }> }>(bad).errors.map((e) => e.path),
    ['/metric'],
  )
  t.equal((await app.inject({ method: 'GET', url: '/events/nope/timeline?metric=killed' })).statusCode, 404)
})

t.test('Ukraine 2022: every timeline step equals the summary as of that step', async (t) => {
  const app = await build(t)
  const data = ukraineDataset()
  await loadMetadataInBulk(app, data)
  const rows = data.claims.map((c) => ({ ...c, event_id: data.event.id }))
  t.equal((await post(app, '/claims/bulk', rows)).statusCode, 201)
  const base = `/events/${data.event.id}`
  const tl = await get<Timeline>(app, `${base}/timeline?metric=killed&population=combatants&party=russian-forces`)
  t.ok(tl.steps.length > 50, `${tl.steps.length} steps`)
  let mismatches = 0
  for (const step of tl.steps) {
    const summary = await get<Summary>(app, `${base}/summary?as_of=${encodeURIComponent(step.at)}`)
    const group =
      summary.figures.find((f) => f.metric === 'killed' && f.population === 'combatants' && f.party === 'russian-forces') ?? null
    if (JSON.stringify(group) !== JSON.stringify(step.summary)) mismatches++
  }
  t.equal(mismatches, 0, 'no step differs from summary?as_of=<at>')
  const byAlias = await get<Timeline>(app, `${base}/timeline?metric=killed&population=combatants&party=russian-forces`)
  t.equal(byAlias.steps.length, tl.steps.length)
})

t.test('known_at: a retraction made later does not reach back', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const url = '/events/khan-shaykhun/summary?as_of=2017-04-06'
  const claims = await get<{ items: Array<{ id: string; source_id: string; metric?: string; population?: string }> }>(
    app,
    '/events/khan-shaykhun/claims?limit=100',
  )
  const who = claims.items.find((c) => c.source_id === 'who' && c.metric === 'killed')
  if (!who) throw new Error('fixture changed')
  await new Promise((r) => setTimeout(r, 5))
  const before = new Date().toISOString()
  await new Promise((r) => setTimeout(r, 5))
  t.equal((await post(app, `/claims/${who.id}/retraction`, { reason: 'misattributed' })).statusCode, 201)
  await new Promise((r) => setTimeout(r, 5))
  const late = await post(app, '/events/khan-shaykhun/claims', {
    kind: 'figure',
    source_id: 'reuters',
    stated_at: '2017-04-05',
    metric: 'killed',
    qualifier: 'exact',
    value: 72,
  })
  t.equal(late.statusCode, 201)

  const now = await get<Summary>(app, url)
  const nowKilled = now.figures.find((f) => f.metric === 'killed' && f.population === 'all')
  t.strictSame(nowKilled?.claims.map((c) => c.source_id).sort(), ['reuters', 'sohr'], 'now: WHO retracted, Reuters recorded')
  t.equal(now.known_at, null)

  const then = await get<Summary>(app, `${url}&known_at=${encodeURIComponent(before)}`)
  const thenKilled = then.figures.find((f) => f.metric === 'killed' && f.population === 'all')
  t.strictSame(
    thenKilled?.claims.map((c) => c.source_id).sort(),
    ['sohr', 'who'],
    'then: the WHO claim still counted, the Reuters one unknown',
  )
  t.equal(then.known_at, before)
  t.equal(then.claims_total, 9)

  const tl = await get<Timeline>(app, `/events/khan-shaykhun/timeline?metric=killed&known_at=${encodeURIComponent(before)}`)
  t.strictSame(
    tl.steps.at(-1)?.summary?.claims.map((c) => c.source_id),
    ['sohr', 'who'],
  )
  const early = await get<Summary>(app, `${url}&known_at=2000-01-01`)
  t.strictSame([early.figures, early.claims_total], [[], 0], 'before anything was recorded')
  const bad = await app.inject({ method: 'GET', url: `${url}&known_at=soon` })
  t.equal(bad.statusCode, 400)
})

t.test('the summary carries warnings with stable codes', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const clean = await get<Summary>(app, '/events/khan-shaykhun/summary?as_of=2017-04-06')
  t.strictSame(clean.warnings, [], 'the §8 example has none')
  const claim = (extra: object) =>
    post(app, '/events/khan-shaykhun/claims', { kind: 'figure', source_id: 'sohr', metric: 'killed', qualifier: 'exact', ...extra })
  t.equal((await claim({ stated_at: '2017-04-05', population: 'children', value: 70 })).statusCode, 201)
  t.equal((await claim({ stated_at: '2017-04-06', value: 40, via: ['tass', 'sohr'] })).statusCode, 201)
  const s = await get<Summary>(app, '/events/khan-shaykhun/summary?as_of=2017-04-06')
  t.strictSame(s.warnings.map((w) => w.code).sort(), ['downward_revision', 'relay_names_origin', 'subpopulation_exceeds_all'])
  t.ok(s.warnings.every((w) => w.source_id === 'sohr' && w.claim_ids.length > 0 && w.message.length > 0))
})
