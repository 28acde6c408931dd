/**
 * How one figure group's summary moved (contract §11): a step at each
 * distinct stated_at of the group's claims, each step the §4 summary as of
 * that moment.
 *
 * One pass over the claims in time order. As each claim is stated, the
 * state is brought up to date (§3): a claim that names another in
 * `supersedes` marks it superseded, and a claim of the group joins its
 * origin source's stack. A claim, once superseded, stays superseded at every
 * later step (the claim that supersedes it stays stated and unretracted), so
 * each source's counted claim is the top of its stack once the superseded
 * claims on top are popped: a claim is pushed once and popped at most once.
 * A step then costs its own summary, not a scan of the claims so far.
 */
import { compareStrings } from './counting.js'
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

/**
 * Which steps to give, by their `at` (the stated_at format, so strings
 * compare as times); each bound is optional. The steps before the lower
 * bounds are still passed through, and cost no summary.
 */
export interface StepBounds {
  /** At or after. */
  from?: string | undefined
  /** Strictly after: the last step of a previous page. */
  after?: string | undefined
  /** At or before. */
  to?: string | undefined
}

export function inGroup(claim: Claim, key: GroupKey): claim is FigureClaim {
  return claim.kind === 'figure' && claim.metric === key.metric && claim.population === key.population && claim.party === key.party
}

/** Oldest first, by the §3 order (stated_at, then recorded_at, then id): each source's later claim comes after its earlier ones. */
function chronological(a: Claim, b: Claim): number {
  return compareStrings(a.stated_at, b.stated_at) || compareStrings(a.recorded_at, b.recorded_at) || compareStrings(a.id, b.id)
}

function within(at: string, bounds: StepBounds): boolean {
  return (
    (bounds.from === undefined || at >= bounds.from) &&
    (bounds.after === undefined || at > bounds.after) &&
    (bounds.to === undefined || at <= bounds.to)
  )
}

/** The moments of the timeline's steps within `bounds`, in order: the distinct stated_at of the group's claims that are not retracted. */
export function timelineMoments(claims: Iterable<Claim>, key: GroupKey, bounds: StepBounds = {}): string[] {
  const moments = new Set<string>()
  for (const c of claims) if (c.retraction === null && inGroup(c, key) && within(c.stated_at, bounds)) moments.add(c.stated_at)
  return [...moments].sort(compareStrings)
}

/**
 * The steps within `bounds`, oldest first, each computed as it is asked for.
 * `claims` are the event's claims, in any order, or any part of them that
 * holds the group's claims and every claim that supersedes one of them (a
 * correction in another group can supersede a claim of this one). Equal,
 * step by step, to figureSummaries as of each step's moment, restricted to
 * the group.
 */
export function* figureTimeline(
  claims: readonly Claim[],
  key: GroupKey,
  directory: Directory,
  bounds: StepBounds = {},
): Generator<TimelineStep, void, undefined> {
  // Step 2 of §3: a retracted claim plays no part at any moment; nor does one that neither is in the group nor supersedes.
  const live = claims.filter((c) => c.retraction === null && (c.supersedes !== null || inGroup(c, key))).sort(chronological)
  /** Claims named in `supersedes` by a claim stated so far (step 3). */
  const superseded = new Set<string>()
  /** Per origin source, its group claims stated so far, oldest first (step 4). */
  const stacks = new Map<string, FigureClaim[]>()
  let next = 0
  while (next < live.length) {
    const at = (live[next] as Claim).stated_at
    if (bounds.to !== undefined && at > bounds.to) return
    // Every claim stated at this moment, before the step (ties in stated_at make one step).
    let step = false
    for (; next < live.length && (live[next] as Claim).stated_at === at; next++) {
      const claim = live[next] as Claim
      if (claim.supersedes !== null) superseded.add(claim.supersedes)
      if (inGroup(claim, key)) {
        step = true
        const stack = stacks.get(claim.source_id)
        if (stack === undefined) stacks.set(claim.source_id, [claim])
        else stack.push(claim)
      }
    }
    if (!step || !within(at, bounds)) continue
    const counted: FigureClaim[] = []
    for (const stack of stacks.values()) {
      while (stack.length > 0 && superseded.has((stack[stack.length - 1] as FigureClaim).id)) stack.pop()
      const latest = stack[stack.length - 1]
      if (latest !== undefined) counted.push(latest)
    }
    yield { at, summary: counted.length > 0 ? figureSummary({ ...key, claims: counted }, directory) : null }
  }
}
