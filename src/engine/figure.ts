import type { FigureStatement, Interval } from './types.js'

/** Contract §2: the whole numbers a figure allows, and the one number it stands for. */

export function interval(statement: FigureStatement): Interval {
  switch (statement.qualifier) {
    case 'exact': {
      const n = required(statement, 'value')
      return { low: n, high: n }
    }
    case 'at_least':
      return { low: required(statement, 'value'), high: null }
    case 'more_than':
      return { low: required(statement, 'value') + 1, high: null }
    case 'at_most':
      return { low: 0, high: required(statement, 'value') }
    case 'fewer_than':
      return { low: 0, high: fewerThanBound(statement) }
    case 'approximately': {
      // ⌊0.9n⌋ and ⌈1.1n⌉ in integers: 1.1 * 100 is 110.00000000000001 in floating point.
      const n = required(statement, 'value')
      return { low: floorDiv(9 * n, 10), high: ceilDiv(11 * n, 10) }
    }
    case 'range': {
      const low = required(statement, 'low')
      const high = required(statement, 'high')
      if (low > high) throw new Error(`range low ${low} is above high ${high}`)
      return { low, high }
    }
    case 'dozens':
      return { low: 24, high: 99 }
    case 'hundreds':
      return { low: 200, high: 999 }
    case 'thousands':
      return { low: 2000, high: 9999 }
  }
}

export function point(statement: FigureStatement): number {
  switch (statement.qualifier) {
    case 'exact':
    case 'at_least':
    case 'at_most':
    case 'approximately':
      return required(statement, 'value')
    case 'more_than':
      return required(statement, 'value') + 1
    case 'fewer_than':
      return fewerThanBound(statement)
    case 'range':
      return statement.best ?? (required(statement, 'low') + required(statement, 'high')) / 2
    case 'dozens':
    case 'hundreds':
    case 'thousands':
      return interval(statement).low
  }
}

function required(statement: FigureStatement, field: 'value' | 'low' | 'high'): number {
  const n = statement[field]
  if (n === null) throw new Error(`a '${statement.qualifier}' figure needs ${field}`)
  return n
}

// "fewer than 0" allows no number at all: an empty interval would break every rule of §4.
function fewerThanBound(statement: FigureStatement): number {
  const n = required(statement, 'value')
  if (n < 1) throw new Error('a fewer_than figure needs value ≥ 1')
  return n - 1
}

// Exact for non-negative safe integers (values are at most 1e12, so 11n stays below 2^53).
function floorDiv(a: number, b: number): number {
  return (a - (a % b)) / b
}

function ceilDiv(a: number, b: number): number {
  return floorDiv(a + b - 1, b)
}

/** The same figure: qualifier and numbers. */
export function sameFigure(a: FigureStatement, b: FigureStatement): boolean {
  return a.qualifier === b.qualifier && a.value === b.value && a.low === b.low && a.high === b.high && a.best === b.best
}
