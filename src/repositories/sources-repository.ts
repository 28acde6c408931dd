import { and, eq, inArray, or, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { actors, aliases, sources } from '../db/schema.js'
import type { SourceInfo } from '../engine/types.js'
import type { SourceCreateInput, SourceOut, SourcePatchInput } from '../schemas/sources.js'
import { createRecordStore, namedColumns, patchedNamedColumns } from './record-store.js'
import { committedDirectory, patched, requireRef } from './records.js'

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
  // Summaries name sources on every request: the few hundred sources are kept in memory, read again
  // once a write through this repository commits (this process is the database's only writer).
  const directoryCache = committedDirectory(
    db,
    'SELECT id, name, affiliated_actor_id FROM sources',
    ['source.created', 'source.updated'],
    (row: SourceInfo): SourceInfo => ({ id: row.id, name: row.name, affiliated_actor_id: row.affiliated_actor_id }),
  )

  const affiliatedActor = (ref: string | null | undefined) =>
    requireRef(db, actors, 'actor', ref, 'affiliated_actor_id', `No actor "${ref}" to affiliate the source with.`)

  const store = createRecordStore(db, {
    table: sources,
    name: 'source',
    aliases: 'source',
    toOut: toSource,
    nameOf: (input: SourceCreateInput) => input.name,
    inserted: (input) => ({
      ...namedColumns(input),
      country: input.country ?? null,
      url: input.url ?? null,
      affiliatedActorId: affiliatedActor(input.affiliated_actor_id),
    }),
    updated: (patch: SourcePatchInput, current) => ({
      ...patchedNamedColumns(patch, current),
      country: patched(patch.country, current.country),
      url: patched(patch.url, current.url),
      affiliatedActorId: patch.affiliated_actor_id === undefined ? current.affiliated_actor_id : affiliatedActor(patch.affiliated_actor_id),
    }),
    written: () => directoryCache.written(),
  })

  return {
    ...store,

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

    /** `q` matches id, name and aliases (case-insensitive substring). */
    list(opts: { limit: number; cursor?: string | undefined; q?: string | undefined }) {
      if (!opts.q) return store.list(opts)
      const pattern = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      const aliasOwners = db
        .select({ id: aliases.ownerId })
        .from(aliases)
        .where(and(eq(aliases.namespace, 'source'), sql`${aliases.key} LIKE ${pattern} ESCAPE '\\'`))
      return store.list(
        opts,
        or(
          sql`${sources.id} LIKE ${pattern} ESCAPE '\\'`,
          sql`unicode_lower(${sources.name}) LIKE ${pattern} ESCAPE '\\'`,
          inArray(sources.id, aliasOwners),
        ),
      )
    },
  }
}

export type SourcesRepository = ReturnType<typeof createSourcesRepository>
