/**
 * Caches show committed data only (#13 §1): a bulk write refused halfway is
 * rolled back whole, and no read afterwards shows what its first rows did.
 */
import t from 'tap'
import { build, json, post } from '../helper.js'

interface Summary {
  attribution: { status: string }
}
interface Listed {
  items: Array<{ id: string; dispute: { status: string } }>
}

async function ok(app: Awaited<ReturnType<typeof build>>, url: string, payload: unknown) {
  const res = await post(app, url, payload)
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`)
}

t.test('POST /actors/bulk refused halfway leaves the actor tree, summaries and dispute blocks as they were', async (t) => {
  const app = await build(t)
  await ok(app, '/actors', { id: 'x', name: 'X', kind: 'armed_group' })
  await ok(app, '/actors', { id: 'y', name: 'Y', kind: 'state' })
  await ok(app, '/sources', { id: 'a', name: 'A', kind: 'media' })
  await ok(app, '/sources', { id: 'b', name: 'B', kind: 'government', affiliated_actor_id: 'y' })
  await ok(app, '/events', { id: 'e', title: 'E', occurred_on: '2020' })
  await ok(app, '/events/e/claims', { kind: 'attribution', source_id: 'a', stated_at: '2020-01-01', stance: 'accuses', actor_ids: ['x'] })
  await ok(app, '/events/e/claims', { kind: 'attribution', source_id: 'b', stated_at: '2020-01-01', stance: 'denies', actor_ids: ['y'] })

  const read = async () => ({
    status: json<Summary>(await app.inject({ method: 'GET', url: '/events/e/summary' })).attribution.status,
    listed: json<Listed>(await app.inject({ method: 'GET', url: '/events' })).items.map((e) => [e.id, e.dispute.status]),
    parent: json<{ parent_id: string | null }>(await app.inject({ method: 'GET', url: '/actors/x' })).parent_id,
  })
  const before = await read()
  t.strictSame(before, { status: 'uncontested', listed: [['e', 'uncontested']], parent: null })

  // The first row would put x under y (so that b's denial of y covers x: contested); the second refers to no actor.
  const refused = await post(app, '/actors/bulk', [
    { id: 'x', name: 'X', kind: 'armed_group', parent_id: 'y' },
    { id: 'z', name: 'Z', kind: 'other', parent_id: 'nobody' },
  ])
  t.equal(refused.statusCode, 422, refused.body)
  t.strictSame(await read(), before, 'every read as before the refused batch')

  // The same change, committed, shows at once.
  await ok(app, '/actors/bulk', [{ id: 'x', name: 'X', kind: 'armed_group', parent_id: 'y' }])
  t.strictSame(await read(), { status: 'contested', listed: [['e', 'contested']], parent: 'y' })
})
