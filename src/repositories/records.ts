/** What sources, actors and events share: readable ids, references by id or alias, the change log. */
import { eq } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/client.js'
import { prepared } from '../db/statements.js'
import { ConflictError, UnprocessableError } from '../errors.js'
import { slugify, uniqueSlug } from '../lib/slug.js'
import { nowIso } from '../lib/time.js'
import { type AliasNamespace, ownerOfAlias } from './aliases.js'

type TableWithId = SQLiteTable & { id: SQLiteColumn }

export function idExists(db: Db, table: TableWithId, id: string): boolean {
  return db.select({ id: table.id }).from(table).where(eq(table.id, id)).get() !== undefined
}

/**
 * A caller-supplied id that is taken is a 409; otherwise the id is derived
 * from the name, with -2, -3, … on collision (contract §1).
 */
export function allocateId(db: Db, table: TableWithId, requested: string | undefined, name: string, fallback: string): string {
  if (requested !== undefined) {
    if (idExists(db, table, requested)) {
      throw new ConflictError(`The id "${requested}" is taken.`, [{ path: '/id', in: 'body', message: `"${requested}" is taken` }])
    }
    return requested
  }
  return uniqueSlug(slugify(name) || fallback, (id) => idExists(db, table, id))
}

/** An id, or else an alias (case-insensitive); null when neither names a record. */
export function resolveRef(db: Db, table: TableWithId, namespace: AliasNamespace, ref: string): string | null {
  if (idExists(db, table, ref)) return ref
  return ownerOfAlias(db, namespace, ref)
}

/**
 * A reference a body gives (an id or an alias) → the id, null for none given;
 * a 422 naming `field` when it names no record: `refused` is the problem's title.
 */
export function requireRef(
  db: Db,
  table: TableWithId,
  namespace: AliasNamespace,
  ref: string | null | undefined,
  field: string,
  refused: string,
): string | null {
  if (ref === undefined || ref === null) return null
  const id = resolveRef(db, table, namespace, ref)
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

const INSERT_CHANGE = 'INSERT INTO changes (at, type, id, event_id) VALUES (?, ?, ?, ?)'

/**
 * Appends to the change log and returns the change's seq: the one revision
 * number of everything cached (events, the source and actor directories,
 * ETags). Bulk ingest calls it per claim.
 */
export function recordChange(db: Db, type: ChangeType, id: string, eventId: string | null, at = nowIso()): number {
  return Number(prepared(db, INSERT_CHANGE).run(at, type, id, eventId).lastInsertRowid)
}

// ---- the unit of work ----

/** The open transaction of a database: how deep it is nested, and who waits for its end. */
interface Unit {
  depth: number
  ended: Array<(committed: boolean) => void>
}
const units = new WeakMap<Db, Unit>()

/**
 * Runs `fn` in one transaction: everything lands, or nothing does. Nested
 * calls are savepoints of the outermost one, which alone commits; what waits
 * for the end (onTransactionEnd) is told then whether it committed.
 */
export function inTransaction<T>(db: Db, fn: () => T): T {
  let unit = units.get(db)
  if (!unit) {
    unit = { depth: 0, ended: [] }
    units.set(db, unit)
  }
  unit.depth++
  let committed = false
  try {
    const result = db.$client.transaction(fn)()
    committed = true
    return result
  } finally {
    unit.depth--
    if (unit.depth === 0) for (const end of unit.ended.splice(0)) end(committed)
  }
}

/**
 * Calls `fn` when the open transaction ends, with whether it committed (a
 * savepoint's end does not count: only the outermost transaction commits),
 * and returns true; outside a transaction, calls it at once, as committed,
 * and returns false.
 */
export function onTransactionEnd(db: Db, fn: (committed: boolean) => void): boolean {
  const unit = units.get(db)
  if (unit === undefined || unit.depth === 0) {
    fn(true)
    return false
  }
  unit.ended.push(fn)
  return true
}

/**
 * A value read from the database and kept in memory, for what every request
 * reads and few requests write. It only ever keeps what is committed:
 *   - a write (`written()`) drops the kept value when its transaction
 *     commits, not before, and a rolled-back write leaves it as it was;
 *   - inside the transaction that wrote, reads see the transaction's own
 *     state, built afresh after each write and forgotten at its end;
 *   - a value read inside any other transaction is used, not kept (the
 *     transaction may yet roll back what it read).
 */
export function committedCache<T extends object>(db: Db, build: () => T): { get(): T; written(): void } {
  let kept: T | null = null
  /** Set while the open transaction has written: its own view, built on demand. */
  let own: { value: T | null } | null = null
  return {
    get(): T {
      if (own !== null) return (own.value ??= build())
      if (kept !== null) return kept
      const value = build()
      if (!db.$client.inTransaction) kept = value
      return value
    },
    written(): void {
      const waiting =
        own !== null ||
        onTransactionEnd(db, (committed) => {
          own = null
          if (committed) kept = null
        })
      if (waiting) own = { value: null }
    },
  }
}

/**
 * A small table (sources, actors) kept in memory by id (committedCache),
 * with its revision: the seq of the latest change of `types` (they are
 * changes of no event), read with the rows. Part of the summaries' ETags.
 */
export function committedDirectory<Row extends { id: string }, T>(
  db: Db,
  sql: string,
  types: readonly ChangeType[],
  info: (row: Row) => T,
) {
  const all = db.$client.prepare(sql)
  const latest = db.$client
    .prepare(`SELECT COALESCE(MAX(seq), 0) FROM changes WHERE event_id IS NULL AND type IN (${types.map(() => '?').join(', ')})`)
    .pluck()
  return committedCache(db, () => {
    const byId = new Map<string, T>()
    for (const row of all.all() as Row[]) byId.set(row.id, info(row))
    return { byId, revision: latest.get(...types) as number }
  })
}

/** For PATCH: a key present with null clears, a key absent keeps. */
export function patched<T>(value: T | null | undefined, current: T | null): T | null {
  return value === undefined ? current : value
}
