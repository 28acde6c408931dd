/**
 * The change feed (contract §11): the `changes` table read in `seq` order.
 * Every write appends its row through `recordChange` (records.ts) in the same
 * transaction as the write itself.
 *
 * Why reading "seq > watermark" never skips a row, however the reads and the
 * writes interleave: `seq` is chosen inside the write transaction, and the
 * writers of the change log take turns (db/sql.ts, ordered units): SQLite
 * lets one writer at a time hold the database (in this process, and across
 * processes sharing the file); on PostgreSQL, whose identity values are
 * handed out at insert and not at commit, every ordered unit takes one
 * advisory lock before anything else, however many replicas share the
 * database (db/pg/sql.ts). So rows commit in seq order, and any read sees a
 * prefix of the log: once a row with seq n is visible, every row below n
 * that will ever exist is visible too. A page that ends at n is therefore a
 * safe place to resume from, and the watermark of the SSE stream is the same
 * number. (A rolled-back transaction leaves no row; on SQLite its seq is
 * used again, on PostgreSQL it is a gap, never filled.)
 *
 * Every query is a prepared statement, prepared once per database: one per
 * combination of the two filters.
 */
import { z } from 'zod'
import { jsonTexts } from '../db/dialect.js'
import type { Dialect, Sql } from '../db/sql.js'
import { decodeCursor, encodeCursor } from '../lib/cursor.js'
import { CHANGE_TYPES, type ChangeType, onChangesCommitted } from './records.js'

export { CHANGE_TYPES, type ChangeType }

/** The seq of the latest change, whoever wrote it; 0 when there is none. Everything "has anything changed" asks. */
export async function latestSeq(sql: Sql): Promise<number> {
  return (await sql.value<number>('SELECT COALESCE(MAX(seq), 0) FROM changes')) ?? 0
}

/** What a view of the whole database "as of now" depends on (databaseState). */
export interface DatabaseState {
  /** The latest change's seq: every write. */
  latest: number
  /** The earliest stated_at after the moment ('' when none): a claim stated in the future starts to count with no write. */
  due: string
}

const STATE = "SELECT (SELECT COALESCE(MAX(seq), 0) FROM changes), (SELECT COALESCE(MIN(stated_at), '') FROM claims WHERE stated_at > ?)"

/** The database's state at `moment`, in one read: the ETags of whole-database views, and what a learning is stamped with. */
export async function databaseState(sql: Sql, moment: string): Promise<DatabaseState> {
  const [latest, due] = (await sql.rows<[number, string]>(STATE, [moment]))[0] ?? [0, '']
  return { latest: Number(latest), due }
}

export interface KeptDatabaseState {
  /** The state at `moment` (databaseState), read again only when it may have changed. */
  get(moment: string): Promise<DatabaseState>
  /** Another connection of this process (the SQLite bulk worker) has committed writes: the next get reads. */
  wroteElsewhere(): void
}

/**
 * databaseState kept between requests (#15, #16): on PostgreSQL each read is
 * a round trip, most of what a whole-database ETag costs. A kept state is
 * read again when this process commits changes (records onChangesCommitted),
 * when another connection of it has (`wroteElsewhere`), when the moment
 * reaches its `due` (a claim starts to count), and once `everyMs` have passed
 * since it was read (another replica's writes: seen within that). A state
 * read while a write committed is used, not kept. Inside a unit of work it is
 * always read: a unit sees its own writes.
 */
export function keptDatabaseState(sql: Sql, everyMs: number): KeptDatabaseState {
  let kept: { state: DatabaseState; moment: string; readAt: number } | null = null
  let generation = 0
  const drop = () => {
    kept = null
    generation++
  }
  onChangesCommitted(sql, drop)
  return {
    async get(moment) {
      if (sql.unit !== null) return databaseState(sql, moment)
      const now = Date.now()
      // Past `due`, or a clock set back: the next claim to come due is another.
      if (kept !== null && now - kept.readAt < everyMs && moment >= kept.moment && (kept.state.due === '' || moment < kept.state.due))
        return kept.state
      const before = generation
      const state = await databaseState(sql, moment)
      if (before === generation) kept = { state, moment, readAt: now }
      return state
    },
    wroteElsewhere: drop,
  }
}

export function isChangeType(text: string): text is ChangeType {
  return (CHANGE_TYPES as readonly string[]).includes(text)
}

export interface ChangeItem {
  seq: number
  at: string
  type: ChangeType
  id: string
  event_id: string | null
}

export interface ChangeFilters {
  event_id?: string | undefined
  /** Any of these types; all types when absent. */
  types?: readonly ChangeType[] | undefined
}

// ---- positions: opaque cursors, and bare seqs ----

/** The largest seq a position may name; anything longer is not one of ours. */
const SEQ = /^(0|[1-9]\d{0,14})$/

/** The opaque cursor of the position just after the change `seq` (the same shape as every list's cursor). */
export function changeCursor(seq: number): string {
  return encodeCursor([String(seq)])
}

/**
 * A position in the feed → the seq to read after: an opaque cursor from
 * `next_cursor`, or a bare seq (an item's `seq`, the `id:` of an SSE event).
 * `0` is before the first change. Null when the text is neither.
 */
export function parsePosition(text: string): number | null {
  if (SEQ.test(text)) return Number(text)
  let key: string[]
  try {
    key = decodeCursor(text, 1)
  } catch {
    return null
  }
  const seq = key[0]
  return seq !== undefined && SEQ.test(seq) ? Number(seq) : null
}

/**
 * A zod schema for a position given in the query string or a header: its
 * output is the seq; a bad one is a 400 naming the field. An empty header
 * value counts as absent, as EventSource never sends one.
 */
export function positionSchema(message: string) {
  return z
    .string()
    .max(500)
    .transform((text, ctx): number | undefined => {
      if (text === '') return undefined
      const seq = parsePosition(text)
      if (seq === null) {
        ctx.addIssue({ code: 'custom', message })
        return z.NEVER
      }
      return seq
    })
}

// ---- queries ----

interface Row {
  seq: number
  at: string
  type: string
  id: string
  event_id: string | null
}

function selectSql(dialect: Dialect, byEvent: boolean, byType: boolean): string {
  const where = ['seq > @after']
  if (byEvent) where.push('event_id = @event_id')
  // One statement for any set of types: the set is bound as a JSON array.
  if (byType) where.push(`type IN (${jsonTexts(dialect, '@types')})`)
  return `SELECT seq, at, type, id, event_id FROM changes WHERE ${where.join(' AND ')} ORDER BY seq LIMIT @limit`
}

export function createChangesRepository(sql: Sql) {
  return {
    /** At most `limit` changes with seq greater than `after`, in seq order. */
    async after(filters: ChangeFilters, after: number, limit: number): Promise<ChangeItem[]> {
      const byEvent = filters.event_id !== undefined
      const byType = filters.types !== undefined && filters.types.length > 0
      const params: Record<string, string | number> = { after, limit }
      if (byEvent) params.event_id = filters.event_id as string
      if (byType) params.types = JSON.stringify(filters.types)
      const rows = await sql.all<Row>(selectSql(sql.dialect, byEvent, byType), params)
      // `type` is written only by recordChange, whose parameter is a ChangeType.
      return rows.map((r) => ({ seq: r.seq, at: r.at, type: r.type as ChangeType, id: r.id, event_id: r.event_id }))
    },

    latestSeq: () => latestSeq(sql),
  }
}

export type ChangesRepository = ReturnType<typeof createChangesRepository>
