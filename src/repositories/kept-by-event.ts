/**
 * Rows of an event kept in memory between requests, for the reads that every
 * request "as of now" makes (the stored summary and what the event's ETag is
 * made of: disputes-repository nowState) and that change only with a write
 * to the event (#15). On PostgreSQL each such read is a round trip, the most
 * a summary read costs; kept, a dashboard polling the same events costs none.
 *
 * What is kept is only ever what is committed, and a write is seen:
 *   - by this process at once: a unit of work that changes an event drops it
 *     when the unit commits (`written`, from events-repository touch), and
 *     another connection of this process (the SQLite bulk worker) makes the
 *     next read look at the change log first (`wroteElsewhere`);
 *   - by every other process within `everyMs`: a read more than `everyMs`
 *     after the last look reads the change log past what it has seen (one
 *     indexed read, whoever wrote) and drops the events named there. Writers
 *     take turns (db/pg/sql.ts ordered units), so the log grows as a prefix:
 *     a seq past the one seen is never committed before it;
 *   - never by halves: a row read while a look or a commit dropped the same
 *     kind of row is used, not kept (it may be older than the drop).
 * Reads inside a unit of work neither use nor keep anything: a unit sees its
 * own writes.
 *
 * At most `maxWeight` is kept (the rows' own measure, e.g. characters), and a
 * row not used for `idleMs` is dropped at the next look. A row read while
 * the rest is full is not kept, rather than putting out the least recently
 * used: reads spread evenly over more events than fit would otherwise replace
 * a kept row on most requests, and every replaced row is garbage the
 * collector finds in its old space (measured on SQLite: fewer requests/s than
 * keeping nothing, and 130 MiB more resident).
 */
import type { Sql } from '../db/sql.js'
import { latestSeq } from './changes-repository.js'

export interface KeptByEvent<T> {
  /** The event's row: the kept one, or `read()`'s (kept when it is defined and nothing dropped meanwhile). */
  get(eventId: string, read: () => Promise<T | undefined>): Promise<T | undefined>
  /** Forgets the event's kept row (found not to serve any more: the caller reads it again next time). */
  drop(eventId: string): void
  /** Inside the unit of work that changes these events: their rows are dropped when it commits. */
  written(eventIds: readonly string[]): void
  /** Another connection of this process has committed writes: the next read looks at the change log first. */
  wroteElsewhere(): void
}

/** Changes read per look; past that many, everything kept is dropped (a burst of writes: cheaper than reading them all). */
const LOOK_LIMIT = 1000

export interface KeptByEventOptions<T> {
  /** How long a look at the change log serves (ms): other processes' writes are seen within that. */
  everyMs: number
  /** How much is kept at most, in `weigh`'s measure. */
  maxWeight: number
  /** How long a kept row unused stays (ms). */
  idleMs: number
  weigh(row: T): number
}

export function keptByEvent<T>(sql: Sql, options: KeptByEventOptions<T>): KeptByEvent<T> {
  /** In the order of last use, least recent first. */
  const kept = new Map<string, { row: T; weight: number; usedAt: number }>()
  let weight = 0
  /** The latest change seq looked at; null before the first look. */
  let seen: number | null = null
  /** When the last look started (ms since the epoch): kept rows are current as of then. */
  let lookedAt = 0
  let looking: Promise<void> | null = null
  /** Bumped by every drop a write causes: a row read across one is not kept. */
  let generation = 0

  function forget(eventId: string): void {
    const entry = kept.get(eventId)
    if (entry === undefined) return
    kept.delete(eventId)
    weight -= entry.weight
  }

  function forgetAll(): void {
    kept.clear()
    weight = 0
  }

  /** Drops the rows unused since `idleMs` before `now`: the first ones in the map's order. */
  function forgetIdle(now: number): void {
    for (const [id, entry] of kept) {
      if (entry.usedAt > now - options.idleMs) return
      forget(id)
    }
  }

  async function look(): Promise<void> {
    const started = Date.now()
    forgetIdle(started)
    if (seen === null) {
      seen = await latestSeq(sql)
    } else {
      const rows = await sql.rows<[seq: number, eventId: string | null]>(
        'SELECT seq, event_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
        [seen, LOOK_LIMIT + 1],
      )
      if (rows.length > LOOK_LIMIT) {
        forgetAll()
        seen = await latestSeq(sql)
      } else {
        for (const [seq, eventId] of rows) {
          if (eventId !== null) forget(eventId)
          seen = seq
        }
      }
      if (rows.length > 0) generation++
    }
    lookedAt = started
  }

  async function current(): Promise<void> {
    if (Date.now() - lookedAt < options.everyMs) return
    looking ??= look().finally(() => {
      looking = null
    })
    await looking
  }

  return {
    async get(eventId, read) {
      if (sql.unit !== null) return read()
      await current()
      const entry = kept.get(eventId)
      if (entry !== undefined) {
        kept.delete(eventId) // most recently used last
        kept.set(eventId, entry)
        entry.usedAt = Date.now()
        return entry.row
      }
      const before = generation
      const row = await read()
      if (row !== undefined && before === generation && !kept.has(eventId)) {
        const entryWeight = options.weigh(row)
        if (weight + entryWeight <= options.maxWeight) {
          kept.set(eventId, { row, weight: entryWeight, usedAt: Date.now() })
          weight += entryWeight
        }
      }
      return row
    },

    drop: forget,

    written(eventIds) {
      sql.onTransactionEnd((committed) => {
        if (!committed) return
        for (const id of eventIds) forget(id)
        generation++
      })
    },

    wroteElsewhere() {
      lookedAt = 0
    },
  }
}
