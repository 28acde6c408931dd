import { sameFigure } from './figure.js'
import { METRICS, POPULATIONS } from './types.js'
import type { AttributionClaim, Claim, FigureClaim, Metric, Population } from './types.js'

/** Contract §3: which claims count in a summary as of T. */

/** The claims of one figure group, each origin source keeping one (§3.4). */
export interface FigureGroup {
  metric: Metric
  population: Population
  party: string | null
  claims: FigureClaim[]
}

/** One source's stance on one actor, and the claim that decides it (§3.5). */
export interface CountedStance {
  source_id: string
  actor_id: string
  claim: AttributionClaim
}

/** Steps 1–3. `asOf` uses the stated_at format, so strings compare as times. */
export function claimsInForce(claims: readonly Claim[], asOf: string): Claim[] {
  const kept = claims.filter((c) => c.stated_at <= asOf && c.retraction === null)
  // Only a kept claim supersedes: a correction stated after T, or retracted, hides nothing.
  const superseded = new Set(kept.map((c) => c.supersedes).filter((id) => id !== null))
  return kept.filter((c) => !superseded.has(c.id))
}

/**
 * What a summary as of T shows: the counted claims — each figure group's
 * latest per origin source (step 4) and each (source, actor) pair's deciding
 * claim (step 5), each once — and, for the warnings, the previous figure of
 * each counted one: the same source's latest figure in force in the group
 * stated before it; and what the echo rule (track-record possibleEcho) reads
 * of each counted figure's group, `earlier`: claims of the group not
 * retracted, before it in statement order, that are its source's latest such
 * or isEchoMatch it (superseded ones included: an echo is about what was
 * said when), in statement order.
 */
export interface CountedSet {
  counted: Claim[]
  previous: FigureClaim[]
  earlier: FigureClaim[]
}

/**
 * The counted set from every claim of the event, as §3 reads: the
 * reference for the database's seek (claims-repository countedAt), which
 * must find the same claims.
 */
export function countedSet(claims: readonly Claim[], asOf: string): CountedSet {
  const inForce = claimsInForce(claims, asOf)
  const groups = countedFigureGroups(inForce)
  const counted = new Set<Claim>([...groups.flatMap((g) => g.claims), ...countedStances(inForce).map((s) => s.claim)])
  const previous: FigureClaim[] = []
  for (const group of groups) {
    for (const head of group.claims) {
      const before = inForce.filter((c): c is FigureClaim => c.kind === 'figure' && sameSeries(c, head) && c.stated_at < head.stated_at)
      const [latest] = latestPerSource(before)
      if (latest) previous.push(latest)
    }
  }
  return { counted: [...counted], previous, earlier: echoEvidence(claims, groups) }
}

/**
 * Whether `e`, a claim of the group stated before `c`, could be what `c`
 * echoes: another origin source's, stated strictly earlier (two sources
 * giving one figure at the same moment cannot be told apart), with the
 * same figure.
 */
export function isEchoMatch(e: FigureClaim, c: FigureClaim): boolean {
  return e.stated_at < c.stated_at && e.source_id !== c.source_id && sameFigure(e, c)
}

/** CountedSet `earlier`, from every claim: the reference for the database's (claims-repository countedAt). */
function echoEvidence(claims: readonly Claim[], groups: readonly FigureGroup[]): FigureClaim[] {
  const live = claims.filter((c): c is FigureClaim => c.kind === 'figure' && c.retraction === null)
  const found = new Set<FigureClaim>()
  for (const group of groups) {
    for (const head of group.claims) {
      const before = live.filter((c) => sameGroup(c, head) && byStatement(c, head) < 0)
      const own = before.filter((c) => c.source_id === head.source_id).sort(byStatement)
      const previous = own[own.length - 1]
      if (previous) found.add(previous)
      for (const c of before) if (isEchoMatch(c, head)) found.add(c)
    }
  }
  return [...found].sort(byStatement)
}

/** The same figure group. */
export function sameGroup(a: FigureClaim, b: FigureClaim): boolean {
  return a.event_id === b.event_id && a.metric === b.metric && a.population === b.population && a.party === b.party
}

/** Same origin source and figure group. */
export function sameSeries(a: FigureClaim, b: FigureClaim): boolean {
  return a.source_id === b.source_id && a.metric === b.metric && a.population === b.population && a.party === b.party
}

/** Step 4, over claims already in force; groups come in the order of §6. */
export function countedFigureGroups(inForce: readonly Claim[]): FigureGroup[] {
  const groups = new Map<string, FigureGroup>()
  for (const claim of inForce) {
    if (claim.kind !== 'figure') continue
    const key = JSON.stringify([claim.metric, claim.population, claim.party])
    let group = groups.get(key)
    if (!group) {
      group = { metric: claim.metric, population: claim.population, party: claim.party, claims: [] }
      groups.set(key, group)
    }
    group.claims.push(claim)
  }
  for (const group of groups.values()) group.claims = latestPerSource(group.claims)
  return [...groups.values()].sort(byGroupOrder)
}

/** Each origin source keeps its latest claim; relays (`via`) play no part. */
export function latestPerSource<C extends Claim>(claims: readonly C[]): C[] {
  const latest = new Map<string, C>()
  for (const claim of claims) {
    const held = latest.get(claim.source_id)
    if (!held || isLater(claim, held)) latest.set(claim.source_id, claim)
  }
  return [...latest.values()]
}

/** Step 5, over claims already in force; ordered by source, then actor. */
export function countedStances(inForce: readonly Claim[]): CountedStance[] {
  const stances = new Map<string, CountedStance>()
  for (const claim of inForce) {
    if (claim.kind !== 'attribution') continue
    for (const actor_id of new Set(claim.actor_ids)) {
      const key = JSON.stringify([claim.source_id, actor_id])
      const held = stances.get(key)
      if (!held || isLater(claim, held.claim)) {
        stances.set(key, { source_id: claim.source_id, actor_id, claim })
      }
    }
  }
  return [...stances.values()].sort((a, b) => compareStrings(a.source_id, b.source_id) || compareStrings(a.actor_id, b.actor_id))
}

/** Earlier first: stated_at, then recorded_at, then id (the order §3's tie-breaks make). */
export function byStatement(a: Claim, b: Claim): number {
  return compareStrings(a.stated_at, b.stated_at) || compareStrings(a.recorded_at, b.recorded_at) || compareStrings(a.id, b.id)
}

/** The greatest stated_at, ties broken by the later recorded_at, then the greater id. */
export function isLater(a: Claim, b: Claim): boolean {
  return byStatement(a, b) > 0
}

/** Metric and population in the contract's order (not alphabetical), then party, none first. */
export function byGroupOrder(a: Omit<FigureGroup, 'claims'>, b: Omit<FigureGroup, 'claims'>): number {
  return (
    METRICS.indexOf(a.metric) - METRICS.indexOf(b.metric) ||
    POPULATIONS.indexOf(a.population) - POPULATIONS.indexOf(b.population) ||
    compareParties(a.party, b.party)
  )
}

function compareParties(a: string | null, b: string | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return compareStrings(a, b)
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
