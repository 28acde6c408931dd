/**
 * #16 "who to believe": what the claims stated by a moment tell of each
 * source, learnt from the data alone and shown, never hidden in a weight.
 *
 *   - counts: claims, events, figure groups, revisions, retractions, first
 *     reports and how far ahead of the others;
 *   - possible echoes: a figure equal to an earlier one of another source in
 *     the group, not declared as relayed, where the source changed course to
 *     match it (a repeat is not a second witness);
 *   - bias: each of its figures against the consensus of the other sources
 *     when it was stated (the median of their counted points, §3 as of that
 *     moment), as log ratios ln((p + 1) / (c + 1)) — the +1 keeps zeros —
 *     overall and by its relation to the counted party (Radford et al.,
 *     PNAS 2023: parties inflate their opponents' losses and understate
 *     their own), shrunk towards 1 with a normal prior on the log scale.
 *     Revisions within one group are not independent (a source revising
 *     daily), so the interval counts groups, not claims.
 *
 * Nothing stated after `asOf` is read: a record as of T is the same whether
 * later claims exist or not. Retractions apply at every moment (§3.2).
 */
import { lineages } from './actor-tree.js'
import { byStatement, compareStrings, isEchoMatch, isLater } from './counting.js'
import { point, sameFigure } from './figure.js'
import type { Claim, Directory, FigureClaim, Metric, Population } from './types.js'

/** The prior's standard deviation of a source's log bias: a factor within e^±2 (×0.14 to ×7.4) at two sigmas. */
export const PRIOR_SD = 1
/** Below this many comparisons a relation has no factor, only a note. */
export const MIN_COMPARISONS = 3
/** The variance of one comparison when a source has one (there is no spread to measure), and the floor of a measured one. */
export const SINGLE_VARIANCE = 0.25
export const VARIANCE_FLOOR = 0.01

/** The probability intervals are stated at unless another is asked for. */
export const DEFAULT_LEVEL = 0.9

export const RELATIONS = ['own', 'other', 'none'] as const
export type Relation = (typeof RELATIONS)[number]

export interface BiasEstimate {
  factor: number | null
  low: number | null
  high: number | null
  level: number
  comparisons: number
  groups: number
  note: string | null
}

export interface SourceRecord {
  source_id: string
  claims: number
  events: number
  figure_groups: number
  revisions: number
  retractions: number
  first_reports: number
  median_lead_hours: number | null
  echoes: number
  bias: Record<'overall' | Relation, BiasEstimate>
}

export interface Echo {
  claim_id: string
  source_id: string
  echoes_claim_id: string
  echoes_source_id: string
  event_id: string
  metric: Metric
  population: Population
  party: string | null
  reason: string
}

/** A source's learnt log bias for one relation: the posterior mean and sd, and whether it had enough comparisons. */
export interface LearntBias {
  mean: number
  sd: number
  enough: boolean
}

/** What the estimates need of each source: its bias per relation and overall, and how far its figures stray beyond it. */
export interface SourceModel {
  overall: LearntBias
  relations: Record<Relation, LearntBias>
  /** The variance of its log ratios around its relations' means; null with fewer than two comparisons. */
  residual: number | null
}

export interface BiasModel {
  sources: ReadonlyMap<string, SourceModel>
  /** Each possible echo's claim id → the claim it repeats. */
  echoOf: ReadonlyMap<string, string>
  /** The relation of a source to a party (the group's), as the records split them. */
  relation(sourceId: string, party: string | null): Relation
}

export interface TrackRecords {
  as_of: string
  records: SourceRecord[]
  echoes: Echo[]
  model: BiasModel
}

export interface TrackRecordOptions {
  minComparisons?: number
  level?: number
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative
 * error below 1.2e-9): z such that P(Z ≤ z) = p, for 0 < p < 1.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`)
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number]
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number]
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number]
  const [d0, d1, d2, d3] = d as [number, number, number, number]
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
}

/** The two-sided z of an interval at `level` (0.9 → 1.645). */
export function twoSidedZ(level: number): number {
  return normalQuantile(0.5 + level / 2)
}

/** The median of numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** "exact 58", "range 58–86 (best 70)", "hundreds". */
export function figureWords(c: FigureClaim): string {
  if (c.qualifier === 'range') return `range ${c.low}–${c.high}${c.best === null ? '' : ` (best ${c.best})`}`
  return c.value === null ? c.qualifier : `${c.qualifier.replace('_', ' ')} ${c.value}`
}

function groupKey(c: FigureClaim): string {
  return `${c.event_id}\u0000${c.metric}\u0000${c.population}\u0000${c.party ?? ''}`
}

const HOUR_MS = 3_600_000

function hoursBetween(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / HOUR_MS
}

function duration(hours: number): string {
  if (hours < 1) return 'at the same hour'
  if (hours < 48) return `${Math.round(hours)} hours earlier`
  return `${Math.round(hours / 24)} days earlier`
}

interface Comparison {
  d: number
  group: string
  relation: Relation
}

/** Shrinks the comparisons' mean log ratio towards 0 (a factor of 1): the posterior of a normal prior and the groups' evidence. */
function shrunk(
  comparisons: readonly Comparison[],
  minComparisons: number,
  z: number,
  level: number,
): { estimate: BiasEstimate; learnt: LearntBias } {
  const n = comparisons.length
  const groups = new Set(comparisons.map((c) => c.group)).size
  if (n < minComparisons) {
    return {
      estimate: {
        factor: null,
        low: null,
        high: null,
        level,
        comparisons: n,
        groups,
        note: `too few comparisons: ${n} of the ${minComparisons} needed`,
      },
      learnt: { mean: 0, sd: PRIOR_SD, enough: false },
    }
  }
  const mean = comparisons.reduce((sum, c) => sum + c.d, 0) / n
  const variance = n > 1 ? Math.max(comparisons.reduce((sum, c) => sum + (c.d - mean) ** 2, 0) / (n - 1), VARIANCE_FLOOR) : SINGLE_VARIANCE
  const precision = 1 / PRIOR_SD ** 2 + groups / variance
  const posterior = ((groups / variance) * mean) / precision
  const sd = 1 / Math.sqrt(precision)
  return {
    estimate: {
      factor: Math.exp(posterior),
      low: Math.exp(posterior - z * sd),
      high: Math.exp(posterior + z * sd),
      level,
      comparisons: n,
      groups,
      note: null,
    },
    learnt: { mean: posterior, sd, enough: true },
  }
}

/** The record of a source with no claim stated by then: zeros, and no factor. */
export function emptyRecord(sourceId: string, options: TrackRecordOptions = {}): SourceRecord {
  const level = options.level ?? DEFAULT_LEVEL
  const none = shrunk([], options.minComparisons ?? MIN_COMPARISONS, twoSidedZ(level), level).estimate
  return {
    source_id: sourceId,
    claims: 0,
    events: 0,
    figure_groups: 0,
    revisions: 0,
    retractions: 0,
    first_reports: 0,
    median_lead_hours: null,
    echoes: 0,
    bias: { overall: none, own: none, other: none, none },
  }
}

/**
 * A source's relation to a party, as the records split them: `own` when the
 * party is the source's affiliated actor, an ancestor or a descendant of it;
 * `other` when both are set and unrelated; `none` otherwise.
 */
export function relationIn(directory: Directory): (sourceId: string, party: string | null) => Relation {
  const lineageOf = lineages(directory.actors)
  return (sourceId, party) => {
    const affiliated = directory.sources.get(sourceId)?.affiliated_actor_id ?? null
    if (party === null || affiliated === null) return 'none'
    return lineageOf(affiliated).has(party) || lineageOf(party).has(affiliated) ? 'own' : 'other'
  }
}

/**
 * The echo rule, over a figure `c` not retracted: `previous`, its source's
 * latest claim of the group before it (statement order, retracted ones left
 * out), and `matches`, the claims of the group not retracted that
 * isEchoMatch it,
 * in statement order. `c` is a possible echo when some claim matches, its
 * own previous figure was a different one (its own course led elsewhere),
 * and none of the matches is by a source it says it relays (then it is
 * declared, not an echo). The track records and the summary's warning both
 * read it here.
 */
export function possibleEcho(c: FigureClaim, previous: FigureClaim | undefined, matches: readonly FigureClaim[]): Echo | null {
  if (previous !== undefined && sameFigure(previous, c)) return null
  const original = matches[0]
  if (original === undefined || matches.some((e) => c.via.includes(e.source_id))) return null
  return {
    claim_id: c.id,
    source_id: c.source_id,
    echoes_claim_id: original.id,
    echoes_source_id: original.source_id,
    event_id: c.event_id,
    metric: c.metric,
    population: c.population,
    party: c.party,
    reason:
      `the same figure (${figureWords(c)}) as ${original.source_id} stated ${duration(hoursBetween(original.stated_at, c.stated_at))}, ` +
      `not declared as relayed (via); ${previous === undefined ? 'its first figure in the group' : `its previous figure in the group was ${figureWords(previous)}`}`,
  }
}

export function trackRecords(claims: readonly Claim[], asOf: string, directory: Directory, options: TrackRecordOptions = {}): TrackRecords {
  const minComparisons = options.minComparisons ?? MIN_COMPARISONS
  const level = options.level ?? DEFAULT_LEVEL
  const z = twoSidedZ(level)
  const stated = claims.filter((c) => c.stated_at <= asOf).sort(byStatement)
  const relation = relationIn(directory)

  // When each claim stops counting: the earliest stated_at of a claim in force (not retracted) that supersedes it.
  const supersededAt = new Map<string, string>()
  for (const c of stated) {
    if (c.supersedes === null || c.retraction !== null) continue
    const held = supersededAt.get(c.supersedes)
    if (held === undefined || c.stated_at < held) supersededAt.set(c.supersedes, c.stated_at)
  }

  const groups = new Map<string, FigureClaim[]>() // in statement order
  for (const c of stated) {
    if (c.kind !== 'figure') continue
    const list = groups.get(groupKey(c))
    if (list === undefined) groups.set(groupKey(c), [c])
    else list.push(c)
  }

  // Possible echoes, group by group, in statement order.
  const echoes: Echo[] = []
  const echoIds = new Set<string>()
  for (const list of groups.values()) {
    const live = list.filter((c) => c.retraction === null)
    live.forEach((c, i) => {
      const earlier = live.slice(0, i)
      const own = earlier.filter((e) => e.source_id === c.source_id)
      const echo = possibleEcho(
        c,
        own[own.length - 1],
        earlier.filter((e) => isEchoMatch(e, c)),
      )
      if (echo === null) return
      echoIds.add(c.id)
      echoes.push(echo)
    })
  }

  // Each figure against the consensus of the other sources when it was stated (§3 as of then, echoes left out).
  const comparisons = new Map<string, Comparison[]>()
  for (const [key, list] of groups) {
    for (const c of list) {
      if (c.retraction !== null || echoIds.has(c.id)) continue
      const latest = new Map<string, FigureClaim>()
      for (const o of list) {
        if (o.stated_at > c.stated_at) break
        if (o.source_id === c.source_id || o.retraction !== null || echoIds.has(o.id)) continue
        const until = supersededAt.get(o.id)
        if (until !== undefined && until <= c.stated_at) continue
        const held = latest.get(o.source_id)
        if (held === undefined || isLater(o, held)) latest.set(o.source_id, o)
      }
      if (latest.size === 0) continue
      const consensus = median([...latest.values()].map(point))
      const d = Math.log((point(c) + 1) / (consensus + 1))
      const mine = comparisons.get(c.source_id)
      const comparison = { d, group: key, relation: relation(c.source_id, c.party) }
      if (mine === undefined) comparisons.set(c.source_id, [comparison])
      else mine.push(comparison)
    }
  }

  // Revisions, first reports and lead times.
  const revised = new Set<string>(stated.filter((c) => supersededAt.has(c.id)).map((c) => c.id))
  const firstReports = new Map<string, number>()
  const leads = new Map<string, number[]>()
  for (const list of groups.values()) {
    const lastOf = new Map<string, FigureClaim>()
    for (const c of list) {
      const before = lastOf.get(c.source_id)
      if (before !== undefined) revised.add(before.id)
      lastOf.set(c.source_id, c)
    }
    const firsts = new Map<string, string>()
    for (const c of list) if (c.retraction === null && !firsts.has(c.source_id)) firsts.set(c.source_id, c.stated_at)
    const times = [...firsts.values()]
    if (times.length === 0) continue
    const earliest = times.reduce((x, y) => (y < x ? y : x))
    const next = times.filter((t) => t > earliest).reduce<string | null>((x, y) => (x === null || y < x ? y : x), null)
    for (const [source, at] of firsts) {
      if (at !== earliest) continue
      firstReports.set(source, (firstReports.get(source) ?? 0) + 1)
      if (next !== null) leads.set(source, [...(leads.get(source) ?? []), hoursBetween(earliest, next)])
    }
  }

  const bySource = new Map<string, Claim[]>()
  for (const c of stated) {
    const list = bySource.get(c.source_id)
    if (list === undefined) bySource.set(c.source_id, [c])
    else list.push(c)
  }

  const records: SourceRecord[] = []
  const models = new Map<string, SourceModel>()
  for (const sourceId of [...bySource.keys()].sort(compareStrings)) {
    const own = bySource.get(sourceId) as Claim[]
    // Summed in an order of their values, not of the rows: the same sums, to the last bit, on any store.
    const mine = (comparisons.get(sourceId) ?? []).sort((x, y) => x.d - y.d || compareStrings(x.group, y.group))
    const overall = shrunk(mine, minComparisons, z, level)
    const split = Object.fromEntries(
      RELATIONS.map((r) => [
        r,
        shrunk(
          mine.filter((c) => c.relation === r),
          minComparisons,
          z,
          level,
        ),
      ]),
    ) as Record<Relation, ReturnType<typeof shrunk>>
    const leadHours = leads.get(sourceId)
    records.push({
      source_id: sourceId,
      claims: own.length,
      events: new Set(own.map((c) => c.event_id)).size,
      figure_groups: new Set(own.filter((c): c is FigureClaim => c.kind === 'figure').map(groupKey)).size,
      revisions: own.filter((c) => c.kind === 'figure' && revised.has(c.id)).length,
      retractions: own.filter((c) => c.retraction !== null).length,
      first_reports: firstReports.get(sourceId) ?? 0,
      median_lead_hours: leadHours === undefined ? null : median(leadHours),
      echoes: own.filter((c) => echoIds.has(c.id)).length,
      bias: { overall: overall.estimate, own: split.own.estimate, other: split.other.estimate, none: split.none.estimate },
    })
    // How far its figures stray around its relations' own means: the noise an estimate weighs it by.
    const means = new Map(RELATIONS.map((r) => [r, mine.filter((c) => c.relation === r).reduce((s, c, _, all) => s + c.d / all.length, 0)]))
    const residual =
      mine.length < 2
        ? null
        : Math.max(mine.reduce((s, c) => s + (c.d - (means.get(c.relation) as number)) ** 2, 0) / (mine.length - 1), VARIANCE_FLOOR)
    models.set(sourceId, {
      overall: overall.learnt,
      relations: { own: split.own.learnt, other: split.other.learnt, none: split.none.learnt },
      residual,
    })
  }

  const echoOf = new Map(echoes.map((e) => [e.claim_id, e.echoes_claim_id]))
  return { as_of: asOf, records, echoes, model: { sources: models, echoOf, relation } }
}
