/**
 * The store of each event's dispute block (contract §10) and its queue:
 * blocks are kept in `event_disputes` so that GET /events (event-list-query)
 * filters and sorts on them without summarising every event. The block's
 * rules are the engine's (engine/dispute).
 *
 * The row is the event's summary as of the moment it was computed
 * (`computed_at`), reduced to the block: every write to an event's claims
 * (claims-service recordAll and retract) or fields (events-repository)
 * queues the event (`queue`, into dispute_queue), and the next reader of the
 * blocks (GET /events, the landing page) or the background refresher
 * recomputes it; an event is created with an empty one, and a new parent of
 * an actor refreshes the events that name it or a descendant at once
 * (refreshNaming, from services/with-dispute-refresh: the attribution status
 * walks ancestors, §5). Names of sources and actors are not in the block.
 *
 * The same computation stores the whole summary document beside the block
 * (stored_summaries, see nowState): that one shows names, so it also records
 * the directory it was rendered with.
 *
 * Caveat: a claim stated after the moment of the write (stated_at in the
 * future) does not count yet; it starts counting when its stated_at passes,
 * with no write to tell. `refreshDue` catches up on those: GET /events calls
 * it before reading, and it refreshes only the events that have a claim
 * stated between their row's `computed_at` and now (a range on the
 * claims_stated_idx index, normally empty).
 */
import { performance } from 'node:perf_hooks'
import type { Db } from '../db/client.js'
import { type DisputeRow, disputeOf } from '../engine/dispute.js'
import { summarizeEvent } from '../engine/event-summary.js'
import { nowIso } from '../lib/time.js'
import { type SummaryEvent, directoryFor, storeSummary, summaryDocument, summaryText } from '../schemas/summary-document.js'
import type { ActorsRepository } from './actors-repository.js'
import type { ClaimsRepository } from './claims-repository.js'
import { inTransaction } from './records.js'
import type { SourcesRepository } from './sources-repository.js'

/** An event as of a moment "now" (nowState). */
export interface NowState {
  revision: number
  /** The latest stated_at of its claims by then (null: none): which of them count. */
  through: string | null
  /** Its summary as of then, serialized, when the stored one shows then; else null. */
  summary: string | null
}

/** A row of stored_summaries: the "now" summary beside the block (see storedNow). */
interface StoredSummaryRow {
  event_id: string
  head: string
  tail: string
  revision: number
  directory: string
  through: string | null
  until: string | null
  computed_at: string
}

const UPSERT = `INSERT INTO event_disputes
  (event_id, level, level_rank, relative_spread, killed_low, killed_high, killed_counted, attribution_status, claims, computed_at)
VALUES (@event_id, @level, @level_rank, @relative_spread, @killed_low, @killed_high, @killed_counted, @attribution_status, @claims, @computed_at)
ON CONFLICT (event_id) DO UPDATE SET level = excluded.level, level_rank = excluded.level_rank, relative_spread = excluded.relative_spread,
  killed_low = excluded.killed_low, killed_high = excluded.killed_high, killed_counted = excluded.killed_counted,
  attribution_status = excluded.attribution_status, claims = excluded.claims, computed_at = excluded.computed_at`

const STORE = `INSERT OR REPLACE INTO stored_summaries (event_id, head, tail, revision, directory, through, until, computed_at)
VALUES (@event_id, @head, @tail, @revision, @directory, @through, @until, @computed_at)`

export interface DisputeDeps {
  claims: Pick<ClaimsRepository, 'countedAt' | 'totalAt' | 'statedThrough' | 'statedAfter'>
  sources: Pick<SourcesRepository, 'directory' | 'revision'>
  actors: Pick<ActorsRepository, 'tree' | 'revision'>
}

/** Events recomputed per transaction by backfill and refreshAll (their ids are read first: no iterator is open while writing). */
const REFRESH_CHUNK = 1000

export function createDisputesRepository(db: Db, deps: DisputeDeps) {
  const sqlite = db.$client
  const upsertBlock = sqlite.prepare(UPSERT)
  const store = sqlite.prepare(STORE)
  const enqueue = sqlite.prepare('INSERT OR IGNORE INTO dispute_queue (event_id) VALUES (?)')
  const queued = sqlite.prepare('SELECT event_id FROM dispute_queue ORDER BY event_id LIMIT ?').pluck()
  const dequeue = sqlite.prepare('DELETE FROM dispute_queue WHERE event_id = ?')
  const eventHead = sqlite.prepare('SELECT id, title, occurred_on, location, revision FROM events WHERE id = ?')
  // One table, one row: a write to the event deletes its row (events-repository), so a row is of the current revision.
  // Raw (an array, no object per row): every summary and ETag "as of now" reads it.
  const stored = sqlite.prepare('SELECT head, tail, revision, directory, through, until FROM stored_summaries WHERE event_id = ?').raw()
  const revisionOf = sqlite.prepare('SELECT revision FROM events WHERE id = ?').pluck()
  // Events in id order after a key, each with whether its stored summary no longer shows now (or was never stored).
  const walk = sqlite.prepare(`SELECT e.id, (s.event_id IS NULL OR s.directory <> @directory OR s.until <= @now) AS stale
    FROM events AS e LEFT JOIN stored_summaries AS s ON s.event_id = e.id
    WHERE e.id > @after ORDER BY e.id LIMIT @limit`)
  const missing = sqlite
    .prepare('SELECT e.id FROM events AS e WHERE NOT EXISTS (SELECT 1 FROM event_disputes AS d WHERE d.event_id = e.id) ORDER BY e.id')
    .pluck()
  const everyEvent = sqlite.prepare('SELECT id FROM events ORDER BY id').pluck()
  const oldest = sqlite.prepare('SELECT MIN(computed_at) FROM event_disputes').pluck()
  // Claims stated in (since, now] that their event's row did not count yet.
  const due = sqlite
    .prepare(
      `SELECT DISTINCT c.event_id FROM claims AS c JOIN event_disputes AS d ON d.event_id = c.event_id
      WHERE c.stated_at > @since AND c.stated_at <= @now AND c.stated_at > d.computed_at`,
    )
    .pluck()
  // The actor and its descendants: a new parent changes the lineage of each. A scan of the
  // attribution claims, which is fine for what is rare (an actor moved in the tree).
  const naming = sqlite
    .prepare(
      `WITH RECURSIVE down(id) AS (SELECT ? UNION SELECT a.id FROM actors AS a JOIN down ON a.parent_id = down.id)
      SELECT DISTINCT c.event_id FROM claims AS c, json_each(c.actor_ids) AS j
      WHERE c.kind = 'attribution' AND j.value IN (SELECT id FROM down)`,
    )
    .pluck()

  /** When a write last queued an event (ms since the epoch): the background refresher lets writes settle first. */
  let lastQueued = 0
  /** Every claim stated by `at` has been counted in every row (null: not known yet). */
  let caughtUp = 0
  let countedUpTo: string | null = null

  /** What a stored summary was computed from besides the event: the names and the tree of sources and actors. */
  function directoryStamp(): string {
    return `${deps.sources.revision()}|${deps.actors.revision()}`
  }

  /** The event's block, and its whole summary as of `at`, stored for "now" (storedNow). */
  function compute(eventId: string, at: string): { block: DisputeRow; summary: StoredSummaryRow } {
    const set = deps.claims.countedAt(eventId, at)
    const event = eventHead.get(eventId) as { id: string; title: string; occurred_on: string; location: string | null; revision: number }
    const head: SummaryEvent = {
      ...event,
      location: event.location === null ? null : (JSON.parse(event.location) as SummaryEvent['location']),
    }
    const directory = directoryFor(set.counted, deps.sources, deps.actors.tree())
    const doc = summaryDocument(head, set, deps.claims.totalAt(eventId), at, null, directory)
    const text = storeSummary(doc)
    // The document shows "now" until the next of the event's claims is stated.
    const through = deps.claims.statedThrough(eventId, at)
    const until = deps.claims.statedAfter(eventId, at)
    return {
      block: disputeOf(eventId, doc, at),
      summary: { event_id: eventId, ...text, revision: event.revision, directory: directoryStamp(), through, until, computed_at: at },
    }
  }

  function upsert(eventId: string, at: string): void {
    const { block, summary } = compute(eventId, at)
    upsertBlock.run(block)
    store.run(summary)
  }

  /** Recomputes the given events, a chunk per transaction. */
  function refreshMany(ids: readonly string[]): number {
    for (let from = 0; from < ids.length; from += REFRESH_CHUNK) {
      inTransaction(db, () => {
        const at = nowIso()
        for (const id of ids.slice(from, from + REFRESH_CHUNK)) upsert(id, at)
      })
    }
    return ids.length
  }

  /**
   * Refreshes up to `limit` queued blocks, in one transaction, stopping
   * once `budgetMs` is spent (after one at least). Returns how many.
   */
  function refreshQueuedUpTo(limit: number, budgetMs = Infinity): number {
    return inTransaction(db, () => {
      const started = performance.now()
      const ids = queued.all(limit) as string[]
      const at = nowIso()
      let done = 0
      for (const id of ids) {
        upsert(id, at)
        dequeue.run(id)
        done++
        if (performance.now() - started >= budgetMs) break
      }
      return done
    })
  }

  return {
    directoryStamp,

    /** A new event's row (events-repository create): the block of a summary of no claims. */
    recordEmpty(eventId: string, at: string): void {
      upsertBlock.run(disputeOf(eventId, summarizeEvent([], at, { sources: new Map(), actors: new Map() }), at))
    },

    /**
     * Marks the event's block and stored summary out of date; the next reader
     * refreshes them (refreshQueued). The one way in: a write to the event's
     * claims (claims-service) or to its own fields (events-repository: its
     * title shows in the summary).
     */
    queue(eventId: string): void {
      enqueue.run(eventId)
      lastQueued = Date.now()
    },

    /** Milliseconds since a write last queued an event. */
    sinceLastQueued(): number {
      return Date.now() - lastQueued
    },

    /** Refreshes every queued block, in one transaction. Returns how many. */
    refreshQueued(): number {
      return refreshQueuedUpTo(-1) // LIMIT -1: no limit
    },

    /**
     * Refreshes at most `limit` queued blocks, and no more once `budgetMs`
     * is spent (the background refresher, a slice at a time). Returns how many.
     */
    refreshSomeQueued(limit: number, budgetMs?: number): number {
      return refreshQueuedUpTo(limit, budgetMs)
    },

    refreshDispute(eventId: string): void {
      upsert(eventId, nowIso())
    },

    /** At start: a row for every event that lacks one (a database written by other means). Returns how many. */
    backfill(): number {
      return refreshMany(missing.all() as string[])
    },

    /** Recomputes every event's row (bench/data.ts, after writing claims straight through SQL). Returns how many. */
    refreshAll(): number {
      return refreshMany(everyEvent.all() as string[])
    },

    /**
     * A slice of a walk over every event, in id order after `after`:
     * visits up to `visit` events and recomputes those (at most `limit`)
     * whose stored summary no longer shows now — none stored yet, the event
     * or the directory changed since, or a claim came due. Returns where to
     * go on from, or null at the end.
     */
    refreshStale(after: string, limit: number, visit: number = 20 * limit): string | null {
      const rows = walk.all({ after, directory: directoryStamp(), now: nowIso(), limit: visit }) as Array<{ id: string; stale: 0 | 1 }>
      const ids: string[] = []
      let last: string | null = null
      for (const row of rows) {
        last = row.id
        if (row.stale === 1) ids.push(row.id)
        if (ids.length === limit) break
      }
      refreshMany(ids)
      return rows.length < visit && ids.length < limit ? null : last
    },

    /**
     * The event's summary as of now, from the stored document, or null when
     * it does not show now (the event, its claims or the directory changed
     * since it was stored, or a claim stated after it has come due) or there
     * is none: the caller computes it then.
     */
    storedNow(eventId: string, now: string): string | null {
      return this.nowState(eventId, now)?.summary ?? null
    },

    /**
     * The event as of `now`, in one read: what its views' ETags depend on
     * (its revision, and the latest stated_at of its claims by then — the
     * stored summary's while it shows now, else sought in the claims)
     * and the stored summary when it shows now. Null for an unknown event.
     */
    nowState(eventId: string, now: string): NowState | null {
      const row = stored.get(eventId) as
        [head: string, tail: string, revision: number, directory: string, through: string | null, until: string | null] | undefined
      // Shows now while no claim stated after it has come due.
      if (row !== undefined && (row[5] === null || row[5] > now)) {
        const [head, tail, revision, directory, through] = row
        return { revision, through, summary: directory === directoryStamp() ? summaryText({ head, tail }, now) : null }
      }
      const revision = revisionOf.get(eventId) as number | undefined
      return revision === undefined ? null : { revision, through: deps.claims.statedThrough(eventId, now), summary: null }
    },

    /** Events whose claims name the actor or a descendant of it: after a new parent (§5 walks ancestors). */
    refreshNaming(actorId: string): number {
      const ids = naming.all(actorId) as string[]
      for (const id of ids) this.refreshDispute(id)
      return ids.length
    },

    /** The caveat above: refreshes the events with a claim whose stated_at has passed since their row was computed. */
    refreshDue(now: string = nowIso()): number {
      this.refreshQueued()
      const since = countedUpTo ?? (oldest.get() as string | null)
      // No row yet: nothing can be due. A clock set back: nothing to do until it passes `since` again.
      if (since === null) countedUpTo = now
      if (since === null || since >= now) return 0
      const ids = due.all({ since, now }) as string[]
      if (ids.length > 0) {
        inTransaction(db, () => {
          for (const id of ids) upsert(id, now)
        })
        caughtUp++
      }
      countedUpTo = now
      return ids.length
    },

    /** Bumped each time refreshDue changes a block with no write behind it: part of the lists' ETags. */
    catchUps(): number {
      return caughtUp
    },
  }
}

export type DisputesRepository = ReturnType<typeof createDisputesRepository>
