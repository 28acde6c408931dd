import t from 'tap'
import { summarizeEvent } from '../../src/engine/event-summary.js'
import type { Claim } from '../../src/engine/types.js'
import { attribution, day, directory, endOf, figure } from './fixtures/claims.js'

// Contract §8: Khan Shaykhun, 4 April 2017, from a TASS report of 6 April 2017.
const dir = directory(
  [
    { id: 'sohr', name: 'Syrian Observatory for Human Rights' },
    { id: 'who', name: 'World Health Organization' },
    { id: 'reuters', name: 'Reuters' },
    { id: 'tass', name: 'TASS' },
    { id: 'russian-mod', name: 'Russian Defence Ministry', affiliated_actor_id: 'russian-forces' },
    { id: 'syrian-mod', name: 'Syrian Defence Ministry', affiliated_actor_id: 'syrian-government' },
  ],
  [
    { id: 'syrian-government', name: 'Syrian government' },
    { id: 'syrian-air-force', name: 'Syrian Arab Air Force', parent_id: 'syrian-government' },
    { id: 'russian-forces', name: 'Russian armed forces' },
    { id: 'armed-opposition', name: 'Armed opposition' },
  ],
)

// Claim #i of the table: recorded in table order, one minute apart, after the TASS report.
const row = (i: number, source_id: string, via: string[], date: string) => ({
  id: `c${i}`,
  source_id,
  via,
  stated_at: day(date),
  recorded_at: `2017-04-06T12:0${i}:00.000Z`,
})
// One line per row of the contract's table.
const claims: Claim[] = [
  figure({
    ...row(1, 'sohr', ['reuters', 'tass'], '2017-04-04'),
    qualifier: 'exact',
    value: 58,
    quote: 'had killed 58 people including 11 children',
  }),
  figure({ ...row(2, 'sohr', ['reuters', 'tass'], '2017-04-04'), population: 'children', qualifier: 'exact', value: 11 }),
  figure({ ...row(3, 'who', ['tass'], '2017-04-05'), qualifier: 'at_least', value: 70, quote: 'at least 70 people have died' }),
  figure({
    ...row(4, 'who', ['tass'], '2017-04-05'),
    metric: 'affected',
    qualifier: 'hundreds',
    quote: 'hundreds more have been affected',
  }),
  attribution({
    ...row(5, 'reuters', ['tass'], '2017-04-04'),
    stance: 'accuses',
    actor_ids: ['syrian-government', 'russian-forces'],
    certainty: 'suspected',
  }),
  attribution({ ...row(6, 'russian-mod', ['tass'], '2017-04-04'), stance: 'denies', actor_ids: ['russian-forces'] }),
  attribution({ ...row(7, 'syrian-mod', ['tass'], '2017-04-05'), stance: 'denies', actor_ids: ['syrian-government'] }),
  attribution({ ...row(8, 'russian-mod', ['tass'], '2017-04-05'), stance: 'accuses', actor_ids: ['armed-opposition'] }),
  attribution({ ...row(9, 'syrian-mod', ['tass'], '2017-04-05'), stance: 'accuses', actor_ids: ['armed-opposition'] }),
]

t.test('as of 2017-04-06', async (t) => {
  const summary = summarizeEvent(claims, endOf('2017-04-06'), dir)
  t.equal(summary.claims_total, 9)
  t.equal(summary.claims_counted, 9)
  t.strictSame(
    summary.figures.map((f) => [f.metric, f.population, f.party]),
    [
      ['killed', 'all', null],
      ['killed', 'children', null],
      ['affected', 'all', null],
    ],
    'groups ordered by metric as the contract lists them, then population',
  )
  const [killed, children, affected] = summary.figures

  t.test('killed/all', async (t) => {
    t.equal(killed?.sources, 2)
    t.strictSame(killed?.range, { low: 58, high: null })
    t.strictSame(killed?.points, { min: 58, max: 70, median: 64 })
    t.strictSame(killed?.estimate, { value: 64, method: 'median' })
    t.equal(killed?.consistent, false)
    t.equal(killed?.common, null)
    t.strictSame(killed?.agreement, { low: 58, high: 58, sources: 1, share: 0.5 })
    t.equal(killed?.disagreement.level, 'conflicting')
    t.equal(killed?.disagreement.spread, 12)
    t.equal(killed?.disagreement.ratio, 70 / 58)
    t.equal(killed?.disagreement.relative_spread, 0.1875)
    t.strictSame(
      killed?.claims.map((c) => [c.claim_id, c.source_id, c.source_name, c.via, c.point]),
      [
        ['c1', 'sohr', 'Syrian Observatory for Human Rights', ['reuters', 'tass'], 58],
        ['c3', 'who', 'World Health Organization', ['tass'], 70],
      ],
    )
    t.strictSame(killed?.claims[1]?.interval, { low: 70, high: null })
  })

  t.test('killed/children', async (t) => {
    t.equal(children?.sources, 1)
    t.strictSame(children?.range, { low: 11, high: 11 })
    t.equal(children?.disagreement.level, 'single_source')
  })

  t.test('affected/all', async (t) => {
    t.equal(affected?.sources, 1)
    t.strictSame(affected?.range, { low: 200, high: 999 })
    t.strictSame(affected?.points, { min: 200, max: 200, median: 200 })
    t.equal(affected?.claims[0]?.quote, 'hundreds more have been affected')
  })

  t.test('attribution', async (t) => {
    const { attribution: blame } = summary
    t.equal(blame.status, 'contested')
    t.equal(blame.sources, 3)
    t.strictSame(
      blame.actors.map((a) => [a.actor_id, a.support]),
      [
        ['armed-opposition', 2],
        ['russian-forces', 0.5],
        ['syrian-government', 0.5],
      ],
    )
    const shares = [2 / 3, 1 / 6, 1 / 6]
    const expected = -shares.reduce((h, s) => h + s * Math.log2(s), 0) / Math.log2(3)
    t.ok(Math.abs(blame.entropy - expected) < 1e-12, `entropy ${blame.entropy} ≈ ${expected}`)
    t.equal(blame.entropy.toFixed(4), '0.7897')

    const actor = (id: string) => blame.actors.find((a) => a.actor_id === id)
    t.strictSame(actor('russian-forces')?.denied_by, [{ source_id: 'russian-mod', claim_id: 'c6', self: true, via: ['tass'] }])
    t.strictSame(actor('syrian-government')?.denied_by, [{ source_id: 'syrian-mod', claim_id: 'c7', self: true, via: ['tass'] }])
    t.strictSame(actor('syrian-government')?.accused_by, [
      {
        source_id: 'reuters',
        claim_id: 'c5',
        certainty: 'suspected',
        alternatives: ['russian-forces'],
        via: ['tass'],
      },
    ])
    t.strictSame(
      actor('armed-opposition')?.accused_by.map((a) => [a.source_id, a.claim_id]),
      [
        ['russian-mod', 'c8'],
        ['syrian-mod', 'c9'],
      ],
    )
    t.equal(actor('armed-opposition')?.name, 'Armed opposition')
    t.strictSame(
      blame.actors.map((a) => a.admitted),
      [false, false, false],
    )
  })
})

t.test('as of 2017-04-04: killed/all has only SOHR', async (t) => {
  const summary = summarizeEvent(claims, endOf('2017-04-04'), dir)
  const killed = summary.figures[0]
  t.strictSame(
    summary.figures.map((f) => [f.metric, f.population]),
    [
      ['killed', 'all'],
      ['killed', 'children'],
    ],
  )
  t.equal(killed?.sources, 1)
  t.strictSame(
    killed?.claims.map((c) => c.source_id),
    ['sohr'],
  )
  t.equal(killed?.disagreement.level, 'single_source')
  t.equal(summary.claims_total, 9)
  t.equal(summary.claims_counted, 4)
  t.equal(summary.attribution.status, 'contested', 'reuters accuses russian-forces, which russian-mod denies')
  t.equal(summary.attribution.sources, 2)
})

t.test('before anything was said', async (t) => {
  const summary = summarizeEvent(claims, endOf('2017-04-03'), dir)
  t.strictSame(summary.figures, [])
  t.equal(summary.attribution.status, 'none')
  t.equal(summary.claims_counted, 0)
})
