/** The README's spreadsheet import: fixtures/khan-shaykhun-claims.csv gives the §8 summary. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { readFixture } from '../../src/demo/load-fixture.js'
import { build, json, post } from '../helper.js'

t.test('the sample spreadsheet loads in one request and reproduces §8', async (t) => {
  const app = await build(t)
  const fixture = readFixture()
  await post(app, '/actors/bulk', fixture.actors)
  await post(app, '/sources/bulk', fixture.sources)
  await post(app, '/events/bulk', [fixture.event])
  const csv = readFileSync(new URL('../../fixtures/khan-shaykhun-claims.csv', import.meta.url), 'utf8')
  const send = () => app.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: csv })
  const res = await send()
  t.equal(res.statusCode, 201, res.body)
  t.same(json<{ inserted: number; existing: number }>(res).inserted, 9)
  t.same(json<{ inserted: number; existing: number }>(await send()).existing, 9, 'sending it again changes nothing')
  const s = json<{
    figures: Array<{ metric: string; population: string; points: { median: number }; disagreement: { level: string } }>
    attribution: { status: string; entropy: number }
  }>(await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=2017-04-06' }))
  const killed = s.figures.find((f) => f.metric === 'killed' && f.population === 'all')
  t.equal(killed?.points.median, 64)
  t.equal(killed?.disagreement.level, 'conflicting')
  t.equal(s.attribution.status, 'contested')
  t.ok(Math.abs(s.attribution.entropy - 0.7897) < 1e-4)
})
