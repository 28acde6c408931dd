/**
 * Warnings in the event summary: things a source's own figures say that
 * cannot all be right, and relay chains that cannot be. Each has a stable code.
 */
import { type CountedSet, byStatement, compareStrings, isEchoMatch, sameGroup, sameSeries } from './counting.js'
import { interval } from './figure.js'
import { possibleEcho } from './track-record.js'
import type { Claim, FigureClaim, Population } from './types.js'

export const WARNING_CODES = [
  'subpopulation_exceeds_all',
  'downward_revision',
  'relay_loop',
  'relay_names_origin',
  'possible_echo',
] as const
export type WarningCode = (typeof WARNING_CODES)[number]

export interface Warning {
  code: WarningCode
  message: string
  source_id: string
  claim_ids: string[]
}

/** Parts of `all` whose count can never exceed it. */
const SUBPOPULATIONS: readonly Population[] = ['children', 'women', 'men', 'civilians', 'combatants', 'medical_workers', 'journalists']

/** A map key for (source, metric, population, party): cheaper than JSON.stringify, and runs per claim. */
const seriesKey = (source: string, c: { metric: string; population: string; party: string | null }) =>
  `${source}\u0000${c.metric}\u0000${c.population}\u0000${c.party ?? ''}`

const describe = (c: FigureClaim) => `${c.metric}/${c.population}${c.party ? `/${c.party}` : ''}`

/**
 * Over what a summary as of T shows (engine countedSet): its counted claims,
 * and for a revision, each counted figure against the same source's
 * previous figure in its group. A figure no longer counted raises none:
 * the summary does not show it (its timeline does).
 */
export function summaryWarnings(set: CountedSet): Warning[] {
  const figures = set.counted.filter((c): c is FigureClaim => c.kind === 'figure')
  return [
    ...subpopulationWarnings(figures),
    ...downwardRevisions(figures, set.previous),
    ...relayWarnings(set.counted),
    ...echoWarnings(figures, set.earlier),
  ].sort(
    (a, b) =>
      compareStrings(a.code, b.code) || compareStrings(a.source_id, b.source_id) || compareStrings(a.claim_ids.join(), b.claim_ids.join()),
  )
}

/** A source says more children (say) were killed than people in all: its lowest for the part is above its highest for the whole. */
function subpopulationWarnings(counted: readonly FigureClaim[]): Warning[] {
  // Counted figures: one per (source, metric, population, party).
  const bySeries = new Map(counted.map((c) => [seriesKey(c.source_id, c), c]))
  const warnings: Warning[] = []
  for (const part of counted) {
    if (!SUBPOPULATIONS.includes(part.population)) continue
    const whole = bySeries.get(seriesKey(part.source_id, { metric: part.metric, population: 'all', party: part.party }))
    if (!whole) continue
    const wholeHigh = interval(whole).high
    if (wholeHigh !== null && interval(part).low > wholeHigh) {
      warnings.push({
        code: 'subpopulation_exceeds_all',
        message: `${part.source_id} gives ${describe(part)} at least ${interval(part).low}, more than its ${describe(whole)} of at most ${wholeHigh}.`,
        source_id: part.source_id,
        claim_ids: [part.id, whole.id],
      })
    }
  }
  return warnings
}

/** Cumulative figures only grow: a counted figure wholly below the same source's previous one is a revision downwards. */
function downwardRevisions(counted: readonly FigureClaim[], previous: readonly FigureClaim[]): Warning[] {
  const previousOf = new Map(previous.map((p) => [seriesKey(p.source_id, p), p]))
  const warnings: Warning[] = []
  for (const after of counted) {
    const before = previousOf.get(seriesKey(after.source_id, after))
    const afterHigh = interval(after).high
    if (before && afterHigh !== null && afterHigh < interval(before).low) {
      warnings.push({
        code: 'downward_revision',
        message: `${after.source_id} lowered ${describe(after)} from at least ${interval(before).low} (${before.stated_at.slice(0, 10)}) to at most ${afterHigh} (${after.stated_at.slice(0, 10)}).`,
        source_id: after.source_id,
        claim_ids: [before.id, after.id],
      })
    }
  }
  return warnings
}

function relayWarnings(claims: readonly Claim[]): Warning[] {
  const warnings: Warning[] = []
  for (const c of claims) {
    if (c.via.includes(c.source_id)) {
      warnings.push({
        code: 'relay_names_origin',
        message: `Claim ${c.id} lists its own origin, ${c.source_id}, among its relays.`,
        source_id: c.source_id,
        claim_ids: [c.id],
      })
    }
    if (new Set(c.via).size !== c.via.length) {
      warnings.push({
        code: 'relay_loop',
        message: `Claim ${c.id} passes through the same relay twice: ${c.via.join(' → ')}.`,
        source_id: c.source_id,
        claim_ids: [c.id],
      })
    }
  }
  return warnings
}

/**
 * A counted figure that repeats another source's earlier one, undeclared
 * (#16): the track records' rule (possibleEcho), over what the counted set
 * holds of its group (`earlier`). Confirmed by a new claim that names the
 * source in `via`.
 */
function echoWarnings(counted: readonly FigureClaim[], earlier: readonly FigureClaim[]): Warning[] {
  const warnings: Warning[] = []
  for (const c of counted) {
    const own = earlier.filter((e) => sameSeries(e, c) && byStatement(e, c) < 0)
    const matches = earlier.filter((e) => sameGroup(e, c) && isEchoMatch(e, c))
    const echo = possibleEcho(c, own[own.length - 1], matches)
    if (echo === null) continue
    warnings.push({
      code: 'possible_echo',
      message: `${c.source_id}'s ${describe(c)} may echo ${echo.echoes_source_id}: ${echo.reason}.`,
      source_id: c.source_id,
      claim_ids: [c.id, echo.echoes_claim_id],
    })
  }
  return warnings
}
