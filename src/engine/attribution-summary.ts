import { lineages } from './actor-tree.js'
import { compareStrings } from './counting.js'
import type { CountedStance } from './counting.js'
import { ZERO, compareFractions, dividedBy, fraction, plus, toNumber } from './fraction.js'
import type { Fraction } from './fraction.js'
import type { ActorStanding, AttributionStatus, AttributionSummary, Directory } from './types.js'

/** Contract §5: who is blamed, by whom, and whether the sources disagree. */

type Lineage = (actorId: string) => Set<string>

/** Over the counted stances of §3.5 (see `countedStances`). */
export function attributionSummary(stances: readonly CountedStance[], directory: Directory): AttributionSummary {
  const lineageOf = lineages(directory.actors)
  // The source speaks for the actor: its affiliated actor is the actor or an ancestor of it.
  const speaksFor = (sourceId: string, actorId: string) => {
    const affiliated = directory.sources.get(sourceId)?.affiliated_actor_id
    return affiliated != null && lineageOf(actorId).has(affiliated)
  }

  const standings = new Map<string, { standing: ActorStanding; support: Fraction }>()
  for (const { source_id, actor_id, claim } of stances) {
    let entry = standings.get(actor_id)
    if (!entry) {
      const name = directory.actors.get(actor_id)?.name ?? actor_id
      const standing: ActorStanding = {
        actor_id,
        name,
        support: 0,
        accused_by: [],
        denied_by: [],
        admitted: false,
      }
      entry = { standing, support: ZERO }
      standings.set(actor_id, entry)
    }
    const { standing } = entry
    const named = [...new Set(claim.actor_ids)]
    if (claim.stance === 'accuses') {
      entry.support = plus(entry.support, fraction(1n, BigInt(named.length)))
      standing.accused_by.push({
        source_id,
        claim_id: claim.id,
        certainty: claim.certainty,
        alternatives: named.filter((id) => id !== actor_id),
        via: claim.via,
      })
      if (speaksFor(source_id, actor_id)) standing.admitted = true
    } else {
      const self = speaksFor(source_id, actor_id)
      standing.denied_by.push({ source_id, claim_id: claim.id, self, via: claim.via })
    }
  }

  const ranked = [...standings.values()].sort(
    (a, b) => compareFractions(b.support, a.support) || compareStrings(a.standing.actor_id, b.standing.actor_id),
  )
  for (const { standing, support } of ranked) {
    standing.support = toNumber(support)
    standing.accused_by.sort(bySourceThenClaim)
    standing.denied_by.sort(bySourceThenClaim)
  }

  return {
    status: status(stances, lineageOf),
    sources: new Set(stances.map((s) => s.source_id)).size,
    entropy: entropy(ranked.map((r) => r.support).filter((s) => s.num > 0n)),
    actors: ranked.map((r) => r.standing),
  }
}

/** Normalized Shannon entropy of the accused actors' shares: 0 is one culprit, 1 an even split. */
function entropy(supports: readonly Fraction[]): number {
  const k = supports.length
  if (k < 2) return 0
  const total = supports.reduce(plus, ZERO)
  const h = supports.map((s) => toNumber(dividedBy(s, total))).reduce((sum, share) => sum - share * Math.log2(share), 0)
  // An even split can land a hair above 1 in floating point.
  return Math.min(1, Math.max(0, h / Math.log2(k)))
}

function status(stances: readonly CountedStance[], lineageOf: Lineage): AttributionStatus {
  if (stances.length === 0) return 'none'
  const accusations = stances.filter((s) => s.claim.stance === 'accuses')
  if (accusations.length === 0) return 'unattributed'
  const contested = deniedByAnotherSource(stances, accusations, lineageOf) || accusedSetsApart(accusations, lineageOf)
  return contested ? 'contested' : 'uncontested'
}

/** Rule (a): a counted accusation of X; another source's counted denial of X or an ancestor. */
function deniedByAnotherSource(stances: readonly CountedStance[], accusations: readonly CountedStance[], lineageOf: Lineage): boolean {
  const deniers = new Map<string, Set<string>>()
  for (const { source_id, actor_id, claim } of stances) {
    if (claim.stance !== 'denies') continue
    const sources = deniers.get(actor_id) ?? new Set<string>()
    deniers.set(actor_id, sources.add(source_id))
  }
  return accusations.some(({ source_id, actor_id }) =>
    [...lineageOf(actor_id)].some((denied) => [...(deniers.get(denied) ?? [])].some((denier) => denier !== source_id)),
  )
}

/**
 * Rule (b): two accusing claims from different sources whose actor sets share no actor and
 * hold no ancestor of each other. A claim's set is the actors it counts for (§3.5): a pair a
 * later claim of the same source decided is no longer this claim's to name.
 */
function accusedSetsApart(accusations: readonly CountedStance[], lineageOf: Lineage): boolean {
  const claims = new Map<string, { source_id: string; actors: string[] }>()
  for (const { source_id, actor_id, claim } of accusations) {
    const entry = claims.get(claim.id) ?? { source_id, actors: [] }
    entry.actors.push(actor_id)
    claims.set(claim.id, entry)
  }
  // Same or ancestor, either way round.
  const related = (x: string, y: string) => lineageOf(x).has(y) || lineageOf(y).has(x)
  const sets = [...claims.values()]
  return sets.some((a, i) =>
    sets.slice(i + 1).some((b) => a.source_id !== b.source_id && !a.actors.some((x) => b.actors.some((y) => related(x, y)))),
  )
}

function bySourceThenClaim(a: { source_id: string; claim_id: string }, b: { source_id: string; claim_id: string }): number {
  return compareStrings(a.source_id, b.source_id) || compareStrings(a.claim_id, b.claim_id)
}
