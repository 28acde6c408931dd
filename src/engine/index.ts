/** The reconciliation engine: contract §2–§6 as pure functions. */
export * from './types.js'
export { interval, point } from './figure.js'
export {
  byGroupOrder,
  claimsInForce,
  countedFigureGroups,
  countedStances,
  isLater,
  latestPerSource,
} from './counting.js'
export type { CountedStance, FigureGroup } from './counting.js'
export { agreement, figureSummaries, figureSummary } from './figure-summary.js'
export { attributionSummary } from './attribution-summary.js'
export { summarizeEvent } from './event-summary.js'
export type { EventSummary } from './event-summary.js'
export { figureTimeline, inGroup } from './timeline.js'
export type { GroupKey, TimelineStep } from './timeline.js'
export { asKnownAt } from './known-at.js'
export { summaryWarnings, WARNING_CODES } from './warnings.js'
export type { Warning, WarningCode } from './warnings.js'
export { provenance } from './provenance.js'
export type { Provenance, SourceProvenance, GroupProvenance, UncountedReason } from './provenance.js'
