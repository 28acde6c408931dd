/**
 * GET /events/{id}/timeline (contract §11): one figure group's steps, a page
 * at a time. It reads what the group needs (its claims and those that
 * supersede them), replays `known_at` as the summary does, and hands the
 * engine the bounds of the page: the steps themselves are computed as the
 * route sends them.
 */
import type { Sql } from '../db/sql.js'
import { asKnownAt } from '../engine/known-at.js'
import { type GroupKey, type StepBounds, type TimelineStep, figureTimeline, timelineMoments } from '../engine/timeline.js'
import { decodeCursor, encodeCursor } from '../lib/cursor.js'
import { createTimelineQuery } from '../repositories/timeline-query.js'
import { directoryFor } from '../schemas/summary-document.js'
import type { Repositories } from './claims-service.js'

export interface TimelineRequest {
  key: GroupKey
  /** Only the steps up to this moment. */
  asOf?: string | undefined
  /** The claims and retractions as the database held them at this moment. */
  knownAt?: string | undefined
  /** Only the steps at or after, and at or before, these moments. */
  from?: string | undefined
  to?: string | undefined
  /** The `next_cursor` of the page before: the steps after its last. */
  cursor?: string | undefined
  /** At most this many steps; every step when absent. */
  limit?: number | undefined
}

export interface TimelinePage {
  key: GroupKey
  /** The page's steps, oldest first, each computed when it is read. */
  steps: Iterable<TimelineStep>
  /** The cursor of the steps after these, or null when there are none. */
  next_cursor: string | null
}

/** One step as a CSV row (schemas/csv-columns timelineColumns): the group's columns always, the summary's empty when it is null. */
export function timelineRow(key: GroupKey, step: TimelineStep) {
  const s = step.summary
  return {
    at: step.at,
    metric: key.metric,
    population: key.population,
    party: key.party,
    sources: s === null ? 0 : s.sources,
    range_low: s?.range.low ?? null,
    range_high: s?.range.high ?? null,
    median: s?.points.median ?? null,
    level: s?.disagreement.level ?? null,
    spread: s?.disagreement.spread ?? null,
    ratio: s?.disagreement.ratio ?? null,
    relative_spread: s?.disagreement.relative_spread ?? null,
    consistent: s?.consistent ?? null,
    agreement_low: s?.agreement.low ?? null,
    agreement_high: s?.agreement.high ?? null,
    agreement_sources: s?.agreement.sources ?? null,
    claim_ids: s === null ? [] : s.claims.map((c) => c.claim_id),
  }
}

/** A step's `at`, as every stored moment is written: a cursor holding anything else was not given out here. */
const STORED_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const earlier = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined || a <= b ? a : b)

export function createTimelineService(sql: Sql, repos: Pick<Repositories, 'events' | 'sources' | 'actors'>) {
  const query = createTimelineQuery(sql)
  return {
    /** The page of steps asked for; a 404 for an unknown event, a 400 naming `cursor` for a cursor not given out here. */
    async page(eventId: string, request: TimelineRequest): Promise<TimelinePage> {
      const event = await repos.events.require(eventId)
      const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, 1, (at) => STORED_MOMENT.test(at))[0]
      const { key, knownAt, limit } = request
      const held = await query.claimsOf(event.id, key)
      const claims = knownAt === undefined ? held : asKnownAt(held, knownAt)
      // as_of and to both stop the steps; a claim stated later changes no step before it.
      const bounds: StepBounds = { from: request.from, after, to: earlier(request.asOf, request.to) }
      let next_cursor: string | null = null
      if (limit !== undefined) {
        const moments = timelineMoments(claims, key, bounds)
        const last = moments[limit - 1]
        if (last !== undefined && moments.length > limit) {
          bounds.to = last
          next_cursor = encodeCursor([last])
        }
      }
      const directory = await directoryFor(claims, repos.sources, await repos.actors.tree())
      return { key, steps: figureTimeline(claims, key, directory, bounds), next_cursor }
    },
  }
}
