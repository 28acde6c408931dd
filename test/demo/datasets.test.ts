import t from 'tap'
import { loadDemoData } from '../../src/demo/datasets.js'
import { readFixture } from '../../src/demo/load-fixture.js'
import { UKRAINE_EVENT_ID, ukraineDataset } from '../../src/demo/ukraine.js'
import type { EventSummaryOut } from '../../src/schemas/summary.js'
import { build, json, type Page } from '../helper.js'

t.test('the demo loads both shipped datasets, and lists, ranking and summaries show them', async (t) => {
  const app = await build(t)
  const loaded = await loadDemoData(app)
  const ukraineClaims = ukraineDataset().claims.length
  t.strictSame(loaded, [
    { id: 'khan-shaykhun', claims: readFixture().claims.length },
    { id: UKRAINE_EVENT_ID, claims: ukraineClaims },
  ])
  t.equal(loaded[0]?.claims, 9, 'the nine claims of contract §8')

  const ranked = json<Page<{ id: string; dispute: { claims: number; level: string } }>>(
    await app.inject({ method: 'GET', url: '/events?sort=-dispute' }),
  )
  t.strictSame(
    ranked.items.map((e) => [e.id, e.dispute.claims, e.dispute.level]),
    [
      [UKRAINE_EVENT_ID, ukraineClaims, 'conflicting'],
      ['khan-shaykhun', 9, 'conflicting'],
    ],
    'both events in the dispute ranking, the Ukraine losses (a relative spread in the tens) first',
  )

  // The actor both datasets name is one actor, updated in place by the second.
  const forces = json<{ id: string; name: string; parent_id: string | null }>(
    await app.inject({ method: 'GET', url: '/actors/russian-forces' }),
  )
  t.strictSame([forces.name, forces.parent_id], ['Russian armed forces', 'russia'])

  // …which leaves contract §8 exactly as it was.
  const summary = json<EventSummaryOut>(await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=2017-04-06' }))
  const killed = summary.figures.find((f) => f.metric === 'killed' && f.population === 'all')
  t.strictSame(killed?.points, { min: 58, max: 70, median: 64 })
  t.equal(summary.attribution.status, 'contested')
  t.strictSame(
    summary.attribution.actors.map((a) => [a.actor_id, a.support]),
    [
      ['armed-opposition', 2],
      ['russian-forces', 0.5],
      ['syrian-government', 0.5],
    ],
  )
  const denied = summary.attribution.actors.find((a) => a.actor_id === 'russian-forces')?.denied_by
  t.strictSame(
    denied?.map((d) => [d.source_id, d.self]),
    [['russian-mod', true]],
  )
})
