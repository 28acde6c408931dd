/** A linear scale with round ticks for counts of people (whole numbers, from zero). */

export interface Scale {
  /** The largest value on the axis; the axis starts at 0. */
  max: number
  step: number
  ticks: number[]
  /** Value → x in px. */
  x(value: number): number
}

/**
 * The round step (1, 2, 2.5 or 5 × 10^k, whole, at least 1) that reaches `top`
 * in 3 to 7 intervals with the least room to spare, then in the count nearest 5.
 */
export function niceStep(top: number): number {
  let best = { step: 1, waste: Infinity, off: Infinity }
  const start = Math.floor(Math.log10(Math.max(top / 7, 1)))
  for (let k = start - 1; k <= start + 1; k++) {
    for (const factor of [1, 2, 2.5, 5]) {
      const step = factor * 10 ** k
      if (step < 1 || !Number.isInteger(step)) continue
      const count = Math.ceil(top / step)
      if (count < 3 || count > 7) continue
      const waste = count * step - top
      const off = Math.abs(count - 5)
      if (waste < best.waste || (waste === best.waste && off < best.off)) best = { step, waste, off }
    }
  }
  return Number.isFinite(best.waste) ? best.step : Math.max(1, Math.ceil(top / 5))
}

/**
 * Axis from 0 to the first round tick at or above `needed` (at least 5),
 * mapped onto [left, right] px.
 */
export function linearScale(needed: number, left: number, right: number): Scale {
  const top = Math.max(needed, 5)
  const step = niceStep(top)
  const max = Math.ceil(top / step) * step
  const ticks: number[] = []
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(v)
  return { max, step, ticks, x: (value: number) => left + (Math.min(Math.max(value, 0), max) / max) * (right - left) }
}
