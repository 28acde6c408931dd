/**
 * #16 "who to believe": what the claims stated by a moment tell of each
 * source (engine/track-record) and, from that, each event's bias-aware
 * estimates (engine/estimate). Learning reads every claim stated by then, so
 * what is learnt is kept, a few moments at a time, stamped with what it was
 * learnt from: the change log's latest seq (every write), the directory's
 * revisions (affiliations, the actor tree) and, for "now", the latest
 * stated_at by then (a claim stated in the future starts to count with no write).
 */
import { countedFigureGroups } from '../engine/counting.js'
import { type EstimateGroup, type GroupEstimate, adjustedEstimates, estimateGroups, summaryEstimateGroups } from '../engine/estimate.js'
import { DEFAULT_LEVEL } from '../engine/track-record.js'
import type { FigureSummary } from '../engine/types.js'
import { nowIso } from '../lib/time.js'
import type { Repositories } from './claims-service.js'
import { type Learner, type Learnt, learnHere } from './learning.js'

/** Moments (and levels) whose learning is kept: "now", and a few a dashboard or a script asks again and again. */
const KEPT_LEARNINGS = 8

/** `learn`: how a learning is made (services/learning: here, or in a worker thread on a large database). */
export function createTrackRecordService(repos: Repositories, latestSeq: () => Promise<number>, learn: Learner = learnHere) {
  const kept = new Map<string, { stamp: string; learnt: Promise<Learnt> }>()

  return {
    /** What the claims stated by `asOf` (default now) tell of every source, learnt once per state of the database. */
    async learnt(asOf: string | undefined, level = DEFAULT_LEVEL): Promise<Learnt> {
      const moment = asOf ?? nowIso()
      const through = asOf === undefined ? await repos.claims.latestStatedBy(moment) : ''
      const stamp = `${await latestSeq()}:${await repos.sources.revision()}:${await repos.actors.revision()}:${through}`
      const key = `${asOf ?? 'now'}\u0000${level}`
      let entry = kept.get(key)
      if (entry === undefined || entry.stamp !== stamp) {
        entry = { stamp, learnt: learn(repos, moment, level) }
        // A failed learning is not kept: the next request tries again.
        entry.learnt.catch(() => kept.get(key) === entry && kept.delete(key))
      }
      kept.delete(key) // most recently used last
      kept.set(key, entry)
      if (kept.size > KEPT_LEARNINGS) kept.delete(kept.keys().next().value as string)
      const learnt = await entry.learnt
      return learnt.as_of === moment ? learnt : { ...learnt, as_of: moment }
    },

    /**
     * The event's figure groups as of `asOf` (default now), each with the
     * contract's median and the bias-aware estimate; null for an unknown
     * event. "Now", the groups are the stored summary's while it shows now
     * (disputes nowState: no claim read), else counted from the claims.
     */
    async estimates(
      eventId: string,
      asOf: string | undefined,
      level = DEFAULT_LEVEL,
    ): Promise<{ as_of: string; groups: GroupEstimate[] } | null> {
      const learnt = await this.learnt(asOf, level)
      let groups: EstimateGroup[]
      const now = asOf === undefined ? await repos.disputes.nowState(eventId, learnt.as_of) : undefined
      if (now === null) return null
      if (now?.summary != null) {
        groups = summaryEstimateGroups((JSON.parse(now.summary) as { figures: FigureSummary[] }).figures)
      } else {
        if (now === undefined && (await repos.events.get(eventId)) === null) return null
        groups = estimateGroups(countedFigureGroups((await repos.claims.countedAt(eventId, learnt.as_of)).counted))
      }
      return { as_of: learnt.as_of, groups: adjustedEstimates(groups, learnt.model, level) }
    },
  }
}

export type TrackRecordService = ReturnType<typeof createTrackRecordService>
