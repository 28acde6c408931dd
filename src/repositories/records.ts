/** What sources, actors and events share: readable ids, references by id or alias, the change log. */
import { chunks, valuesOf } from '../db/chunks.js'
import type { Sql } from '../db/sql.js'
import { ConflictError, UnprocessableError } from '../errors.js'
import { slugify, uniqueSlug } from '../lib/slug.js'
import { nowIso } from '../lib/time.js'
import { type AliasNamespace, ownerOfAlias } from './aliases.js'

/** The tables of the records a user names (record-store). */
export type RecordTable = 'sources' | 'actors' | 'events'

export async function idExists(sql: Sql, table: RecordTable, id: string): Promise<boolean> {
  return (await sql.value(`SELECT 1 FROM ${table} WHERE id = ?`, [id])) !== undefined
}

/**
 * A caller-supplied id that is taken is a 409; otherwise the id is derived
 * from the name, with -2, -3, … on collision (contract §1).
 */
export async function allocateId(
  sql: Sql,
  table: RecordTable,
  requested: string | undefined,
  name: string,
  fallback: string,
): Promise<string> {
  if (requested !== undefined) {
    if (await idExists(sql, table, requested)) {
      throw new ConflictError(`The id "${requested}" is taken.`, [{ path: '/id', in: 'body', message: `"${requested}" is taken` }])
    }
    return requested
  }
  return uniqueSlug(slugify(name) || fallback, (id) => idExists(sql, table, id))
}

/** An id, or else an alias (case-insensitive); null when neither names a record. */
export async function resolveRef(sql: Sql, table: RecordTable, namespace: AliasNamespace, ref: string): Promise<string | null> {
  if (await idExists(sql, table, ref)) return ref
  return ownerOfAlias(sql, namespace, ref)
}

/**
 * A reference a body gives (an id or an alias) → the id, null for none given;
 * a 422 naming `field` when it names no record: `refused` is the problem's title.
 */
export async function requireRef(
  sql: Sql,
  table: RecordTable,
  namespace: AliasNamespace,
  ref: string | null | undefined,
  field: string,
  refused: string,
): Promise<string | null> {
  if (ref === undefined || ref === null) return null
  const id = await resolveRef(sql, table, namespace, ref)
  if (id === null)
    throw new UnprocessableError(refused, [{ path: `/${field}`, in: 'body', message: `no ${namespace} with id or alias "${ref}"` }])
  return id
}

/** What a change-log row says was written (contract §11). */
export const CHANGE_TYPES = [
  'claim.created',
  'claim.retracted',
  'source.created',
  'source.updated',
  'actor.created',
  'actor.updated',
  'event.created',
  'event.updated',
] as const
export type ChangeType = (typeof CHANGE_TYPES)[number]

const INSERT_CHANGE = 'INSERT INTO changes (at, type, id, event_id) VALUES (?, ?, ?, ?) RETURNING seq'

/**
 * Appends to the change log and returns the change's seq: the one revision
 * number of everything cached (events, the source and actor directories,
 * ETags). Bulk ingest appends with recordChanges. Called inside an ordered
 * unit of work (db/sql.ts), as every write is: that is what commits seqs in
 * order.
 */
export async function recordChange(sql: Sql, type: ChangeType, id: string, eventId: string | null, at = nowIso()): Promise<number> {
  const seq = (await sql.value<number>(INSERT_CHANGE, [at, type, id, eventId])) as number
  changesWritten(sql)
  return seq
}

/** Who is told when changes appended through a store commit (onChangesCommitted). */
const changeListeners = new WeakMap<Sql, Set<() => void>>()

/** Calls `fn` each time a unit of work (or a statement outside one) that appended changes through `sql` commits. */
export function onChangesCommitted(sql: Sql, fn: () => void): void {
  const listeners = changeListeners.get(sql) ?? new Set()
  listeners.add(fn)
  changeListeners.set(sql, listeners)
}

function changesWritten(sql: Sql): void {
  const listeners = changeListeners.get(sql)
  if (listeners === undefined) return
  sql.onTransactionEnd((committed) => {
    if (committed) for (const fn of listeners) fn()
  })
}

/** Rows of a multi-row INSERT INTO changes: 4 parameters each (db/chunks). */
const CHANGES_CHUNK = 1024

/**
 * Appends a change per item, in their order (their seqs rise in it), with
 * multi-row statements in fixed sizes (db/chunks): what bulk ingest records,
 * a few statements for thousands of claims. The seqs are not returned: the
 * one that matters, an event's latest, is read back by events touch.
 */
export async function recordChanges(
  sql: Sql,
  type: ChangeType,
  items: ReadonlyArray<{ id: string; eventId: string | null }>,
  at = nowIso(),
): Promise<void> {
  for (const chunk of chunks(items, CHANGES_CHUNK)) {
    const params: unknown[] = []
    for (const item of chunk) params.push(at, type, item.id, item.eventId)
    await sql.run(`INSERT INTO changes (at, type, id, event_id) VALUES ${valuesOf(chunk.length, '(?, ?, ?, ?)')}`, params)
  }
  if (items.length > 0) changesWritten(sql)
}

/** How long a kept directory is trusted before its revision is read again: another process may have written (#15). */
export const DIRECTORY_RECHECK_MS = 500

/**
 * A value read from the database and kept in memory, for what every request
 * reads and few requests write. It only ever keeps what is committed:
 *   - a write (`written()`) drops the kept value when its transaction
 *     commits, not before, and a rolled-back write leaves it as it was;
 *   - inside the transaction that wrote, reads see the transaction's own
 *     state, built afresh after each write and forgotten at its end;
 *   - a value read inside any other transaction is used, not kept (the
 *     transaction may yet roll back what it read);
 *   - with `recheck`, a kept value older than `everyMs` is checked against
 *     the database (`changed`) before it is used again, and dropped when
 *     another process has written since: replicas on one database see each
 *     other's writes within that time.
 */
export function committedCache<T extends object>(
  sql: Sql,
  build: () => Promise<T>,
  recheck?: { everyMs: number; changed(kept: T): Promise<boolean> },
): { get(): Promise<T>; written(): void } {
  let kept: T | null = null
  /** When `kept` was last known to be current (ms since the epoch). */
  let checkedAt = 0
  /** Set while a unit of work that has written is open: its own view, built on demand, for it alone. */
  let own: { unit: object; value: T | null } | null = null

  /** Drops `kept` when it is due a check and another process has written since. */
  async function recheckKept(): Promise<void> {
    const was = kept
    if (was === null || recheck === undefined || Date.now() - checkedAt < recheck.everyMs) return
    const changed = await recheck.changed(was)
    if (kept !== was) return // replaced or dropped meanwhile
    if (changed) kept = null
    else checkedAt = Date.now()
  }

  return {
    async get(): Promise<T> {
      const unit = sql.unit
      if (own !== null && unit === own.unit) return (own.value ??= await build())
      await recheckKept()
      if (kept !== null) return kept
      const startedAt = Date.now()
      const value = await build()
      if (unit === null) {
        kept = value
        checkedAt = startedAt
      }
      return value
    },
    written(): void {
      const unit = sql.unit
      if (own !== null && unit === own.unit) {
        own.value = null // rebuilt at its next read
        return
      }
      if (unit === null) {
        kept = null
        return
      }
      own = { unit, value: null }
      sql.onTransactionEnd((committed) => {
        own = null
        if (committed) kept = null
      })
    },
  }
}

/**
 * A small table (sources, actors) kept in memory by id (committedCache),
 * with its revision: the seq of the latest change of `types` (they are
 * changes of no event), read with the rows. Part of the summaries' ETags.
 * Rechecked every DIRECTORY_RECHECK_MS: one indexed read of that seq.
 */
export function committedDirectory<Row extends { id: string }, T>(
  sql: Sql,
  select: string,
  types: readonly ChangeType[],
  info: (row: Row) => T,
) {
  const latest = `SELECT COALESCE(MAX(seq), 0) FROM changes WHERE event_id IS NULL AND type IN (${types.map(() => '?').join(', ')})`
  const revision = async () => (await sql.value<number>(latest, types)) as number
  return committedCache(
    sql,
    async () => {
      // The revision first: rows read after it are at least as new, and a write in between shows at the next check.
      const at = await revision()
      const byId = new Map<string, T>()
      for (const row of await sql.all<Row>(select)) byId.set(row.id, info(row))
      return { byId, revision: at }
    },
    { everyMs: DIRECTORY_RECHECK_MS, changed: async (kept) => (await revision()) !== kept.revision },
  )
}

/** For PATCH: a key present with null clears, a key absent keeps. */
export function patched<T>(value: T | null | undefined, current: T | null): T | null {
  return value === undefined ? current : value
}
