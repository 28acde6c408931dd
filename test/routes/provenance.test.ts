/** §11: an event's history and its provenance view. */
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import type { z } from 'zod'
import type { History, Provenance } from '../../src/schemas/provenance.js'
import { build, figureClaim, getJson as get, json, post } from '../helper.js'

t.test('history: claims, corrections, retractions and metadata edits, in order', async (t) => {
  const app = await build(t)
  const ids = await loadFixture(app, readFixture())
  const [sohrKilled, , whoKilled] = ids
  const patch = await app.inject({ method: 'PATCH', url: '/events/khan-shaykhun', payload: { title: 'Sarin attack on Khan Shaykhun' } })
  t.equal(patch.statusCode, 200)
  const correction = json<{ id: string }>(
    await post(app, '/events/khan-shaykhun/claims', figureClaim({ stated_at: '2017-04-06', value: 86, supersedes: sohrKilled })),
  )
  await post(app, `/claims/${whoKilled}/retraction`, { reason: 'misattributed' })

  const h = await get<z.output<typeof History>>(app, '/events/khan-shaykhun/history')
  t.equal(h.event_id, 'khan-shaykhun')
  t.strictSame(
    h.items.map((i) => i.type),
    ['event.created', ...Array(9).fill('claim.created'), 'event.updated', 'claim.created', 'claim.retracted'],
  )
  const ats = h.items.map((i) => i.at)
  t.strictSame(ats, [...ats].sort(), 'in time order')
  const edit = h.items[10]
  t.strictSame(edit?.type === 'event.updated' ? [edit.changed, edit.event.title] : null, [['title'], 'Sarin attack on Khan Shaykhun'])
  const created = h.items[0]
  t.ok(created?.type === 'event.created' && created.changed.includes('occurred_on'))
  const old = h.items.find((i) => i.type === 'claim.created' && i.claim.id === sohrKilled)
  t.strictSame(
    old?.type === 'claim.created' ? [old.claim.status, old.claim.superseded_by] : null,
    ['superseded', correction.id],
    'what superseded what',
  )
  const retraction = h.items.at(-1)
  t.strictSame(retraction?.type === 'claim.retracted' ? [retraction.claim_id, retraction.reason] : null, [whoKilled, 'misattributed'])
  t.equal((await app.inject({ method: 'GET', url: '/events/nope/history' })).statusCode, 404)
})

t.test('provenance: counted and uncounted claims per origin, relays, independent origins per group', async (t) => {
  const app = await build(t)
  const ids = await loadFixture(app, readFixture())
  // TASS relays WHO, and SOHR revises its count.
  await post(app, '/events/khan-shaykhun/claims', {
    kind: 'figure',
    source_id: 'sohr',
    via: ['reuters'],
    stated_at: '2017-04-06',
    metric: 'killed',
    qualifier: 'exact',
    value: 72,
  })
  await post(app, `/claims/${ids[3]}/retraction`, { reason: 'wrong event' })

  const p = await get<z.output<typeof Provenance>>(app, '/events/khan-shaykhun/sources?as_of=2017-04-06')
  t.equal(p.as_of, '2017-04-06T23:59:59.999Z')
  t.strictSame(
    p.sources.map((s) => s.source_id),
    ['reuters', 'russian-mod', 'sohr', 'syrian-mod', 'who'],
    'origins only: TASS relays, it does not originate',
  )
  const sohr = p.sources.find((s) => s.source_id === 'sohr')
  t.equal(sohr?.name, 'Syrian Observatory for Human Rights')
  t.strictSame(sohr?.uncounted, [{ claim_id: ids[0], reason: 'replaced_by_later_claim' }])
  t.equal(sohr?.counted.length, 2)
  t.strictSame(sohr?.relays, [
    { via: ['reuters', 'tass'], claims: 2 },
    { via: ['reuters'], claims: 1 },
  ])
  const who = p.sources.find((s) => s.source_id === 'who')
  t.strictSame(who?.uncounted, [{ claim_id: ids[3], reason: 'retracted' }])
  const killed = p.groups.find((g) => g.metric === 'killed' && g.population === 'all')
  t.strictSame(killed?.origins, ['sohr', 'who'], 'two independent origins')
  t.strictSame(killed?.relays, ['reuters', 'tass'])

  const early = await get<z.output<typeof Provenance>>(app, '/events/khan-shaykhun/sources?as_of=2017-04-04')
  t.strictSame(
    early.sources
      .find((s) => s.source_id === 'who')
      ?.uncounted.map((u) => u.reason)
      .sort(),
    ['not_yet_stated', 'retracted'],
  )
  t.equal((await app.inject({ method: 'GET', url: '/events/nope/sources' })).statusCode, 404)
})
