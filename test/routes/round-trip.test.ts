/**
 * Issue: exporting every claim as CSV and importing that file into an empty
 * database gives the same export, byte for byte — on the real Ukraine data.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { loadFixture } from '../../src/demo/load-fixture.js'
import { ukraineDataset } from '../../src/demo/ukraine.js'
import { build, post } from '../helper.js'

async function exportCsv(app: FastifyInstance): Promise<string> {
  // The default, spreadsheet-safe export: POST /claims/bulk reads its apostrophes back (lib/spreadsheet-safe).
  const res = await app.inject({ method: 'GET', url: '/claims?format=csv' })
  if (res.statusCode !== 200) throw new Error(`export: ${res.statusCode} ${res.body.slice(0, 300)}`)
  return res.body
}

t.test('Ukraine 2022: CSV export → import into an empty database → the same export', async (t) => {
  const data = ukraineDataset()
  const first = await build(t)
  await loadFixture(first, data)
  const exported = await exportCsv(first)
  const lines = exported.trimEnd().split('\r\n')
  t.equal(lines.length, data.claims.length + 1, 'a header and one row per claim')
  t.match(lines[0], /^event_id,kind,source_id,via,stated_at,/)

  const second = await build(t)
  t.equal((await post(second, '/actors/bulk', data.actors)).statusCode, 200)
  t.equal((await post(second, '/sources/bulk', data.sources)).statusCode, 200)
  t.equal((await post(second, '/events/bulk', [data.event])).statusCode, 200)
  const imported = await second.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: exported })
  t.equal(imported.statusCode, 201, imported.body.slice(0, 300))
  t.equal((JSON.parse(imported.body) as { inserted: number }).inserted, data.claims.length)

  const again = await exportCsv(second)
  t.equal(again.length, exported.length)
  t.ok(again === exported, 'byte for byte')

  const summaryOf = async (app: FastifyInstance) =>
    (await app.inject({ method: 'GET', url: `/events/${data.event.id}/summary?as_of=2022-12-31&format=csv` })).body
  t.equal(await summaryOf(second), await summaryOf(first), 'and so are the summaries')
})
