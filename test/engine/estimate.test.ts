/**
 * engine/estimate (#16): the bias-aware estimate. On synthetic data with
 * known biases (seeded: test/seed.ts prints the seed) the learnt factors
 * come back within a stated tolerance and the estimate's error beats the
 * median's; one source alone gives its figure with a wide interval; an echo
 * counts once.
 */
import t from 'tap'
import { countedFigureGroups, claimsInForce } from '../../src/engine/counting.js'
import { ESTIMATE_METHOD, adjustedEstimates, estimateGroups } from '../../src/engine/estimate.js'
import { trackRecords } from '../../src/engine/track-record.js'
import type { Claim } from '../../src/engine/types.js'
import { random, testSeed } from '../seed.js'
import { day, directory, figure, statement } from './fixtures/claims.js'

/** A standard normal draw (Box–Muller). */
function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
}

const exact = (value: number) => statement('exact', { value })

t.test('synthetic biases: recovered within ×1.5, and the estimate nearer the truth than the median', async (t) => {
  const seed = testSeed()
  const next = random(seed)
  // Two parties; the party sources halve their own side's losses and double the other's (Radford et al.'s pattern, exaggerated).
  const dir = directory(
    [
      { id: 'red-gov', affiliated_actor_id: 'red' },
      { id: 'blue-gov', affiliated_actor_id: 'blue' },
      { id: 'monitor' },
      { id: 'wire' },
      { id: 'ngo' },
    ],
    [{ id: 'red' }, { id: 'blue' }],
  )
  const truthFactor = (source: string, party: string): number => {
    if (source === 'red-gov') return party === 'red' ? 0.4 : 2.5
    if (source === 'blue-gov') return party === 'blue' ? 0.5 : 2
    return source === 'ngo' ? 1.2 : 1
  }
  const claims: Claim[] = []
  const truth = new Map<string, number>()
  for (let e = 0; e < 40; e++) {
    for (const party of ['red', 'blue']) {
      const actual = Math.round(50 + next() * 5000)
      truth.set(`e${e}/${party}`, actual)
      for (const source of ['red-gov', 'blue-gov', 'monitor', 'wire', 'ngo']) {
        if (next() < 0.2) continue // not every source speaks every time
        const noisy = actual * truthFactor(source, party) * Math.exp(0.15 * normal(next))
        claims.push(
          figure({
            id: `e${e}-${party}-${source}`,
            event_id: `e${e}`,
            source_id: source,
            party,
            stated_at: day(`2020-0${1 + (e % 9)}-1${e % 10}`),
            population: 'combatants',
            ...exact(Math.round(noisy)),
          }),
        )
      }
    }
  }
  const end = day('2021-01-01')
  const learnt = trackRecords(claims, end, dir)
  for (const [source, relation, party] of [
    ['red-gov', 'own', 'red'],
    ['red-gov', 'other', 'blue'],
    ['blue-gov', 'own', 'blue'],
    ['blue-gov', 'other', 'red'],
  ] as const) {
    const factor = learnt.records.find((r) => r.source_id === source)?.bias[relation].factor ?? NaN
    const ratio = factor / truthFactor(source, party)
    t.ok(
      ratio > 1 / 1.5 && ratio < 1.5,
      `${source} ${relation}: learnt ${factor.toFixed(3)}, truth ${truthFactor(source, party)} (seed ${seed})`,
    )
  }
  let adjustedError = 0
  let medianError = 0
  for (let e = 0; e < 40; e++) {
    const groups = countedFigureGroups(
      claimsInForce(
        claims.filter((c) => c.event_id === `e${e}`),
        end,
      ),
    )
    for (const estimate of adjustedEstimates(estimateGroups(groups), learnt.model)) {
      const actual = truth.get(`e${e}/${estimate.party}`) as number
      adjustedError += Math.abs(Math.log((estimate.adjusted.value + 1) / (actual + 1)))
      medianError += Math.abs(Math.log((estimate.median + 1) / (actual + 1)))
    }
  }
  t.ok(
    adjustedError < medianError,
    `mean log error: adjusted ${adjustedError.toFixed(2)} < median ${medianError.toFixed(2)} (seed ${seed})`,
  )
})

t.test('one source alone: its own figure (no record to correct it by), with a wide interval', async (t) => {
  const dir = directory([{ id: 'only' }])
  const claims = [figure({ id: 'c1', source_id: 'only', stated_at: day('2020-01-01'), ...exact(100) })]
  const learnt = trackRecords(claims, day('2020-02-01'), dir)
  const [estimate] = adjustedEstimates(estimateGroups(countedFigureGroups(claims)), learnt.model)
  t.equal(estimate?.median, 100)
  t.ok(Math.abs((estimate?.adjusted.value ?? 0) - 100) < 1e-9, 'its figure')
  t.ok(
    (estimate?.adjusted.low ?? 100) < 25 && (estimate?.adjusted.high ?? 0) > 400,
    `wide: ${estimate?.adjusted.low}–${estimate?.adjusted.high}`,
  )
  t.strictSame(
    estimate?.adjusted.sources.map((s) => [s.source_id, s.relation, s.factor, s.weight, s.counted, s.echo_of]),
    [['only', 'none', 1, 1, true, null]],
  )
  t.equal(estimate?.adjusted.method, ESTIMATE_METHOD)
  t.equal(estimate?.adjusted.level, 0.9)
})

t.test('an echo counts once: listed, with no weight, while the claim it repeats counts', async (t) => {
  const dir = directory([{ id: 'wire' }, { id: 'paper' }, { id: 'monitor' }])
  const claims = [
    figure({ id: 'w1', source_id: 'wire', stated_at: day('2020-01-01'), ...exact(100) }),
    figure({ id: 'm1', source_id: 'monitor', stated_at: day('2020-01-01'), ...exact(300) }),
    figure({ id: 'p1', source_id: 'paper', stated_at: day('2020-01-02'), ...exact(100) }),
  ]
  const learnt = trackRecords(claims, day('2020-02-01'), dir)
  const [estimate] = adjustedEstimates(estimateGroups(countedFigureGroups(claims)), learnt.model)
  const paper = estimate?.adjusted.sources.find((s) => s.source_id === 'paper')
  t.strictSame([paper?.counted, paper?.weight, paper?.echo_of], [false, 0, 'w1'])
  t.equal(estimate?.median, 100, 'the median counts it (the contract is unchanged)')
  // Two counted claims of equal weight: the geometric mean of 101 and 301, less one.
  t.ok(Math.abs((estimate?.adjusted.value ?? 0) - (Math.sqrt(101 * 301) - 1)) < 1e-9, `${estimate?.adjusted.value}`)
  const weights = estimate?.adjusted.sources.map((s) => s.weight) ?? []
  t.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-12, 'the weights add up to 1')
})
