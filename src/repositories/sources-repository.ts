import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { actors, aliases, sources } from '../db/schema.js'
import { NotFoundError, UnprocessableError } from '../errors.js'
import type { SourceInfo } from '../engine/types.js'
import { decodeCursor, paginate } from '../lib/cursor.js'
import { nowIso } from '../lib/time.js'
import type { SourceCreateInput, SourceOut, SourcePatchInput } from '../schemas/sources.js'
import { assertAliasesFree, replaceAliases } from './aliases.js'
import { allocateId, committedDirectory, inTransaction, patched, recordChange, resolveRef } from './records.js'

type Row = typeof sources.$inferSelect

function toSource(row: Row): SourceOut {
  return {
    id: row.id,
    name: row.name,
    aliases: row.aliases,
    kind: row.kind as SourceOut['kind'],
    country: row.country,
    url: row.url,
    affiliated_actor_id: row.affiliatedActorId,
    notes: row.notes,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  }
}

export function createSourcesRepository(db: Db) {
  const byId = db
    .select()
    .from(sources)
    .where(eq(sources.id, sql.placeholder('id')))
    .prepare()

  // Summaries name sources on every request: the few hundred sources are kept in memory, read again
  // once a write through this repository commits (this process is the database's only writer).
  const directoryCache = committedDirectory(
    db,
    'SELECT id, name, affiliated_actor_id FROM sources',
    ['source.created', 'source.updated'],
    (row: SourceInfo): SourceInfo => ({ id: row.id, name: row.name, affiliated_actor_id: row.affiliated_actor_id }),
  )


  function affiliatedActor(ref: string | null | undefined): string | null {
    if (ref === undefined || ref === null) return null
    const id = resolveRef(db, actors, 'actor', ref)
    if (id === null) {
      throw new UnprocessableError(`No actor "${ref}" to affiliate the source with.`, [
        { path: '/affiliated_actor_id', in: 'body', message: `no actor with id or alias "${ref}"` },
      ])
    }
    return id
  }

  return {
    get(id: string): SourceOut | null {
      const row = byId.get({ id })
      return row ? toSource(row) : null
    },

    require(id: string): SourceOut {
      const source = this.get(id)
      if (!source) throw new NotFoundError('source', id)
      return source
    },

    /** Names and affiliations of the given sources, as the engine needs them. */
    directory(ids: Iterable<string>): Map<string, SourceInfo> {
      const all = directoryCache.get().byId
      const out = new Map<string, SourceInfo>()
      for (const id of ids) {
        const info = all.get(id)
        if (info) out.set(id, info)
      }
      return out
    },

    /** The seq of the latest source change: part of the summaries' ETags. */
    revision(): number {
      return directoryCache.get().revision
    },

    /** An id or an alias → the source id, or null. */
    resolve(ref: string): string | null {
      return resolveRef(db, sources, 'source', ref)
    },

    list(opts: { limit: number; cursor?: string | undefined; q?: string | undefined }) {
      const after = opts.cursor ? decodeCursor(opts.cursor, 1)[0] : undefined
      const conditions = []
      if (after !== undefined) conditions.push(gt(sources.id, after))
      if (opts.q) {
        const pattern = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        const aliasOwners = db
          .select({ id: aliases.ownerId })
          .from(aliases)
          .where(and(eq(aliases.namespace, 'source'), sql`${aliases.key} LIKE ${pattern} ESCAPE '\\'`))
        conditions.push(
          or(
            sql`${sources.id} LIKE ${pattern} ESCAPE '\\'`,
            sql`unicode_lower(${sources.name}) LIKE ${pattern} ESCAPE '\\'`,
            inArray(sources.id, aliasOwners),
          ),
        )
      }
      const rows = db
        .select()
        .from(sources)
        .where(and(...conditions))
        .orderBy(asc(sources.id))
        .limit(opts.limit + 1)
        .all()
      return paginate(rows.map(toSource), opts.limit, (s) => [s.id])
    },

    create(input: SourceCreateInput): SourceOut {
      return inTransaction(db, () => {
        const id = allocateId(db, sources, input.id, input.name, 'source')
        const list = input.aliases ?? []
        assertAliasesFree(db, 'source', id, list)
        const now = nowIso()
        db.insert(sources)
          .values({
            id,
            name: input.name,
            aliases: list,
            kind: input.kind,
            country: input.country ?? null,
            url: input.url ?? null,
            affiliatedActorId: affiliatedActor(input.affiliated_actor_id),
            notes: input.notes ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .run()
        replaceAliases(db, 'source', id, list)
        recordChange(db, 'source.created', id, null, now)
        directoryCache.written()
        return this.require(id)
      })
    },

    update(id: string, patch: SourcePatchInput): SourceOut {
      return inTransaction(db, () => {
        const current = this.require(id)
        if (patch.aliases !== undefined) {
          assertAliasesFree(db, 'source', id, patch.aliases)
          replaceAliases(db, 'source', id, patch.aliases)
        }
        const now = nowIso()
        db.update(sources)
          .set({
            name: patch.name ?? current.name,
            aliases: patch.aliases ?? current.aliases,
            kind: patch.kind ?? current.kind,
            country: patched(patch.country, current.country),
            url: patched(patch.url, current.url),
            affiliatedActorId:
              patch.affiliated_actor_id === undefined ? current.affiliated_actor_id : affiliatedActor(patch.affiliated_actor_id),
            notes: patched(patch.notes, current.notes),
            updatedAt: now,
          })
          .where(eq(sources.id, id))
          .run()
        recordChange(db, 'source.updated', id, null, now)
        directoryCache.written()
        return this.require(id)
      })
    },
  }
}

export type SourcesRepository = ReturnType<typeof createSourcesRepository>
