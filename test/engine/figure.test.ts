import t from 'tap'
import fc from 'fast-check'
import { interval, point } from '../../src/engine/figure.js'
import type { FigureStatement, Interval } from '../../src/engine/types.js'
import { holds, statement, statementArb } from './fixtures/claims.js'

// Contract §2, row by row.
const table: Array<[string, FigureStatement, Interval, number]> = [
  ['exact 58', statement('exact', { value: 58 }), { low: 58, high: 58 }, 58],
  ['exact 0', statement('exact', { value: 0 }), { low: 0, high: 0 }, 0],
  ['at_least 70', statement('at_least', { value: 70 }), { low: 70, high: null }, 70],
  ['more_than 70', statement('more_than', { value: 70 }), { low: 71, high: null }, 71],
  ['at_most 40', statement('at_most', { value: 40 }), { low: 0, high: 40 }, 40],
  ['fewer_than 40', statement('fewer_than', { value: 40 }), { low: 0, high: 39 }, 39],
  ['fewer_than 1', statement('fewer_than', { value: 1 }), { low: 0, high: 0 }, 0],
  ['approximately 70', statement('approximately', { value: 70 }), { low: 63, high: 77 }, 70],
  ['approximately 100', statement('approximately', { value: 100 }), { low: 90, high: 110 }, 100],
  ['approximately 0', statement('approximately', { value: 0 }), { low: 0, high: 0 }, 0],
  ['approximately 7', statement('approximately', { value: 7 }), { low: 6, high: 8 }, 7],
  ['approximately 11', statement('approximately', { value: 11 }), { low: 9, high: 13 }, 11],
  ['approximately 1e12', statement('approximately', { value: 1e12 }), { low: 9e11, high: 1.1e12 }, 1e12],
  ['range 58–86', statement('range', { low: 58, high: 86 }), { low: 58, high: 86 }, 72],
  ['range 3–4', statement('range', { low: 3, high: 4 }), { low: 3, high: 4 }, 3.5],
  ['range 58–86 best 60', statement('range', { low: 58, high: 86, best: 60 }), { low: 58, high: 86 }, 60],
  ['range 0–0 best 0', statement('range', { low: 0, high: 0, best: 0 }), { low: 0, high: 0 }, 0],
  ['dozens', statement('dozens'), { low: 24, high: 99 }, 24],
  ['hundreds', statement('hundreds'), { low: 200, high: 999 }, 200],
  ['thousands', statement('thousands'), { low: 2000, high: 9999 }, 2000],
]

for (const [name, s, expectedInterval, expectedPoint] of table) {
  t.test(name, async (t) => {
    t.strictSame(interval(s), expectedInterval)
    t.equal(point(s), expectedPoint)
  })
}

t.test('a missing or impossible number is an error, never NaN', async (t) => {
  t.throws(() => interval(statement('exact')), /needs value/)
  t.throws(() => point(statement('approximately')), /needs value/)
  t.throws(() => point(statement('more_than')), /needs value/)
  t.throws(() => interval(statement('range', { low: 5 })), /needs high/)
  t.throws(() => point(statement('range', { high: 5 })), /needs low/)
  t.throws(() => interval(statement('range', { low: 6, high: 5 })), /above/)
  t.throws(() => interval(statement('fewer_than', { value: 0 })), /≥ 1/)
})

t.test('approximately n is exactly [⌊0.9n⌋, ⌈1.1n⌉] up to 1e12', async (t) => {
  holds(
    t,
    'matches BigInt arithmetic',
    fc.property(fc.integer({ min: 0, max: 1e12 }), (n) => {
      const big = BigInt(n)
      const low = Number((9n * big) / 10n)
      const high = Number((11n * big + 9n) / 10n)
      const got = interval(statement('approximately', { value: n }))
      return got.low === low && got.high === high
    }),
    { numRuns: 2000 },
  )
})

t.test('the point lies inside the interval', async (t) => {
  holds(
    t,
    'low ≤ point ≤ high',
    fc.property(statementArb(1e6), (s) => {
      const { low, high } = interval(s)
      const p = point(s)
      return low <= p && (high === null || p <= high) && Number.isFinite(p)
    }),
  )
})
