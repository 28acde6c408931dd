/**
 * The dispute block of an event (contract §10): what its summary says of how
 * disputed it is, reduced to what GET /events filters and sorts on. Pure
 * rules; the block is stored and kept fresh by disputes-repository and read
 * by the events list query.
 */
import type { EventSummary } from './event-summary.js'
import type { AttributionStatus, DisagreementLevel, FigureSummary, Interval } from './types.js'

/** `level_rank`: how disputed a level is; -1 when the event has no counted figure. */
export const LEVEL_RANK: Record<DisagreementLevel, number> = { conflicting: 3, compatible: 2, agreement: 1, single_source: 0 }
export const NO_FIGURES_RANK = -1

/** A row of event_disputes, as the repository reads and writes it. */
export interface DisputeRow {
  event_id: string
  level: DisagreementLevel | null
  level_rank: number
  relative_spread: number | null
  killed_low: number | null
  killed_high: number | null
  /** 1 when the event has a counted killed/all group: killed_high null then means unbounded. */
  killed_counted: 0 | 1
  attribution_status: AttributionStatus
  claims: number
  computed_at: string
}

/** The block as the API shows it (schemas/events Dispute). */
export interface DisputeBlock {
  level: DisagreementLevel | null
  relative_spread: number | null
  range: Interval | null
  status: AttributionStatus
  claims: number
}

/**
 * The more disputed group first (a sort comparator): the higher level, then
 * the higher relative_spread, null below every number; 0 between equals.
 */
export function byDispute(a: Pick<FigureSummary, 'disagreement'>, b: Pick<FigureSummary, 'disagreement'>): number {
  const rank = LEVEL_RANK[b.disagreement.level] - LEVEL_RANK[a.disagreement.level]
  if (rank !== 0) return rank
  // relative_spread is never negative: -1 puts null below every number.
  return (b.disagreement.relative_spread ?? -1) - (a.disagreement.relative_spread ?? -1)
}

/**
 * The block of a summary: the most disputed group's level and relative_spread
 * (the first in summary order among equals), the range of the killed/all
 * group without a party, the attribution status, and every claim counted.
 */
export function disputeOf(
  eventId: string,
  summary: Pick<EventSummary, 'figures' | 'attribution' | 'claims_total'>,
  computedAt: string,
): DisputeRow {
  let top: FigureSummary | undefined
  for (const figure of summary.figures) if (!top || byDispute(figure, top) < 0) top = figure
  const killed = summary.figures.find((f) => f.metric === 'killed' && f.population === 'all' && f.party === null)
  return {
    event_id: eventId,
    level: top?.disagreement.level ?? null,
    level_rank: top ? LEVEL_RANK[top.disagreement.level] : NO_FIGURES_RANK,
    relative_spread: top?.disagreement.relative_spread ?? null,
    killed_low: killed?.range.low ?? null,
    killed_high: killed?.range.high ?? null,
    killed_counted: killed ? 1 : 0,
    attribution_status: summary.attribution.status,
    claims: summary.claims_total,
    computed_at: computedAt,
  }
}

/** The row as the API shows it. */
export function toDispute(
  row: Pick<DisputeRow, 'level' | 'relative_spread' | 'killed_low' | 'killed_high' | 'killed_counted' | 'attribution_status' | 'claims'>,
): DisputeBlock {
  return {
    level: row.level,
    relative_spread: row.relative_spread,
    range: row.killed_counted && row.killed_low !== null ? { low: row.killed_low, high: row.killed_high } : null,
    status: row.attribution_status,
    claims: row.claims,
  }
}
