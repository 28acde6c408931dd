/**
 * refreshAll (disputes-repository.ts): after rows were written straight
 * through SQL (bench/data.ts does), every event's dispute block is computed
 * again as the API would, and GET /events shows it.
 */
import { join } from 'node:path'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, json, post, tempDir } from '../helper.js'

interface Dispute {
  level: string | null
  relative_spread: number | null
  range: { low: number; high: number | null } | null
  status: string
  claims: number
}

async function blocks(app: FastifyInstance): Promise<Record<string, Dispute>> {
  const res = await app.inject({ method: 'GET', url: '/events' })
  const items = json<{ items: Array<{ id: string; dispute: Dispute }> }>(res).items
  return Object.fromEntries(items.map((e) => [e.id, e.dispute]))
}

const EMPTY: Dispute = { level: null, relative_spread: null, range: null, status: 'none', claims: 0 }
/** Contract §8 and §10: the killed/all group conflicts (relative spread 12/64), the attribution is contested, 9 claims. */
const KHAN_SHAYKHUN: Dispute = {
  level: 'conflicting',
  relative_spread: 0.1875,
  range: { low: 58, high: null },
  status: 'contested',
  claims: 9,
}

t.test('refreshAll recomputes every event and returns how many', async (t) => {
  const dir = tempDir(t, 'refresh-all')
  const dbPath = join(dir, 'reckon.db')
  const app = await build(t, { dbPath })
  await loadFixture(app, readFixture())
  t.equal((await post(app, '/events', { id: 'quiet', title: 'No claims yet', occurred_on: '2020' })).statusCode, 201)
  t.strictSame(await blocks(app), { 'khan-shaykhun': KHAN_SHAYKHUN, quiet: EMPTY }, 'the blocks the API computed')

  // Rows written behind the API's back (on its connection, so through its write gate): Khan Shaykhun's block is now that of an event without claims.
  await app.writes.now(() =>
    app.sql.run(`UPDATE event_disputes SET
    (level, level_rank, relative_spread, killed_low, killed_high, killed_counted, attribution_status, claims) =
    (SELECT level, level_rank, relative_spread, killed_low, killed_high, killed_counted, attribution_status, claims FROM event_disputes WHERE event_id = 'quiet')
    WHERE event_id = 'khan-shaykhun'`),
  )
  const stale = await build(t, { dbPath })
  t.strictSame(await blocks(stale), { 'khan-shaykhun': EMPTY, quiet: EMPTY }, 'an app opened on the file shows the rows as stored')

  t.equal(await stale.writes.now(() => stale.repos.disputes.refreshAll()), 2, 'both events recomputed')
  const after = await build(t, { dbPath })
  t.strictSame(await blocks(after), { 'khan-shaykhun': KHAN_SHAYKHUN, quiet: EMPTY }, 'the stored blocks are right again')
})
