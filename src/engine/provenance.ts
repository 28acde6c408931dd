/**
 * Who stands behind an event's figures (§11 provenance view): per origin
 * source, which of its claims count as of T and why the others do not, the
 * relay chains they came through, and how many independent origins stand
 * behind each figure group (relays never add one, §3.4).
 */
import { byGroupOrder, claimsInForce, compareStrings, countedFigureGroups, countedStances } from './counting.js'
import type { Claim, Directory, Metric, Population } from './types.js'

export type UncountedReason = 'retracted' | 'not_yet_stated' | 'superseded' | 'replaced_by_later_claim'

export interface SourceProvenance {
  source_id: string
  name: string
  counted: string[]
  uncounted: Array<{ claim_id: string; reason: UncountedReason }>
  relays: Array<{ via: string[]; claims: number }>
}

export interface GroupProvenance {
  metric: Metric
  population: Population
  party: string | null
  origins: string[]
  relays: string[]
}

export interface Provenance {
  sources: SourceProvenance[]
  groups: GroupProvenance[]
}

export function provenance(claims: readonly Claim[], asOf: string, directory: Directory): Provenance {
  const inForce = claimsInForce(claims, asOf)
  const groups = countedFigureGroups(inForce)
  const counted = new Set([...groups.flatMap((g) => g.claims.map((c) => c.id)), ...countedStances(inForce).map((s) => s.claim.id)])
  const inForceIds = new Set(inForce.map((c) => c.id))
  const reason = (c: Claim): UncountedReason =>
    c.retraction !== null
      ? 'retracted'
      : c.stated_at > asOf
        ? 'not_yet_stated'
        : inForceIds.has(c.id)
          ? 'replaced_by_later_claim'
          : 'superseded'

  const bySource = new Map<string, SourceProvenance>()
  for (const c of [...claims].sort((a, b) => compareStrings(a.stated_at, b.stated_at) || compareStrings(a.id, b.id))) {
    let entry = bySource.get(c.source_id)
    if (!entry) {
      entry = {
        source_id: c.source_id,
        name: directory.sources.get(c.source_id)?.name ?? c.source_id,
        counted: [],
        uncounted: [],
        relays: [],
      }
      bySource.set(c.source_id, entry)
    }
    if (counted.has(c.id)) entry.counted.push(c.id)
    else entry.uncounted.push({ claim_id: c.id, reason: reason(c) })
    const chain = entry.relays.find((r) => r.via.join() === c.via.join())
    if (chain) chain.claims++
    else entry.relays.push({ via: c.via, claims: 1 })
  }

  return {
    sources: [...bySource.values()].sort((a, b) => compareStrings(a.source_id, b.source_id)),
    groups: groups.sort(byGroupOrder).map((g) => ({
      metric: g.metric,
      population: g.population,
      party: g.party,
      origins: g.claims.map((c) => c.source_id).sort(compareStrings),
      relays: [...new Set(g.claims.flatMap((c) => c.via))].sort(compareStrings),
    })),
  }
}
