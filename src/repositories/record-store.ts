/**
 * The one shape of the records a user creates and edits (sources, actors,
 * events; contract §1): a readable id derived from the name, optional
 * aliases, get / require / resolve, a keyset list in id order, and create
 * and update that each land whole with their change-log row. A repository
 * gives what differs — its table, how input becomes columns, its checks and
 * what else a write does — and gets the rest from here. A second SQL dialect
 * implements this file's statements once for all three.
 */
import { type InferInsertModel, type InferSelectModel, getTableName } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Params, Sql } from '../db/sql.js'
import { NotFoundError } from '../errors.js'
import { decodeCursor } from '../lib/cursor.js'
import { takePage } from '../lib/pages.js'
import { nowIso } from '../lib/time.js'
import { type AliasNamespace, assertAliasesFree, replaceAliases } from './aliases.js'
import { type ChangeType, type RecordTable, allocateId, idExists, recordChange, resolveRef } from './records.js'
import { tableCodec } from './table-codec.js'

type Table = SQLiteTable & { id: SQLiteColumn; createdAt: SQLiteColumn; updatedAt: SQLiteColumn }

/** The columns the store sets on every record. */
type Stamped = 'id' | 'createdAt' | 'updatedAt'

/** A narrowing of a list (a search): SQL on the table's alias `t`, and its parameters. */
export interface Where {
  text: string
  params: readonly unknown[]
}

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
  inserted(input: Create): Promise<Omit<InferInsertModel<T>, Stamped>> | Omit<InferInsertModel<T>, Stamped>
  /** The columns a patch sets on the record `current` (its id `id`) but updated_at; may throw a problem naming a field. */
  updated(patch: Patch, current: Out, id: string): Promise<Partial<InferInsertModel<T>>> | Partial<InferInsertModel<T>>
  /** What else a write does, in its transaction, after its change-log row (caches, history, disputes); `record` as written. */
  written?(record: Out, id: string, type: ChangeType, now: string): Promise<void> | void
}

export function createRecordStore<
  T extends Table,
  Out,
  Create extends { id?: string | undefined; aliases?: string[] | undefined },
  Patch extends object,
>(sql: Sql, spec: RecordSpec<T, Out, Create, Patch>) {
  const name = getTableName(spec.table) as RecordTable
  const codec = tableCodec(spec.table)
  const selectAll = `SELECT ${codec.names.map((c) => `t.${c}`).join(', ')} FROM ${name} AS t`
  const byId = `${selectAll} WHERE t.id = ?`
  const createdType = `${spec.name}.created` as const
  const updatedType = `${spec.name}.updated` as const

  /** Checks the aliases a write gives (a 409 names any taken), then computes its columns, writes them and the aliases. */
  async function write(id: string, aliases: string[] | undefined, columns: () => Promise<void>): Promise<void> {
    const namespace = spec.aliases
    if (namespace !== undefined && aliases !== undefined) await assertAliasesFree(sql, namespace, id, aliases)
    await columns()
    if (namespace !== undefined && aliases !== undefined) await replaceAliases(sql, namespace, id, aliases)
  }

  /** The change-log row of a write and what else it does; returns the record as written, read once. */
  async function written(id: string, type: ChangeType, now: string): Promise<Out> {
    await recordChange(sql, type, id, spec.name === 'event' ? id : null, now)
    const record = await store.require(id)
    await spec.written?.(record, id, type, now)
    return record
  }

  const store = {
    async get(id: string): Promise<Out | null> {
      const row = await sql.get<Record<string, unknown>>(byId, [id])
      return row ? spec.toOut(codec.fromRow(row)) : null
    },

    async require(id: string): Promise<Out> {
      const record = await store.get(id)
      if (record === null) throw new NotFoundError(spec.name, id)
      return record
    },

    /** An id or an alias → the id, or null. */
    async resolve(ref: string): Promise<string | null> {
      if (spec.aliases !== undefined) return resolveRef(sql, name, spec.aliases, ref)
      return (await idExists(sql, name, ref)) ? ref : null
    },

    /** A page in id order after the cursor, narrowed by `where` (on the table as `t`) when given. */
    async list(opts: { limit: number; cursor?: string | undefined }, where?: Where): Promise<{ items: Out[]; next_cursor: string | null }> {
      const after = opts.cursor ? decodeCursor(opts.cursor, 1)[0] : undefined
      const conditions: string[] = []
      const params: unknown[] = []
      if (after !== undefined) {
        conditions.push('t.id > ?')
        params.push(after)
      }
      if (where !== undefined) {
        conditions.push(`(${where.text})`)
        params.push(...where.params)
      }
      params.push(opts.limit + 1)
      const text = `${selectAll}${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY t.id LIMIT ?`
      const rows = await sql.all<Record<string, unknown>>(text, params)
      return takePage(
        rows,
        opts.limit,
        (row) => spec.toOut(codec.fromRow(row)),
        (r) => [(r as { id: string }).id],
      )
    },

    async create(input: Create): Promise<Out> {
      return sql.transaction(async () => {
        const id = await allocateId(sql, name, input.id, spec.nameOf(input), spec.name)
        const now = nowIso()
        await write(id, input.aliases ?? [], async () => {
          const columns = codec.toColumns({ ...(await spec.inserted(input)), id, createdAt: now, updatedAt: now })
          await sql.run(
            `INSERT INTO ${name} (${columns.map(([c]) => c).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
            columns.map(([, v]) => v) satisfies Params,
          )
        })
        return written(id, createdType, now)
      })
    },

    async update(id: string, patch: Patch): Promise<Out> {
      return sql.transaction(async () => {
        const current = await store.require(id)
        const now = nowIso()
        // A patch's aliases, when the record has them (the schema of one without has no such field).
        await write(id, (patch as { aliases?: string[] | undefined }).aliases, async () => {
          const columns = codec.toColumns({ ...(await spec.updated(patch, current, id)), updatedAt: now })
          await sql.run(`UPDATE ${name} SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE id = ?`, [
            ...columns.map(([, v]) => v),
            id,
          ])
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
