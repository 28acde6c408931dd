/**
 * How one figure group's summary moved (contract §11): a step at each
 * distinct stated_at of the group's claims, each step the §4 summary as of
 * that moment — computed in one pass over the claims in time order.
 */
import { compareStrings, isLater } from './counting.js'
import { figureSummary } from './figure-summary.js'
import type { Claim, Directory, FigureClaim, FigureSummary, Metric, Population } from './types.js'

export interface GroupKey {
  metric: Metric
  population: Population
  party: string | null
}

export interface TimelineStep {
  at: string
  /** Null when, at that moment, no claim of the group counts (its only claim was superseded). */
  summary: FigureSummary | null
}

export function inGroup(claim: Claim, key: GroupKey): claim is FigureClaim {
  return claim.kind === 'figure' && claim.metric === key.metric && claim.population === key.population && claim.party === key.party
}

/** Oldest first, by the §3 order (stated_at, then recorded_at, then id). */
function chronological(a: Claim, b: Claim): number {
  return compareStrings(a.stated_at, b.stated_at) || compareStrings(a.recorded_at, b.recorded_at) || compareStrings(a.id, b.id)
}

/**
 * `claims` are all the event's claims (a correction in another group can
 * supersede one of this group's). Equal, step by step, to figureSummaries as
 * of each step's moment, restricted to the group.
 */
export function figureTimeline(claims: readonly Claim[], key: GroupKey, directory: Directory): TimelineStep[] {
  const live = claims.filter((c) => c.retraction === null).sort(chronological)
  const moments = [...new Set(live.filter((c) => inGroup(c, key)).map((c) => c.stated_at))]

  const superseded = new Set<string>()
  // Per source, its group claims so far, oldest first: the latest not superseded counts.
  const bySource = new Map<string, FigureClaim[]>()
  const steps: TimelineStep[] = []
  let next = 0
  for (const at of moments) {
    for (; next < live.length && (live[next] as Claim).stated_at <= at; next++) {
      const claim = live[next] as Claim
      if (claim.supersedes !== null) superseded.add(claim.supersedes)
      if (inGroup(claim, key)) {
        const list = bySource.get(claim.source_id) ?? []
        list.push(claim)
        bySource.set(claim.source_id, list)
      }
    }
    const counted: FigureClaim[] = []
    for (const list of bySource.values()) {
      let latest: FigureClaim | undefined
      for (const claim of list) {
        if (!superseded.has(claim.id) && (!latest || isLater(claim, latest))) latest = claim
      }
      if (latest) counted.push(latest)
    }
    steps.push({ at, summary: counted.length > 0 ? figureSummary({ ...key, claims: counted }, directory) : null })
  }
  return steps
}
