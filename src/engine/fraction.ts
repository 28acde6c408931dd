/**
 * Exact sums of 1/k shares: floating point would make equal supports compare unequal
 * (1/3 + 1/6 vs 1/2) and make the result depend on the order claims arrive in.
 */
export interface Fraction {
  num: bigint
  den: bigint
}

export const ZERO: Fraction = { num: 0n, den: 1n }

export function fraction(num: bigint, den: bigint): Fraction {
  const d = gcd(num < 0n ? -num : num, den)
  return { num: num / d, den: den / d }
}

export const plus = (a: Fraction, b: Fraction): Fraction => fraction(a.num * b.den + b.num * a.den, a.den * b.den)

export const dividedBy = (a: Fraction, b: Fraction): Fraction => fraction(a.num * b.den, a.den * b.num)

export function compareFractions(a: Fraction, b: Fraction): number {
  const d = a.num * b.den - b.num * a.den
  return d < 0n ? -1 : d > 0n ? 1 : 0
}

/** Fractions are kept reduced, so equal ones always give the same number. */
export const toNumber = (f: Fraction): number => Number(f.num) / Number(f.den)

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a === 0n ? 1n : a
}
