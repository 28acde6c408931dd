import type { Db } from '../db/client.js'
import { actors } from '../db/schema.js'
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

export function createActorsRepository(db: Db) {
  // Every summary walks the actor tree: it is kept in memory, read again once a write through
  // this repository commits (this process is the database's only writer).
  const treeCache = committedDirectory(
    db,
    'SELECT id, name, parent_id FROM actors',
    ['actor.created', 'actor.updated'],
    (row: ActorInfo): ActorInfo => ({ id: row.id, name: row.name, parent_id: row.parent_id }),
  )

  const resolveParent = (ref: string | null | undefined) => requireRef(db, actors, 'actor', ref, 'parent_id', `No parent actor "${ref}".`)

  /** Walks up from `parent`; meeting `id` on the way means the change would make a cycle. */
  function assertNoCycle(id: string, parent: string | null): void {
    const seen = new Set<string>()
    for (let at = parent; at !== null; at = store.get(at)?.parent_id ?? null) {
      if (at === id) {
        throw new UnprocessableError(`Making "${parent}" the parent of "${id}" would make a cycle.`, [
          { path: '/parent_id', in: 'body', message: `"${parent}" is "${id}" or one of its descendants` },
        ])
      }
      if (seen.has(at)) break
      seen.add(at)
    }
  }

  const store = createRecordStore(db, {
    table: actors,
    name: 'actor',
    aliases: 'actor',
    toOut: toActor,
    nameOf: (input: ActorCreateInput) => input.name,
    inserted: (input) => ({ ...namedColumns(input), parentId: resolveParent(input.parent_id) }),
    updated: (patch: ActorPatchInput, current, id) => {
      const parentId = patch.parent_id === undefined ? current.parent_id : resolveParent(patch.parent_id)
      assertNoCycle(id, parentId)
      return { ...patchedNamedColumns(patch, current), parentId }
    },
    written: () => treeCache.written(),
  })

  return {
    ...store,

    /** Every actor with its parent: the tree the attribution rules walk. */
    tree(): ReadonlyMap<string, ActorInfo> {
      return treeCache.get().byId
    },

    /** The seq of the latest actor change: part of the summaries' ETags. */
    revision(): number {
      return treeCache.get().revision
    },
  }
}

export type ActorsRepository = ReturnType<typeof createActorsRepository>
