import { claimsInForce, compareStrings, countedFigureGroups } from './counting.js'
import type { FigureGroup } from './counting.js'
import { interval, point } from './figure.js'
import type { Claim, CountedFigureClaim, Directory, DisagreementLevel, FigureClaim, FigureSummary, Interval } from './types.js'

/** Contract §4: what the counted claims of one group say together. */

/** Every group with a counted claim as of T, in the order of §6. */
export function figureSummaries(claims: readonly Claim[], asOf: string, directory: Directory): FigureSummary[] {
  return countedFigureGroups(claimsInForce(claims, asOf)).map((g) => figureSummary(g, directory))
}

/** One group, over claims already counted (§3.4), so a timeline can call it at each step. */
export function figureSummary(group: FigureGroup, directory: Directory): FigureSummary {
  const n = group.claims.length
  if (n === 0) throw new Error('a figure summary needs at least one counted claim')
  const claims = group.claims
    .map((c) => countedFigureClaim(c, directory))
    .sort((a, b) => a.point - b.point || compareStrings(a.source_id, b.source_id))

  const lows = claims.map((c) => c.interval.low)
  const highs = claims.map((c) => c.interval.high ?? Infinity)
  const maxLow = Math.max(...lows)
  const minHigh = Math.min(...highs)
  const consistent = maxLow <= minHigh

  const sortedPoints = claims.map((c) => c.point) // claims are in point order
  const points = {
    min: sortedPoints[0] ?? 0,
    max: sortedPoints[n - 1] ?? 0,
    median: median(sortedPoints),
  }
  const spread = points.max - points.min

  const level: DisagreementLevel =
    n === 1 ? 'single_source' : consistent && points.min === points.max ? 'agreement' : consistent ? 'compatible' : 'conflicting'

  return {
    metric: group.metric,
    population: group.population,
    party: group.party,
    sources: n,
    range: { low: Math.min(...lows), high: finite(Math.max(...highs)) },
    points,
    estimate: { value: points.median, method: 'median' },
    consistent,
    common: consistent ? { low: maxLow, high: finite(minHigh) } : null,
    agreement: agreement(claims.map((c) => c.interval)),
    disagreement: {
      level,
      spread,
      ratio: points.min === 0 ? null : points.max / points.min,
      relative_spread: points.median === 0 ? null : spread / points.median,
    },
    claims,
  }
}

export function countedFigureClaim(claim: FigureClaim, directory: Directory): CountedFigureClaim {
  const counted: CountedFigureClaim = {
    claim_id: claim.id,
    source_id: claim.source_id,
    source_name: directory.sources.get(claim.source_id)?.name ?? claim.source_id,
    via: claim.via,
    qualifier: claim.qualifier,
    interval: interval(claim),
    point: point(claim),
    stated_at: claim.stated_at,
    quote: claim.quote,
    url: claim.url,
  }
  // "As given": a number the claim did not state is left out, not sent as null.
  // (Assignments, not conditional spreads: docs/operators.md#performance.)
  if (claim.value !== null) counted.value = claim.value
  if (claim.low !== null) counted.low = claim.low
  if (claim.high !== null) counted.high = claim.high
  if (claim.best !== null) counted.best = claim.best
  return counted
}

/**
 * Where the most claims overlap. Between two consecutive boundaries (each low, each high + 1)
 * the set of covering claims stays the same, and it changes at every boundary, so the
 * stretches between boundaries are exactly the regions of §4.
 */
export function agreement(intervals: readonly Interval[]): FigureSummary['agreement'] {
  const change = new Map<number, number>()
  const add = (x: number, d: number) => change.set(x, (change.get(x) ?? 0) + d)
  for (const { low, high } of intervals) {
    add(low, 1)
    if (high !== null) add(high + 1, -1)
  }
  const boundaries = [...change.keys()].sort((a, b) => a - b)

  let best: Region | null = null
  let covered = 0
  for (const [i, low] of boundaries.entries()) {
    covered += change.get(low) ?? 0
    const next = boundaries[i + 1]
    const region = { low, high: next === undefined ? null : next - 1, sources: covered }
    // Regions come lowest first, so only a strictly better one replaces the best so far.
    if (covered > 0 && (best === null || isBetterRegion(region, best))) best = region
  }
  if (best === null) throw new Error('agreement needs at least one interval')
  return { ...best, share: best.sources / intervals.length }
}

interface Region {
  low: number
  high: number | null
  sources: number
}

function isBetterRegion(a: Region, b: Region): boolean {
  if (a.sources !== b.sources) return a.sources > b.sources
  return width(a) < width(b)
}

const width = (r: Interval) => (r.high === null ? Infinity : r.high - r.low + 1)

const finite = (x: number) => (x === Infinity ? null : x)

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2)
  const upper = sorted[mid] ?? 0
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2
}
