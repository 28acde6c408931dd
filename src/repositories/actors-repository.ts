import { actors } from '../db/schema.js'
import type { Sql } from '../db/sql.js'
import { UnprocessableError } from '../errors.js'
import type { ActorInfo } from '../engine/types.js'
import type { ActorCreateInput, ActorOut, ActorPatchInput } from '../schemas/actors.js'
import { createRecordStore, namedColumns, patchedNamedColumns } from './record-store.js'
import { committedDirectory, requireRef } from './records.js'

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

export function createActorsRepository(sql: Sql) {
  // Every summary walks the actor tree: it is kept in memory, read again once a write through
  // this repository commits (this process is the database's only writer).
  const treeCache = committedDirectory(
    sql,
    'SELECT id, name, parent_id FROM actors',
    ['actor.created', 'actor.updated'],
    (row: ActorInfo): ActorInfo => ({ id: row.id, name: row.name, parent_id: row.parent_id }),
  )

  const resolveParent = (ref: string | null | undefined) =>
    requireRef(sql, 'actors', 'actor', ref, 'parent_id', `No parent actor "${ref}".`)

  /** Walks up from `parent`; meeting `id` on the way means the change would make a cycle. */
  async function assertNoCycle(id: string, parent: string | null): Promise<void> {
    const seen = new Set<string>()
    for (let at = parent; at !== null; at = (await store.get(at))?.parent_id ?? null) {
      if (at === id) {
        throw new UnprocessableError(`Making "${parent}" the parent of "${id}" would make a cycle.`, [
          { path: '/parent_id', in: 'body', message: `"${parent}" is "${id}" or one of its descendants` },
        ])
      }
      if (seen.has(at)) break
      seen.add(at)
    }
  }

  const store = createRecordStore(sql, {
    table: actors,
    name: 'actor',
    aliases: 'actor',
    toOut: toActor,
    nameOf: (input: ActorCreateInput) => input.name,
    inserted: async (input) => ({ ...namedColumns(input), parentId: await resolveParent(input.parent_id) }),
    updated: async (patch: ActorPatchInput, current, id) => {
      const parentId = patch.parent_id === undefined ? current.parent_id : await resolveParent(patch.parent_id)
      await assertNoCycle(id, parentId)
      return { ...patchedNamedColumns(patch, current), parentId }
    },
    written: () => treeCache.written(),
  })

  return {
    ...store,

    /** Every actor with its parent: the tree the attribution rules walk. */
    async tree(): Promise<ReadonlyMap<string, ActorInfo>> {
      return (await treeCache.get()).byId
    },

    /** The seq of the latest actor change: part of the summaries' ETags. */
    async revision(): Promise<number> {
      return (await treeCache.get()).revision
    },
  }
}

export type ActorsRepository = ReturnType<typeof createActorsRepository>
