import { attributionSummary } from './attribution-summary.js'
import { countedFigureGroups, countedSet, countedStances } from './counting.js'
import { figureSummary } from './figure-summary.js'
import type { AttributionSummary, Claim, Directory, FigureSummary } from './types.js'

/** Contract §6, less `event` and `as_of`, which the route adds. */
export interface EventSummary {
  figures: FigureSummary[]
  attribution: AttributionSummary
  claims_total: number
  claims_counted: number
}

/** `claims` are all the event's claims, whatever their status or date. */
export function summarizeEvent(claims: readonly Claim[], asOf: string, directory: Directory): EventSummary {
  return summarizeCounted(countedSet(claims, asOf).counted, claims.length, directory)
}

/**
 * The same from the counted claims alone (CountedSet.counted) and how many
 * claims the event has in all: none of them is superseded by another, so
 * steps 4 and 5 over them pick each of them again.
 */
export function summarizeCounted(counted: readonly Claim[], total: number, directory: Directory): EventSummary {
  const groups = countedFigureGroups(counted)
  const stances = countedStances(counted)
  const ids = new Set([...groups.flatMap((g) => g.claims.map((c) => c.id)), ...stances.map((s) => s.claim.id)])
  return {
    figures: groups.map((g) => figureSummary(g, directory)),
    attribution: attributionSummary(stances, directory),
    claims_total: total,
    claims_counted: ids.size,
  }
}
