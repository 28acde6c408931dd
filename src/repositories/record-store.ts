/**
 * The one shape of the records a user creates and edits (sources, actors,
 * events; contract §1): a readable id derived from the name, optional
 * aliases, get / require / resolve, a keyset list in id order, and create
 * and update that each land whole with their change-log row. A repository
 * gives what differs — its table, how input becomes columns, its checks and
 * what else a write does — and gets the rest from here. A second SQL dialect
 * implements this file's statements once for all three.
 */
import { type InferInsertModel, type InferSelectModel, type SQL, and, asc, eq, gt, sql } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from '../db/client.js'
import { NotFoundError } from '../errors.js'
import { decodeCursor, paginate } from '../lib/cursor.js'
import { nowIso } from '../lib/time.js'
import { type AliasNamespace, assertAliasesFree, replaceAliases } from './aliases.js'
import { type ChangeType, allocateId, idExists, inTransaction, recordChange, resolveRef } from './records.js'

type Table = SQLiteTable & { id: SQLiteColumn; createdAt: SQLiteColumn; updatedAt: SQLiteColumn }
/** The columns the store sets on every record. */
type Stamped = 'id' | 'createdAt' | 'updatedAt'

export interface RecordSpec<T extends Table, Out, Create, Patch> {
  table: T
  /** Singular: the id of a record with an empty slug, and the "no such …" of a 404. */
  name: 'source' | 'actor' | 'event'
  /** Where the record's aliases live, when it has them (sources, actors). */
  aliases?: AliasNamespace
  toOut(row: InferSelectModel<T>): Out
  /** What the id is derived from. */
  nameOf(input: Create): string
  /** The columns of a new record but its id and times; may throw a problem naming a field (a reference that does not exist). */
  inserted(input: Create): Omit<InferInsertModel<T>, Stamped>
  /** The columns a patch sets on the record `current` (its id `id`) but updated_at; may throw a problem naming a field. */
  updated(patch: Patch, current: Out, id: string): Partial<InferInsertModel<T>>
  /** What else a write does, in its transaction, after its change-log row (caches, history, disputes); `record` as written. */
  written?(record: Out, id: string, type: ChangeType, now: string): void
}

export function createRecordStore<
  T extends Table,
  Out,
  Create extends { id?: string | undefined; aliases?: string[] | undefined },
  Patch extends object,
>(db: Db, spec: RecordSpec<T, Out, Create, Patch>) {
  const table = spec.table as Table
  const byId = db
    .select()
    .from(table)
    .where(eq(table.id, sql.placeholder('id')))
    .prepare()
  const createdType = `${spec.name}.created` as const
  const updatedType = `${spec.name}.updated` as const

  /** Checks the aliases a write gives (a 409 names any taken), then computes its columns, writes them and the aliases. */
  function write(id: string, aliases: string[] | undefined, columns: () => void): void {
    const namespace = spec.aliases
    if (namespace !== undefined && aliases !== undefined) assertAliasesFree(db, namespace, id, aliases)
    columns()
    if (namespace !== undefined && aliases !== undefined) replaceAliases(db, namespace, id, aliases)
  }

  /** The change-log row of a write and what else it does; returns the record as written, read once. */
  function written(id: string, type: ChangeType, now: string): Out {
    recordChange(db, type, id, spec.name === 'event' ? id : null, now)
    const record = store.require(id)
    spec.written?.(record, id, type, now)
    return record
  }

  const store = {
    get(id: string): Out | null {
      const row = byId.get({ id }) as InferSelectModel<T> | undefined
      return row ? spec.toOut(row) : null
    },

    require(id: string): Out {
      const record = store.get(id)
      if (record === null) throw new NotFoundError(spec.name, id)
      return record
    },

    /** An id or an alias → the id, or null. */
    resolve(ref: string): string | null {
      if (spec.aliases !== undefined) return resolveRef(db, table, spec.aliases, ref)
      return idExists(db, table, ref) ? ref : null
    },

    /** A page in id order after the cursor, narrowed by `where` when given. */
    list(opts: { limit: number; cursor?: string | undefined }, where?: SQL): { items: Out[]; next_cursor: string | null } {
      const after = opts.cursor ? decodeCursor(opts.cursor, 1)[0] : undefined
      const rows = db
        .select()
        .from(table)
        .where(and(after === undefined ? undefined : gt(table.id, after), where))
        .orderBy(asc(table.id))
        .limit(opts.limit + 1)
        .all() as Array<InferSelectModel<T>>
      return paginate(rows.map(spec.toOut), opts.limit, (r) => [(r as { id: string }).id])
    },

    create(input: Create): Out {
      return inTransaction(db, () => {
        const id = allocateId(db, table, input.id, spec.nameOf(input), spec.name)
        const now = nowIso()
        write(id, input.aliases ?? [], () => {
          db.insert(table)
            .values({ ...spec.inserted(input), id, createdAt: now, updatedAt: now } as InferInsertModel<Table>)
            .run()
        })
        return written(id, createdType, now)
      })
    },

    update(id: string, patch: Patch): Out {
      return inTransaction(db, () => {
        const current = store.require(id)
        const now = nowIso()
        // A patch's aliases, when the record has them (the schema of one without has no such field).
        write(id, (patch as { aliases?: string[] | undefined }).aliases, () => {
          db.update(table)
            .set({ ...spec.updated(patch, current, id), updatedAt: now } as Partial<InferInsertModel<Table>>)
            .where(eq(table.id, id))
            .run()
        })
        return written(id, updatedType, now)
      })
    },
  }
  return store
}

/** What a named record (a source, an actor) is created with: its name, aliases, kind and notes. */
interface Named<K extends string> {
  name: string
  aliases?: string[] | undefined
  kind: K
  notes?: string | null | undefined
}

/** The columns of a named record's own fields, as created. */
export function namedColumns<K extends string>(input: Named<K>) {
  return { name: input.name, aliases: input.aliases ?? [], kind: input.kind, notes: input.notes ?? null }
}

/** The columns of a named record's own fields, as a patch leaves them on `current` (null clears notes). */
export function patchedNamedColumns<K extends string>(
  patch: Partial<Named<K>>,
  current: { name: string; aliases: string[]; kind: K; notes: string | null },
) {
  return {
    name: patch.name ?? current.name,
    aliases: patch.aliases ?? current.aliases,
    kind: patch.kind ?? current.kind,
    notes: patch.notes === undefined ? current.notes : patch.notes,
  }
}
