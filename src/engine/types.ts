/**
 * The engine's vocabulary: plain data in, plain data out. Nothing here knows
 * about HTTP or SQL. Field names follow contract §1–§5 word for word.
 */

export const QUALIFIERS = [
  'exact',
  'at_least',
  'more_than',
  'at_most',
  'fewer_than',
  'approximately',
  'range',
  'dozens',
  'hundreds',
  'thousands',
] as const
export type Qualifier = (typeof QUALIFIERS)[number]

export const METRICS = ['killed', 'injured', 'casualties', 'missing', 'captured', 'detained', 'displaced', 'affected'] as const
export type Metric = (typeof METRICS)[number]

export const POPULATIONS = ['all', 'civilians', 'combatants', 'children', 'women', 'men', 'medical_workers', 'journalists'] as const
export type Population = (typeof POPULATIONS)[number]

export const STANCES = ['accuses', 'denies'] as const
export type Stance = (typeof STANCES)[number]

export const CERTAINTIES = ['asserted', 'suspected'] as const
export type Certainty = (typeof CERTAINTIES)[number]

/** A figure as stated: the qualifier and the numbers that go with it (§1, §2). */
export interface FigureStatement {
  qualifier: Qualifier
  value: number | null
  low: number | null
  high: number | null
  best: number | null
}

/** A set of whole numbers [low, high]; `high` null means unbounded (§2). */
export interface Interval {
  low: number
  high: number | null
}

/** What every claim carries that the rules of §3 look at. */
interface ClaimBase {
  id: string
  event_id: string
  source_id: string
  via: string[]
  /** ISO 8601 UTC with milliseconds, e.g. 2017-04-04T00:00:00.000Z: compares as a string. */
  stated_at: string
  /** Same format as stated_at. */
  recorded_at: string
  supersedes: string | null
  /** Present when the claim was retracted; `at` uses the stated_at format. */
  retraction: { at: string; reason: string } | null
  quote: string | null
  url: string | null
}

export interface FigureClaim extends ClaimBase, FigureStatement {
  kind: 'figure'
  metric: Metric
  population: Population
  party: string | null
}

export interface AttributionClaim extends ClaimBase {
  kind: 'attribution'
  stance: Stance
  actor_ids: string[]
  certainty: Certainty
  role: string | null
}

export type Claim = FigureClaim | AttributionClaim

/** What the engine needs to know about sources and actors. */
export interface SourceInfo {
  id: string
  name: string
  affiliated_actor_id: string | null
}

export interface ActorInfo {
  id: string
  name: string
  parent_id: string | null
}

export interface Directory {
  sources: ReadonlyMap<string, SourceInfo>
  actors: ReadonlyMap<string, ActorInfo>
}

// ---- outputs (§4) ----

export type DisagreementLevel = 'single_source' | 'agreement' | 'compatible' | 'conflicting'

export interface CountedFigureClaim {
  claim_id: string
  source_id: string
  source_name: string
  via: string[]
  qualifier: Qualifier
  /** As given: absent (undefined) when the claim did not give it. */
  value?: number
  low?: number
  high?: number
  best?: number
  interval: Interval
  point: number
  stated_at: string
  quote: string | null
  url: string | null
}

export interface FigureSummary {
  metric: Metric
  population: Population
  party: string | null
  sources: number
  range: Interval
  points: { min: number; max: number; median: number }
  estimate: { value: number; method: 'median' }
  consistent: boolean
  common: Interval | null
  agreement: { low: number; high: number | null; sources: number; share: number }
  disagreement: {
    level: DisagreementLevel
    spread: number
    ratio: number | null
    relative_spread: number | null
  }
  claims: CountedFigureClaim[]
}

// ---- outputs (§5) ----

export type AttributionStatus = 'none' | 'unattributed' | 'contested' | 'uncontested'

export interface ActorStanding {
  actor_id: string
  name: string
  support: number
  accused_by: Array<{
    source_id: string
    claim_id: string
    certainty: Certainty
    alternatives: string[]
    via: string[]
  }>
  denied_by: Array<{ source_id: string; claim_id: string; self: boolean; via: string[] }>
  admitted: boolean
}

export interface AttributionSummary {
  status: AttributionStatus
  sources: number
  entropy: number
  actors: ActorStanding[]
}
