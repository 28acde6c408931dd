import { attributionSummary } from './attribution-summary.js'
import { claimsInForce, countedFigureGroups, countedStances } from './counting.js'
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
  const inForce = claimsInForce(claims, asOf)
  const groups = countedFigureGroups(inForce)
  const stances = countedStances(inForce)
  const counted = new Set([...groups.flatMap((g) => g.claims.map((c) => c.id)), ...stances.map((s) => s.claim.id)])
  return {
    figures: groups.map((g) => figureSummary(g, directory)),
    attribution: attributionSummary(stances, directory),
    claims_total: claims.length,
    claims_counted: counted.size,
  }
}
