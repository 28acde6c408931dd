/** The landing page's test world, shared by its route tests and its browser test. */
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, post } from '../helper.js'

export type App = Awaited<ReturnType<typeof build>>

export async function ok(app: App, url: string, payload: object) {
  const res = await post(app, url, payload)
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`)
}

export async function figure(app: App, event: string, source: string, fields: object) {
  await ok(app, `/events/${event}/claims`, { kind: 'figure', source_id: source, stated_at: '2020-01-02', metric: 'killed', ...fields })
}

/** Khan Shaykhun (conflicting), a compatible event with a hostile title, a single-source one, and one with only an attribution. */
export async function world(t: Parameters<typeof build>[0]) {
  const app = await build(t)
  await loadFixture(app, readFixture())
  await ok(app, '/events', {
    id: 'hostile',
    title: '<script>alert("x")</script> & <b>bold</b>',
    occurred_on: '2020-01',
    location: { place: 'Aleppo & <environs>', country: 'SY' },
  })
  await figure(app, 'hostile', 'sohr', { qualifier: 'approximately', value: 100 })
  await figure(app, 'hostile', 'who', { qualifier: 'at_least', value: 95 })
  await ok(app, '/events', { id: 'lonely', title: 'One source only', occurred_on: '2019' })
  await figure(app, 'lonely', 'who', { population: 'civilians', qualifier: 'exact', value: 3 })
  await ok(app, '/events', { id: 'blame-only', title: 'Blame without figures', occurred_on: '2018-05-06' })
  await ok(app, '/events/blame-only/claims', {
    kind: 'attribution',
    source_id: 'sohr',
    stated_at: '2018-05-06',
    stance: 'accuses',
    actor_ids: ['armed-opposition'],
  })
  return app
}
