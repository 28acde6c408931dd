/** GET /events/{id}/summary and GET /summaries: load, hand to the engine, shape (contract §6, §10). */
import { type EventSummary, summarizeCounted } from '../engine/event-summary.js'
import type { GroupEstimate } from '../engine/estimate.js'
import type { ActorInfo, Metric } from '../engine/types.js'
import type { Page } from '../lib/pages.js'
import { directoryFor, summaryDocument } from '../schemas/summary-document.js'
import { nowIso } from '../lib/time.js'
import type { EventHead } from '../repositories/events-repository.js'
import type { Repositories } from './claims-service.js'
import type { SummaryRowOut } from '../schemas/summary-rows.js'
import type { EventSummaryOut } from '../schemas/summary.js'

/** One row per figure group (contract §10), in the summary's order of groups, with the moment it is computed as of. */
export function summaryRows(event: EventHead, summary: Pick<EventSummary, 'figures' | 'attribution'>, asOf: string): SummaryRowOut[] {
  return summary.figures.map((f) => ({
    event_id: event.id,
    event_title: event.title,
    occurred_on: event.occurred_on,
    metric: f.metric,
    population: f.population,
    party: f.party,
    sources: f.sources,
    range_low: f.range.low,
    range_high: f.range.high,
    median: f.points.median,
    level: f.disagreement.level,
    spread: f.disagreement.spread,
    ratio: f.disagreement.ratio,
    relative_spread: f.disagreement.relative_spread,
    attribution_status: summary.attribution.status,
    as_of: asOf,
  }))
}

/** Summaries kept in memory (least recently used dropped first): a few MiB. */
export const SUMMARY_CACHE_SIZE = 2000

export function createSummaryService(repos: Repositories) {
  const cache = new Map<string, { stamp: string; summary: EventSummaryOut }>()

  /** The event's summary as of `asOf`, less its document's frame: from the counted set, sought. */
  async function compute(eventId: string, asOf: string, actors: ReadonlyMap<string, ActorInfo>): Promise<EventSummary> {
    const { counted } = await repos.claims.countedAt(eventId, asOf)
    return summarizeCounted(counted, await repos.claims.totalAt(eventId), await directoryFor(counted, repos.sources, actors))
  }

  return {
    /**
     * Contract §6, with `known_at` (§11) and warnings; `asOf` undefined means now.
     * Summaries are cached in memory, each stamped with what it was computed
     * from — the event's revision (bumped by every write to it or its claims),
     * the sources' and actors' revisions, and for "now" the latest stated_at
     * by then (which claims are stated) — so a write invalidates exactly
     * what it changes.
     */
    async summarize(eventId: string, asOf?: string, knownAt?: string): Promise<EventSummaryOut> {
      const moment = asOf ?? nowIso()
      const revision = await repos.events.revisionOf(eventId)
      if (revision === undefined) await repos.events.require(eventId) // the 404
      const through = asOf === undefined ? await repos.claims.statedThrough(eventId, moment) : ''
      const stamp = `${revision}:${await repos.sources.revision()}:${await repos.actors.revision()}:${through}`
      const key = `${eventId}\u0000${asOf ?? 'now'}\u0000${knownAt ?? ''}`
      const hit = cache.get(key)
      if (hit && hit.stamp === stamp) {
        cache.delete(key) // most recently used last
        cache.set(key, hit)
        return { ...hit.summary, as_of: moment }
      }
      const event = await repos.events.require(eventId)
      const set = await repos.claims.countedAt(eventId, moment, knownAt)
      const total = await repos.claims.totalAt(eventId, knownAt)
      const directory = await directoryFor(set.counted, repos.sources, await repos.actors.tree())
      const summary = summaryDocument(event, set, total, moment, knownAt ?? null, directory)
      cache.delete(key)
      cache.set(key, { stamp, summary })
      if (cache.size > SUMMARY_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
      return summary
    },

    /**
     * The summary as of now, serialized, when the document stored by the
     * last refresh of the event's dispute block still shows now (no write to
     * the event, its claims, sources or actors since, and no claim come due):
     * a read and a splice instead of the engine and the serializer. Null
     * otherwise; `summarize` computes it then.
     */
    storedNow(eventId: string): Promise<string | null> {
      return repos.disputes.storedNow(eventId, nowIso())
    },

    /**
     * GET /summaries: the rows of at most `limit` events (in id order) with a
     * figure group as of `asOf`; the cursor is the last event's.
     */
    async rowsPage(opts: {
      asOf: string
      metric?: Metric | undefined
      cursor?: string | undefined
      limit: number
      /** Adds each group's bias-aware estimate (#16): the event's estimates as of `asOf`, by group. */
      adjusted?: ((eventId: string) => Promise<GroupEstimate[]>) | undefined
    }): Promise<Page<SummaryRowOut>> {
      const events = await repos.events.pageWithFigures(opts)
      const actors = await repos.actors.tree()
      const items: SummaryRowOut[] = []
      for (const event of events.items) {
        const estimates = opts.adjusted === undefined ? null : await opts.adjusted(event.id)
        for (const row of summaryRows(event, await compute(event.id, opts.asOf, actors), opts.asOf)) {
          if (opts.metric !== undefined && row.metric !== opts.metric) continue
          const estimate = estimates?.find((e) => e.metric === row.metric && e.population === row.population && e.party === row.party)
          // The row's own fields, the estimate's, then as_of: the order of the columns.
          const { as_of, ...fields } = row
          items.push(
            estimate === undefined
              ? row
              : {
                  ...fields,
                  adjusted_value: estimate.adjusted.value,
                  adjusted_low: estimate.adjusted.low,
                  adjusted_high: estimate.adjusted.high,
                  as_of,
                },
          )
        }
      }
      return { items, next_cursor: events.next_cursor }
    },
  }
}

export type SummaryService = ReturnType<typeof createSummaryService>
