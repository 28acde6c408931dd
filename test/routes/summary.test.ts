import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import type { EventSummaryOut } from '../../src/schemas/summary.js'
import { build, json, post } from '../helper.js'

type Summary = EventSummaryOut

async function khanShaykhun(t: Parameters<typeof build>[0]) {
  const app = await build(t)
  const ids = await loadFixture(app, readFixture())
  const summary = async (asOf: string) => {
    const res = await app.inject({ method: 'GET', url: `/events/khan-shaykhun/summary?as_of=${asOf}` })
    if (res.statusCode !== 200) throw new Error(`summary as of ${asOf}: ${res.statusCode} ${res.body}`)
    return json<Summary>(res)
  }
  return { app, ids, summary }
}

function group(s: Summary, metric: string, population: string) {
  const found = s.figures.find((f) => f.metric === metric && f.population === population)
  if (!found) throw new Error(`no ${metric}/${population} group`)
  return found
}

t.test('contract §8: Khan Shaykhun as of 2017-04-06, field by field', async (t) => {
  const { summary } = await khanShaykhun(t)
  const s = await summary('2017-04-06')
  t.equal(s.as_of, '2017-04-06T23:59:59.999Z')
  t.strictSame(s.event, {
    id: 'khan-shaykhun',
    title: 'Chemical attack on Khan Shaykhun',
    occurred_on: '2017-04-04',
    location: { place: 'Khan Shaykhun', admin1: 'Idlib', country: 'SY' },
  })
  t.equal(s.claims_total, 9)
  t.equal(s.claims_counted, 9)
  t.strictSame(
    s.figures.map((f) => `${f.metric}/${f.population}`),
    ['killed/all', 'killed/children', 'affected/all'],
    'ordered by metric, population, party',
  )

  const killed = group(s, 'killed', 'all')
  t.equal(killed.party, null)
  t.equal(killed.sources, 2)
  t.strictSame(killed.range, { low: 58, high: null })
  t.strictSame(killed.points, { min: 58, max: 70, median: 64 })
  t.strictSame(killed.estimate, { value: 64, method: 'median' })
  t.equal(killed.consistent, false)
  t.equal(killed.common, null)
  t.strictSame(killed.agreement, { low: 58, high: 58, sources: 1, share: 0.5 })
  t.equal(killed.disagreement.level, 'conflicting')
  t.equal(killed.disagreement.spread, 12)
  t.equal(killed.disagreement.ratio, 70 / 58)
  t.equal(killed.disagreement.relative_spread, 0.1875)
  t.strictSame(
    killed.claims.map((c) => [c.source_id, c.source_name, c.qualifier, c.value, c.interval, c.point, c.via, c.stated_at]),
    [
      [
        'sohr',
        'Syrian Observatory for Human Rights',
        'exact',
        58,
        { low: 58, high: 58 },
        58,
        ['reuters', 'tass'],
        '2017-04-04T00:00:00.000Z',
      ],
      ['who', 'World Health Organization', 'at_least', 70, { low: 70, high: null }, 70, ['tass'], '2017-04-05T00:00:00.000Z'],
    ],
    'counted claims ordered by point',
  )
  t.equal(killed.claims[0]?.quote, 'had killed 58 people including 11 children')

  const children = group(s, 'killed', 'children')
  t.equal(children.sources, 1)
  t.strictSame(children.range, { low: 11, high: 11 })
  t.equal(children.disagreement.level, 'single_source')

  const affected = group(s, 'affected', 'all')
  t.equal(affected.sources, 1)
  t.strictSame(affected.range, { low: 200, high: 999 })
  t.strictSame(affected.points, { min: 200, max: 200, median: 200 })

  const a = s.attribution
  t.equal(a.status, 'contested')
  t.equal(a.sources, 3)
  t.strictSame(
    a.actors.map((x) => [x.actor_id, x.support]),
    [
      ['armed-opposition', 2],
      ['russian-forces', 0.5],
      ['syrian-government', 0.5],
    ],
    'ordered by support, then actor_id',
  )
  const expectedEntropy = -((2 / 3) * Math.log2(2 / 3) + 2 * (1 / 6) * Math.log2(1 / 6)) / Math.log2(3)
  t.ok(Math.abs(a.entropy - expectedEntropy) < 1e-12, `entropy ${a.entropy} ≈ ${expectedEntropy}`)
  t.ok(Math.abs(a.entropy - 0.7897) < 1e-4)

  const actor = (id: string) => a.actors.find((x) => x.actor_id === id)
  const russia = actor('russian-forces')
  t.strictSame(
    russia?.denied_by.map((d) => [d.source_id, d.self, d.via]),
    [['russian-mod', true, ['tass']]],
  )
  t.strictSame(
    russia?.accused_by.map((x) => [x.source_id, x.certainty, x.alternatives]),
    [['reuters', 'suspected', ['syrian-government']]],
  )
  t.equal(russia?.admitted, false)
  const syria = actor('syrian-government')
  t.strictSame(
    syria?.accused_by.map((x) => x.source_id),
    ['reuters'],
  )
  t.strictSame(
    syria?.denied_by.map((d) => [d.source_id, d.self]),
    [['syrian-mod', true]],
  )
  t.equal(syria?.name, 'Syrian government')
  const opposition = actor('armed-opposition')
  t.strictSame(
    opposition?.accused_by.map((x) => [x.source_id, x.certainty, x.alternatives]),
    [
      ['russian-mod', 'asserted', []],
      ['syrian-mod', 'asserted', []],
    ],
  )
  t.strictSame(opposition?.denied_by, [])
})

t.test('contract §8: as of 2017-04-04 the killed/all group has only SOHR', async (t) => {
  const { summary } = await khanShaykhun(t)
  const s = await summary('2017-04-04')
  t.equal(s.as_of, '2017-04-04T23:59:59.999Z')
  const killed = group(s, 'killed', 'all')
  t.equal(killed.sources, 1)
  t.equal(killed.disagreement.level, 'single_source')
  t.strictSame(killed.range, { low: 58, high: 58 })
  t.strictSame(
    killed.claims.map((c) => c.source_id),
    ['sohr'],
  )
  t.strictSame(
    s.figures.map((f) => `${f.metric}/${f.population}`),
    ['killed/all', 'killed/children'],
    'WHO had not spoken yet',
  )
  t.equal(s.claims_total, 9)
  t.equal(s.claims_counted, 4, 'two SOHR figures, the Reuters accusation and the Russian denial')
  t.strictSame(
    s.attribution.actors.map((x) => [x.actor_id, x.support]),
    [
      ['russian-forces', 0.5],
      ['syrian-government', 0.5],
    ],
  )
  t.equal(s.attribution.status, 'contested', 'Reuters names Russian forces, whom the Russian MoD denies')
})

t.test('before any claim, the summary is empty', async (t) => {
  const { summary } = await khanShaykhun(t)
  const s = await summary('2017-04-03')
  t.strictSame(s.figures, [])
  t.strictSame(s.attribution, { status: 'none', sources: 0, entropy: 0, actors: [] })
  t.equal(s.claims_counted, 0)
  t.equal(s.claims_total, 9)
})

t.test('as_of takes a date-time, and defaults to now', async (t) => {
  const { summary, app } = await khanShaykhun(t)
  const s = await summary('2017-04-05T00:00:00Z')
  t.equal(s.as_of, '2017-04-05T00:00:00.000Z')
  t.equal(group(s, 'killed', 'all').sources, 2, 'WHO stated at 00:00 counts at 00:00')
  const before = await summary('2017-04-04T23:59:59.999Z')
  t.equal(group(before, 'killed', 'all').sources, 1)
  const now = json<Summary>(await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary' }))
  t.ok(Math.abs(Date.parse(now.as_of) - Date.now()) < 60_000, 'as_of defaults to now')
  t.equal(now.claims_counted, 9)
})

t.test('bad as_of and unknown events are problems', async (t) => {
  const { app } = await khanShaykhun(t)
  const bad = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=yesterday' })
  t.equal(bad.statusCode, 400)
  t.strictSame(json<{ errors: Array<{ path: string; in: string }> }>(bad).errors, [
    { path: '/as_of', in: 'query', message: 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone' },
  ])
  const unknownParam = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?asof=2017-04-06' })
  t.equal(unknownParam.statusCode, 400, 'a misspelt parameter is not silently ignored')
  const missing = await app.inject({ method: 'GET', url: '/events/nope/summary' })
  t.equal(missing.statusCode, 404)
})

t.test('retractions leave every summary; corrections replace once stated', async (t) => {
  const { app, ids, summary } = await khanShaykhun(t)
  const whoKilled = ids[2]
  if (!whoKilled) throw new Error('fixture changed')
  t.equal((await post(app, `/claims/${whoKilled}/retraction`, { reason: 'misattributed' })).statusCode, 201)
  const s = await summary('2017-04-06')
  t.equal(group(s, 'killed', 'all').sources, 1, 'the retracted WHO figure no longer counts')
  t.equal(s.claims_counted, 8)
  t.equal(s.claims_total, 9)

  const sohr = ids[0]
  const correction = await post(app, '/events/khan-shaykhun/claims', {
    kind: 'figure',
    source_id: 'who',
    stated_at: '2017-04-07',
    metric: 'killed',
    qualifier: 'approximately',
    value: 80,
    supersedes: sohr,
  })
  t.equal(correction.statusCode, 201)
  const before = group(await summary('2017-04-06'), 'killed', 'all')
  t.strictSame(
    before.claims.map((c) => c.source_id),
    ['sohr'],
    'the correction is not yet stated on the 6th',
  )
  const after = group(await summary('2017-04-08'), 'killed', 'all')
  t.strictSame(
    after.claims.map((c) => c.source_id),
    ['who'],
    'once stated, it replaces the SOHR claim it supersedes',
  )
  t.strictSame(after.range, { low: 72, high: 88 })
})
