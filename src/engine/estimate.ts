/**
 * #16: a bias-aware estimate for each figure group, beside the contract's
 * median (which keeps its meaning). Each counted claim's point is divided by
 * its source's learnt factor for its relation to the group's party
 * (track-record), possible echoes count once (through the claim they
 * repeat), and the corrected points are combined on the log scale weighting
 * each by its precision — the inverse of the source's own scatter plus the
 * uncertainty of its factor — as truth-discovery methods (CRH, GTM) weigh
 * sources by their record. With little evidence a factor stays near 1 and
 * weighs little; one source alone gives its own figure with a wide interval.
 * Every factor and weight is returned, so that the number can be explained.
 */
import type { FigureGroup } from './counting.js'
import { point } from './figure.js'
import { type BiasModel, DEFAULT_LEVEL, type LearntBias, PRIOR_SD, type Relation, median, twoSidedZ } from './track-record.js'
import type { FigureSummary, Metric, Population } from './types.js'

/** A source's scatter on the log scale when its record cannot tell it (fewer than two comparisons). */
export const UNKNOWN_RESIDUAL = 0.5

export const ESTIMATE_METHOD = 'bias_corrected_log_mean'

export interface EstimateSource {
  claim_id: string
  source_id: string
  relation: Relation
  point: number
  factor: number
  corrected: number
  weight: number
  counted: boolean
  echo_of: string | null
}

export interface GroupEstimate {
  metric: Metric
  population: Population
  party: string | null
  median: number
  adjusted: { value: number; low: number; high: number; level: number; method: string; sources: EstimateSource[] }
}

const NO_BIAS: LearntBias = { mean: 0, sd: PRIOR_SD, enough: false }

/** A counted figure group as the estimate reads it: each counted claim's id, origin source and point (§2). */
export interface EstimateGroup {
  metric: Metric
  population: Population
  party: string | null
  claims: ReadonlyArray<{ id: string; source_id: string; point: number }>
}

/** The engine's figure groups (counting countedFigureGroups) as the estimate reads them. */
export function estimateGroups(groups: readonly FigureGroup[]): EstimateGroup[] {
  return groups.map((g) => ({ ...g, claims: g.claims.map((c) => ({ id: c.id, source_id: c.source_id, point: point(c) })) }))
}

/** A summary's figures (§4: the same groups, the same counted claims, each with its point) as the estimate reads them. */
export function summaryEstimateGroups(figures: readonly FigureSummary[]): EstimateGroup[] {
  return figures.map((f) => ({
    metric: f.metric,
    population: f.population,
    party: f.party,
    claims: f.claims.map((c) => ({ id: c.claim_id, source_id: c.source_id, point: c.point })),
  }))
}

export function adjustedEstimates(groups: readonly EstimateGroup[], model: BiasModel, level = DEFAULT_LEVEL): GroupEstimate[] {
  const z = twoSidedZ(level)
  const { echoOf } = model
  return groups.map((group) => {
    // An echo counts once: through the claim it repeats, or itself when that one no longer counts.
    const inGroup = new Set(group.claims.map((c) => c.id))
    const isEcho = (id: string) => {
      const original = echoOf.get(id)
      return original !== undefined && inGroup.has(original)
    }
    // By source (one counted claim each): summed in the same order whatever order the store gave the claims in.
    const claims = [...group.claims].sort((a, b) => (a.source_id < b.source_id ? -1 : a.source_id > b.source_id ? 1 : 0))
    const entries = claims.map((c) => {
      const relation = model.relation(c.source_id, group.party)
      const source = model.sources.get(c.source_id)
      const own = source?.relations[relation]
      const bias = own?.enough ? own : source?.overall.enough ? source.overall : NO_BIAS
      const p = c.point
      const y = Math.log(p + 1) - bias.mean
      const variance = (source?.residual ?? UNKNOWN_RESIDUAL) + bias.sd ** 2
      const counted = !isEcho(c.id)
      return { c, relation, p, y, factor: Math.exp(bias.mean), precision: counted ? 1 / variance : 0, counted }
    })
    const total = entries.reduce((s, e) => s + e.precision, 0)
    const mean = entries.reduce((s, e) => s + e.precision * e.y, 0) / total
    const sd = Math.sqrt(1 / total)
    return {
      metric: group.metric,
      population: group.population,
      party: group.party,
      median: median(group.claims.map((c) => c.point)),
      adjusted: {
        value: Math.exp(mean) - 1,
        low: Math.max(0, Math.exp(mean - z * sd) - 1),
        high: Math.exp(mean + z * sd) - 1,
        level,
        method: ESTIMATE_METHOD,
        sources: entries
          .map((e) => ({
            claim_id: e.c.id,
            source_id: e.c.source_id,
            relation: e.relation,
            point: e.p,
            factor: e.factor,
            corrected: Math.exp(e.y) - 1,
            weight: e.precision / total,
            counted: e.counted,
            echo_of: echoOf.get(e.c.id) ?? null,
          }))
          .sort((a, b) => b.weight - a.weight || a.point - b.point || (a.source_id < b.source_id ? -1 : a.source_id > b.source_id ? 1 : 0)),
      },
    }
  })
}
