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
 *
 * Several processes on one PostgreSQL database (#15): the queue is the one
 * place where a block is recomputed, and the queued event's row is locked
 * (FOR UPDATE) from before its claims are read until the new block commits.
 * A writer queues an event before it changes anything else of it (queue,
 * then touch; several events in id order), so a write to the event waits
 * for a recomputation under way, and is queued again after it: nothing is
 * computed from half of a write, and no write is dropped from the queue by
 * a refresh that did not see it. The background slices take the rows with
 * SKIP LOCKED (two replicas never compute the same event at once); a reader
 * (GET /events) waits for them, so it reads blocks that count every write
 * acknowledged before it. The walk over stale summaries and the claims come
 * due go through the queue too. These units are not ordered (db/sql.ts): they
 * only recompute, and never wait for the writers' lock.
 */
import { performance } from 'node:perf_hooks'
import DataLoader from 'dataloader'
import { chunks, valuesOf } from '../db/chunks.js'
import { collatedText, jsonEachText, jsonTexts, lockRows } from '../db/dialect.js'
import type { Sql } from '../db/sql.js'
import { type DisputeRow, disputeOf } from '../engine/dispute.js'
import { summarizeEvent } from '../engine/event-summary.js'
import { nowIso } from '../lib/time.js'
import { type SummaryEvent, directoryFor, storeSummary, summaryDocument, summaryText } from '../schemas/summary-document.js'
import type { ActorsRepository } from './actors-repository.js'
import type { ClaimsRepository } from './claims-repository.js'
import { keptByEvent } from './kept-by-event.js'
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

/** Events a multi-row statement of queueMany queues (db/chunks). */
const QUEUE_CHUNK = 256

const UPSERT = `INSERT INTO event_disputes
  (event_id, level, level_rank, relative_spread, killed_low, killed_high, killed_counted, attribution_status, claims, computed_at)
VALUES (@event_id, @level, @level_rank, @relative_spread, @killed_low, @killed_high, @killed_counted, @attribution_status, @claims, @computed_at)
ON CONFLICT (event_id) DO UPDATE SET level = excluded.level, level_rank = excluded.level_rank, relative_spread = excluded.relative_spread,
  killed_low = excluded.killed_low, killed_high = excluded.killed_high, killed_counted = excluded.killed_counted,
  attribution_status = excluded.attribution_status, claims = excluded.claims, computed_at = excluded.computed_at`

const STORE = `INSERT INTO stored_summaries (event_id, head, tail, revision, directory, through, until, computed_at)
VALUES (@event_id, @head, @tail, @revision, @directory, @through, @until, @computed_at)
ON CONFLICT (event_id) DO UPDATE SET head = excluded.head, tail = excluded.tail, revision = excluded.revision,
  directory = excluded.directory, through = excluded.through, until = excluded.until, computed_at = excluded.computed_at`

export interface DisputeDeps {
  claims: Pick<ClaimsRepository, 'countedAt' | 'totalAt' | 'statedThrough' | 'statedAfter'>
  sources: Pick<SourcesRepository, 'directory' | 'revision'>
  actors: Pick<ActorsRepository, 'tree' | 'revision'>
}

/** How long a stored summary kept in memory is used before the change log is read again: other replicas write too (#15). */
export const STORED_RECHECK_MS = 250

/** Characters of stored summaries kept in memory (kept-by-event): 16 to 32 MiB, some 4,000 events of a few claims. */
const STORED_KEPT_CHARS = 16 * 1024 * 1024

/** How long a stored summary kept in memory stays unread. */
const STORED_KEPT_IDLE_MS = 60_000

type StoredRow = [head: string, tail: string, revision: number, directory: string, through: string | null, until: string | null]

/** Events recomputed per transaction by backfill and refreshAll (their ids are read first: no iterator is open while writing). */
const REFRESH_CHUNK = 1000

export function createDisputesRepository(sql: Sql, deps: DisputeDeps) {
  // One table, one row: a write to the event deletes its row (events-repository), so a row is of the current revision.
  // Raw (an array, no object per row): every summary and ETag "as of now" reads it.
  const stored = 'SELECT head, tail, revision, directory, through, until FROM stored_summaries WHERE event_id = ?'
  const storedMany = `SELECT event_id, head, tail, revision, directory, through, until FROM stored_summaries
    WHERE event_id IN (${jsonTexts(sql.dialect, '?')})`
  const revisionOf = 'SELECT revision FROM events WHERE id = ?'
  // Events in id order after a key, each with whether its stored summary no longer shows now (or was never stored).
  const walk = `SELECT e.id, CASE WHEN s.event_id IS NULL OR s.directory <> @directory OR s.until <= @now THEN 1 ELSE 0 END AS stale
    FROM events AS e LEFT JOIN stored_summaries AS s ON s.event_id = e.id
    WHERE e.id > @after ORDER BY e.id LIMIT @limit`
  const missing = 'SELECT e.id FROM events AS e WHERE NOT EXISTS (SELECT 1 FROM event_disputes AS d WHERE d.event_id = e.id) ORDER BY e.id'
  // Claims stated in (since, now] that their event's row did not count yet.
  const due = `SELECT DISTINCT c.event_id FROM claims AS c JOIN event_disputes AS d ON d.event_id = c.event_id
      WHERE c.stated_at > @since AND c.stated_at <= @now AND c.stated_at > d.computed_at ORDER BY c.event_id`
  // The actor and its descendants: a new parent changes the lineage of each. A scan of the
  // attribution claims, which is fine for what is rare (an actor moved in the tree).
  // Seeded with a text of the columns' collation: PostgreSQL refuses a recursive CTE whose terms' collations differ.
  const naming = `WITH RECURSIVE down(id) AS (SELECT ${collatedText(sql.dialect, '?')} UNION SELECT a.id FROM actors AS a JOIN down ON a.parent_id = down.id)
      SELECT DISTINCT c.event_id FROM claims AS c, ${jsonEachText(sql.dialect, 'c.actor_ids', 'j')}
      WHERE c.kind = 'attribution' AND j.value IN (SELECT id FROM down) ORDER BY c.event_id`

  /** When a write last queued an event (ms since the epoch): the background refresher lets writes settle first. */
  let lastQueued = 0
  // The rows read for "now" (nowState), kept between requests: a write drops them (events-repository touch).
  const keptStored = keptByEvent<StoredRow>(sql, {
    everyMs: STORED_RECHECK_MS,
    maxWeight: STORED_KEPT_CHARS,
    idleMs: STORED_KEPT_IDLE_MS,
    weigh: (row) => row[0].length + row[1].length,
  })

  // On PostgreSQL, the rows not kept are read together: the requests of one turn of the event loop (the ones a poll
  // of the sockets brought) share one statement, as a round trip costs the process more than the row (~45 µs of
  // CPU). Not on SQLite, whose read is a call with no wait: the turn's wait was all cost (p99 ×2, measured).
  const storedLoader = new DataLoader<string, StoredRow | undefined>(
    async (ids) => {
      const rows = await sql.rows<[string, ...StoredRow]>(storedMany, [JSON.stringify(ids)])
      const byId = new Map(rows.map(([id, ...row]) => [id, row]))
      return ids.map((id) => byId.get(id))
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run), maxBatchSize: 500 },
  )
  /** The event's stored row: in the turn's batch on PostgreSQL outside a unit of work (a unit reads on its own connection). */
  async function storedRow(eventId: string): Promise<StoredRow | undefined> {
    return sql.dialect === 'postgres' && sql.unit === null ? storedLoader.load(eventId) : (await sql.rows<StoredRow>(stored, [eventId]))[0]
  }

  /** Every claim stated by `at` has been counted in every row (null: not known yet). */
  let caughtUp = 0
  let countedUpTo: string | null = null

  /** What a stored summary was computed from besides the event: the names and the tree of sources and actors. */
  async function directoryStamp(): Promise<string> {
    return `${await deps.sources.revision()}|${await deps.actors.revision()}`
  }

  /** The event's block, and its whole summary as of `at`, stored for "now" (storedNow). */
  async function compute(eventId: string, at: string): Promise<{ block: DisputeRow; summary: StoredSummaryRow }> {
    // The stamp before the names it stamps: a directory changed meanwhile (another replica's write seen by the
    // recheck between two reads) leaves the row stamped older than its names, stale and computed again, never
    // newer names' stamp on older names, which every replica would serve as current.
    const directoryStamped = await directoryStamp()
    const set = await deps.claims.countedAt(eventId, at)
    const event = (await sql.get<{ id: string; title: string; occurred_on: string; location: string | null; revision: number }>(
      'SELECT id, title, occurred_on, location, revision FROM events WHERE id = ?',
      [eventId],
    )) as { id: string; title: string; occurred_on: string; location: string | null; revision: number }
    const head: SummaryEvent = {
      ...event,
      location: event.location === null ? null : (JSON.parse(event.location) as SummaryEvent['location']),
    }
    const directory = await directoryFor(set.counted, deps.sources, await deps.actors.tree())
    const doc = summaryDocument(head, set, await deps.claims.totalAt(eventId), at, null, directory)
    const text = storeSummary(doc)
    // The document shows "now" until the next of the event's claims is stated.
    const through = await deps.claims.statedThrough(eventId, at)
    const until = await deps.claims.statedAfter(eventId, at)
    return {
      block: disputeOf(eventId, doc, at),
      summary: { event_id: eventId, ...text, revision: event.revision, directory: directoryStamped, through, until, computed_at: at },
    }
  }

  async function upsert(eventId: string, at: string): Promise<void> {
    const { block, summary } = await compute(eventId, at)
    await sql.run(UPSERT, block)
    await sql.run(STORE, summary)
  }

  /** Recomputes an event whose queue row the unit holds locked, and takes it off the queue. */
  async function refreshLocked(eventId: string, at: string): Promise<void> {
    await upsert(eventId, at)
    await sql.run('DELETE FROM dispute_queue WHERE event_id = ?', [eventId])
  }

  /** Recomputes the given events, a chunk per transaction: at start (backfill) and for benches, when no write runs beside it. */
  async function refreshMany(ids: readonly string[]): Promise<number> {
    for (let from = 0; from < ids.length; from += REFRESH_CHUNK) {
      await sql.transaction(
        async () => {
          const at = nowIso()
          for (const id of ids.slice(from, from + REFRESH_CHUNK)) await upsert(id, at)
        },
        { ordered: false },
      )
    }
    return ids.length
  }

  // The queue's rows in id order, locked: waiting for a refresh under way (a reader), or passing it by (the background).
  const queuedAll = `SELECT event_id FROM dispute_queue ORDER BY event_id${lockRows(sql.dialect, 'wait')}`
  const queuedSome = `SELECT event_id FROM dispute_queue ORDER BY event_id LIMIT ?${lockRows(sql.dialect, 'skip')}`
  const anyQueued = 'SELECT 1 FROM dispute_queue LIMIT 1'
  const enqueueRows = (n: number) =>
    `INSERT INTO dispute_queue (event_id) VALUES ${valuesOf(n, '(?)')} ON CONFLICT (event_id) DO UPDATE SET event_id = excluded.event_id`
  const enqueue = enqueueRows(1)

  /** Queues the events (id order), in a unit of their own: what the walk and the claims come due hand to the queue. */
  async function enqueueAll(ids: readonly string[]): Promise<void> {
    await sql.transaction(
      async () => {
        for (const id of [...ids].sort()) await sql.run(enqueue, [id])
      },
      { ordered: false },
    )
  }

  /**
   * Refreshes up to `limit` queued blocks (all when negative: a reader, who
   * waits for refreshes under way), in one transaction, stopping once
   * `budgetMs` is spent (after one at least). Returns how many.
   */
  async function refreshQueuedUpTo(limit: number, budgetMs = Infinity, at?: string): Promise<number> {
    // Nothing queued, the common case: one read and no unit. A row being refreshed elsewhere is still there (it is
    // deleted when its refresh commits), so the unit below waits for it.
    if ((await sql.value(anyQueued)) === undefined) return 0
    return sql.transaction(
      async () => {
        const started = performance.now()
        const ids = await sql.values<string>(limit < 0 ? queuedAll : queuedSome, limit < 0 ? [] : [limit])
        at ??= nowIso()
        let done = 0
        for (const id of ids) {
          await refreshLocked(id, at)
          done++
          if (performance.now() - started >= budgetMs) break
        }
        return done
      },
      { ordered: false },
    )
  }

  return {
    directoryStamp,

    /** Inside the unit of work that changes these events (events-repository touch): their rows kept for "now" go when it commits. */
    storedWritten: keptStored.written,

    /** Another connection of this process (the SQLite bulk worker) has written: the next "now" read looks at the change log first. */
    wroteElsewhere: keptStored.wroteElsewhere,

    /** A new event's row (events-repository create): the block of a summary of no claims. */
    async recordEmpty(eventId: string, at: string): Promise<void> {
      await sql.run(UPSERT, disputeOf(eventId, summarizeEvent([], at, { sources: new Map(), actors: new Map() }), at))
    },

    /**
     * Marks the event's block and stored summary out of date; the next reader
     * refreshes them (refreshQueued). The one way in: a write to the event's
     * claims (claims-service) or to its own fields (events-repository: its
     * title shows in the summary).
     */
    async queue(eventId: string): Promise<void> {
      // An update when queued already: it waits for a refresh of the event under way, and queues it again after.
      await sql.run(enqueue, [eventId])
      lastQueued = Date.now()
    },

    /**
     * queue for several events, in id order, a few multi-row statements
     * (db/chunks) however many: bulk ingest's. Each row is locked in the
     * statement's order, as one queue after another would.
     */
    async queueMany(eventIds: readonly string[]): Promise<void> {
      for (const chunk of chunks([...new Set(eventIds)].sort(), QUEUE_CHUNK)) await sql.run(enqueueRows(chunk.length), chunk)
      lastQueued = Date.now()
    },

    /** Milliseconds since a write last queued an event. */
    sinceLastQueued(): number {
      return Date.now() - lastQueued
    },

    /** Refreshes every queued block, in one transaction. Returns how many. */
    refreshQueued(): Promise<number> {
      return refreshQueuedUpTo(-1) // no limit
    },

    /**
     * Refreshes at most `limit` queued blocks, and no more once `budgetMs`
     * is spent (the background refresher, a slice at a time). Returns how many.
     */
    refreshSomeQueued(limit: number, budgetMs?: number): Promise<number> {
      return refreshQueuedUpTo(limit, budgetMs)
    },

    /** At start: a row for every event that lacks one (a database written by other means). Returns how many. */
    async backfill(): Promise<number> {
      return refreshMany(await sql.values<string>(missing))
    },

    /** Recomputes every event's row (bench/data.ts, after writing claims straight through SQL). Returns how many. */
    async refreshAll(): Promise<number> {
      return refreshMany(await sql.values<string>('SELECT id FROM events ORDER BY id'))
    },

    /**
     * A slice of a walk over every event, in id order after `after`:
     * visits up to `visit` events and recomputes those (at most `limit`)
     * whose stored summary no longer shows now — none stored yet, the event
     * or the directory changed since, or a claim came due. Returns where to
     * go on from, or null at the end.
     */
    async refreshStale(after: string, limit: number, visit: number = 20 * limit): Promise<string | null> {
      const rows = await sql.all<{ id: string; stale: 0 | 1 }>(walk, {
        after,
        directory: await directoryStamp(),
        now: nowIso(),
        limit: visit,
      })
      const ids: string[] = []
      let last: string | null = null
      for (const row of rows) {
        last = row.id
        if (row.stale === 1) ids.push(row.id)
        if (ids.length === limit) break
      }
      if (ids.length > 0) {
        await enqueueAll(ids)
        await refreshQueuedUpTo(ids.length)
      }
      return rows.length < visit && ids.length < limit ? null : last
    },

    /**
     * The event's summary as of now, from the stored document, or null when
     * it does not show now (the event, its claims or the directory changed
     * since it was stored, or a claim stated after it has come due) or there
     * is none: the caller computes it then.
     */
    async storedNow(eventId: string, now: string): Promise<string | null> {
      return (await this.nowState(eventId, now))?.summary ?? null
    },

    /**
     * The event as of `now`, in one read: what its views' ETags depend on
     * (its revision, and the latest stated_at of its claims by then — the
     * stored summary's while it shows now, else sought in the claims)
     * and the stored summary when it shows now. Null for an unknown event.
     * `stamp`: the directory stamp, when the caller has read it already.
     */
    async nowState(eventId: string, now: string, stamp?: string): Promise<NowState | null> {
      const row = await keptStored.get(eventId, () => storedRow(eventId))
      // Shows now while no claim stated after it has come due.
      if (row !== undefined && (row[5] === null || row[5] > now)) {
        const [head, tail, revision, directory, through] = row
        const current = stamp ?? (await directoryStamp())
        if (directory === current) return { revision, through, summary: summaryText({ head, tail }, now) }
        keptStored.drop(eventId) // the refresher stores it anew, with these names
        return { revision, through, summary: null }
      }
      if (row !== undefined) keptStored.drop(eventId) // the refresher stores it anew, counting the claim come due
      const revision = await sql.value<number>(revisionOf, [eventId])
      return revision === undefined ? null : { revision, through: await deps.claims.statedThrough(eventId, now), summary: null }
    },

    /**
     * Events whose claims name the actor or a descendant of it: after a new
     * parent (§5 walks ancestors), inside the write, each under its queue
     * row's lock (queued, recomputed, taken off the queue).
     */
    async refreshNaming(actorId: string): Promise<number> {
      const ids = await sql.values<string>(naming, [actorId])
      const at = nowIso()
      for (const id of ids) {
        await sql.run(enqueue, [id]) // queued, so locked: a refresh of it elsewhere is waited for
        await refreshLocked(id, at)
      }
      return ids.length
    },

    /** The caveat above: refreshes the events with a claim whose stated_at has passed since their row was computed. */
    async refreshDue(now: string = nowIso()): Promise<number> {
      await this.refreshQueued()
      const since = countedUpTo ?? (await sql.value<string | null>('SELECT MIN(computed_at) FROM event_disputes')) ?? null
      // No row yet: nothing can be due. A clock set back: nothing to do until it passes `since` again.
      if (since === null) countedUpTo = now
      if (since === null || since >= now) return 0
      const ids = await sql.values<string>(due, { since, now })
      if (ids.length > 0) {
        await enqueueAll(ids)
        await refreshQueuedUpTo(-1, Infinity, now)
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
