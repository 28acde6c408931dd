/** The README's spreadsheet import: fixtures/khan-shaykhun-claims.csv gives the §8 summary. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadMetadataInBulk } from '../../src/demo/datasets.js'
import { readFixture } from '../../src/demo/load-fixture.js'
import { build, json } from '../helper.js'

t.test('the sample spreadsheet loads in one request and reproduces §8', async (t) => {
  const app = await build(t)
  const fixture = readFixture()
  await loadMetadataInBulk(app, fixture)
  const csv = readFileSync(new URL('../../fixtures/khan-shaykhun-claims.csv', import.meta.url), 'utf8')
  const send = () => app.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: csv })
  const res = await send()
  t.equal(res.statusCode, 201, res.body)
  t.equal(json<{ inserted: number; existing: number }>(res).inserted, 9)
  t.equal(json<{ inserted: number; existing: number }>(await send()).existing, 9, 'sending it again changes nothing')
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

t.test('the same spreadsheet as people type it (Capitalised, "At least") gives the same claims and the same §8 summary', async (t) => {
  const app = await build(t)
  const fixture = readFixture()
  await loadMetadataInBulk(app, fixture)
  const csv = readFileSync(new URL('../../fixtures/khan-shaykhun-claims.csv', import.meta.url), 'utf8')
  // The enum columns: kind, metric, population, qualifier, stance, certainty.
  const enumColumns = [1, 5, 6, 7, 9, 11]
  const typed = csv
    .split('\n')
    .map((line, i) => {
      if (i === 0 || line === '' || line.includes('"')) return line
      const cells = line.split(',')
      for (const c of enumColumns) {
        const text = cells[c] ?? ''
        cells[c] = text.charAt(0).toUpperCase() + text.slice(1).replace(/_/g, ' ')
      }
      return cells.join(',')
    })
    .join('\n')
  t.not(typed, csv, 'the file was retyped')
  t.match(typed, /,At least,/)
  const res = await app.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: typed })
  t.equal(res.statusCode, 201, res.body)
  const again = await app.inject({ method: 'POST', url: '/claims/bulk', headers: { 'content-type': 'text/csv' }, payload: csv })
  const replay = json<{ inserted: number; existing: number }>(again)
  t.strictSame([replay.inserted, replay.existing], [0, 9], 'the lower-case file replays the same claims: they were stored in lower case')
  const s = json<{ figures: Array<{ metric: string; population: string; points: { median: number } }>; attribution: { status: string } }>(
    await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=2017-04-06' }),
  )
  t.equal(s.figures.find((f) => f.metric === 'killed' && f.population === 'all')?.points.median, 64)
  t.equal(s.attribution.status, 'contested')
})
