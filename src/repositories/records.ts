/** What sources, actors and events share: readable ids, references by id or alias, the change log. */
import { eq } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/client.js'
import { ConflictError } from '../errors.js'
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

export type ChangeType =
  | 'claim.created'
  | 'claim.retracted'
  | 'source.created'
  | 'source.updated'
  | 'actor.created'
  | 'actor.updated'
  | 'event.created'
  | 'event.updated'

function prepareChangeInsert(db: Db) {
  return db.$client.prepare('INSERT INTO changes (at, type, id, event_id) VALUES (?, ?, ?, ?)')
}
const changeInserts = new WeakMap<Db, ReturnType<typeof prepareChangeInsert>>()

/** Appends to the change log; prepared once per database, as bulk ingest calls it per claim. */
export function recordChange(db: Db, type: ChangeType, id: string, eventId: string | null, at = nowIso()): void {
  let insert = changeInserts.get(db)
  if (!insert) {
    insert = prepareChangeInsert(db)
    changeInserts.set(db, insert)
  }
  insert.run(at, type, id, eventId)
}

/** Runs `fn` in one SQLite transaction: everything lands, or nothing does. */
/**
 * A value read from the database and kept in memory until `clear()`. It is
 * kept only when read outside a transaction: inside one, the rows may yet be
 * rolled back, so the value is built, used and forgotten, and a batch refused
 * halfway leaves nothing of itself behind in memory.
 */
export function committedCache<T>(db: Db, build: () => T): { get(): T; clear(): void } {
  let kept: T | null = null
  return {
    get(): T {
      if (kept !== null) return kept
      const value = build()
      if (!db.$client.inTransaction) kept = value
      return value
    },
    clear(): void {
      kept = null
    },
  }
}

/**
 * A small table (sources, actors) kept in memory by id, read again after a
 * write clears it (committedCache), with a revision that moves on every
 * write: part of the summaries' ETags. `sql` selects what `info` keeps, and `updated_at`.
 */
export function committedDirectory<Row extends { id: string; updated_at: string }, T>(db: Db, sql: string, info: (row: Row) => T) {
  const all = db.$client.prepare(sql)
  return committedCache(db, () => {
    const rows = all.all() as Row[]
    const byId = new Map<string, T>()
    let latest = ''
    for (const row of rows) {
      byId.set(row.id, info(row))
      if (row.updated_at > latest) latest = row.updated_at
    }
    return { byId, revision: `${rows.length}@${latest}` }
  })
}

export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.$client.transaction(fn)()
}

/** For PATCH: a key present with null clears, a key absent keeps. */
export function patched<T>(value: T | null | undefined, current: T | null): T | null {
  return value === undefined ? current : value
}
