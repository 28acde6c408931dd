import { and, asc, eq, gt, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { actors } from '../db/schema.js'
import { NotFoundError, UnprocessableError } from '../errors.js'
import type { ActorInfo } from '../engine/types.js'
import { decodeCursor, paginate } from '../lib/cursor.js'
import { nowIso } from '../lib/time.js'
import type { ActorCreateInput, ActorOut, ActorPatchInput } from '../schemas/actors.js'
import { assertAliasesFree, replaceAliases } from './aliases.js'
import { allocateId, committedDirectory, inTransaction, patched, recordChange, resolveRef } from './records.js'

type Row = typeof actors.$inferSelect

function toActor(row: Row): ActorOut {
  return {
    id: row.id,
    name: row.name,
    aliases: row.aliases,
    kind: row.kind as ActorOut['kind'],
    parent_id: row.parentId,
    notes: row.notes,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  }
}

export function createActorsRepository(db: Db) {
  const byId = db
    .select()
    .from(actors)
    .where(eq(actors.id, sql.placeholder('id')))
    .prepare()
  // Every summary walks the actor tree: it is kept in memory, read again once a write through
  // this repository commits (this process is the database's only writer).
  const treeCache = committedDirectory(
    db,
    'SELECT id, name, parent_id FROM actors',
    ['actor.created', 'actor.updated'],
    (row: ActorInfo): ActorInfo => ({ id: row.id, name: row.name, parent_id: row.parent_id }),
  )

  function resolveParent(ref: string | null | undefined): string | null {
    if (ref === undefined || ref === null) return null
    const id = resolveRef(db, actors, 'actor', ref)
    if (id === null) {
      throw new UnprocessableError(`No parent actor "${ref}".`, [
        { path: '/parent_id', in: 'body', message: `no actor with id or alias "${ref}"` },
      ])
    }
    return id
  }

  /** Walks up from `parent`; meeting `id` on the way means the change would make a cycle. */
  function assertNoCycle(id: string, parent: string | null): void {
    const seen = new Set<string>()
    for (let at = parent; at !== null; at = byId.get({ id: at })?.parentId ?? null) {
      if (at === id) {
        throw new UnprocessableError(`Making "${parent}" the parent of "${id}" would make a cycle.`, [
          { path: '/parent_id', in: 'body', message: `"${parent}" is "${id}" or one of its descendants` },
        ])
      }
      if (seen.has(at)) break
      seen.add(at)
    }
  }

  return {
    get(id: string): ActorOut | null {
      const row = byId.get({ id })
      return row ? toActor(row) : null
    },

    require(id: string): ActorOut {
      const actor = this.get(id)
      if (!actor) throw new NotFoundError('actor', id)
      return actor
    },

    resolve(ref: string): string | null {
      return resolveRef(db, actors, 'actor', ref)
    },

    /** Every actor with its parent: the tree the attribution rules walk. */
    tree(): ReadonlyMap<string, ActorInfo> {
      return treeCache.get().byId
    },

    /** The seq of the latest actor change: part of the summaries' ETags. */
    revision(): number {
      return treeCache.get().revision
    },

    list(opts: { limit: number; cursor?: string | undefined }) {
      const after = opts.cursor ? decodeCursor(opts.cursor, 1)[0] : undefined
      const rows = db
        .select()
        .from(actors)
        .where(and(after === undefined ? undefined : gt(actors.id, after)))
        .orderBy(asc(actors.id))
        .limit(opts.limit + 1)
        .all()
      return paginate(rows.map(toActor), opts.limit, (a) => [a.id])
    },

    create(input: ActorCreateInput): ActorOut {
      return inTransaction(db, () => {
        const id = allocateId(db, actors, input.id, input.name, 'actor')
        const list = input.aliases ?? []
        assertAliasesFree(db, 'actor', id, list)
        const now = nowIso()
        db.insert(actors)
          .values({
            id,
            name: input.name,
            aliases: list,
            kind: input.kind,
            parentId: resolveParent(input.parent_id),
            notes: input.notes ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .run()
        replaceAliases(db, 'actor', id, list)
        recordChange(db, 'actor.created', id, null, now)
        treeCache.written()
        return this.require(id)
      })
    },

    update(id: string, patch: ActorPatchInput): ActorOut {
      return inTransaction(db, () => {
        const current = this.require(id)
        const parentId = patch.parent_id === undefined ? current.parent_id : resolveParent(patch.parent_id)
        assertNoCycle(id, parentId)
        if (patch.aliases !== undefined) {
          assertAliasesFree(db, 'actor', id, patch.aliases)
          replaceAliases(db, 'actor', id, patch.aliases)
        }
        const now = nowIso()
        db.update(actors)
          .set({
            name: patch.name ?? current.name,
            aliases: patch.aliases ?? current.aliases,
            kind: patch.kind ?? current.kind,
            parentId,
            notes: patched(patch.notes, current.notes),
            updatedAt: now,
          })
          .where(eq(actors.id, id))
          .run()
        recordChange(db, 'actor.updated', id, null, now)
        treeCache.written()
        return this.require(id)
      })
    },
  }
}

export type ActorsRepository = ReturnType<typeof createActorsRepository>
