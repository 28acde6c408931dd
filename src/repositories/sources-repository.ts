import { sources } from '../db/schema.js'
import type { Sql } from '../db/sql.js'
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

export function createSourcesRepository(sql: Sql) {
  // Summaries name sources on every request: the few hundred sources are kept in memory, read again
  // once a write through this repository commits, and rechecked every half second (other replicas write too).
  const directoryCache = committedDirectory(
    sql,
    'SELECT id, name, affiliated_actor_id FROM sources',
    ['source.created', 'source.updated'],
    (row: SourceInfo): SourceInfo => ({ id: row.id, name: row.name, affiliated_actor_id: row.affiliated_actor_id }),
  )

  const affiliatedActor = (ref: string | null | undefined) =>
    requireRef(sql, 'actors', 'actor', ref, 'affiliated_actor_id', `No actor "${ref}" to affiliate the source with.`)

  const store = createRecordStore(sql, {
    table: sources,
    name: 'source',
    aliases: 'source',
    toOut: toSource,
    nameOf: (input: SourceCreateInput) => input.name,
    inserted: async (input) => ({
      ...namedColumns(input),
      country: input.country ?? null,
      url: input.url ?? null,
      affiliatedActorId: await affiliatedActor(input.affiliated_actor_id),
    }),
    updated: async (patch: SourcePatchInput, current) => ({
      ...patchedNamedColumns(patch, current),
      country: patched(patch.country, current.country),
      url: patched(patch.url, current.url),
      affiliatedActorId:
        patch.affiliated_actor_id === undefined ? current.affiliated_actor_id : await affiliatedActor(patch.affiliated_actor_id),
    }),
    written: () => directoryCache.written(),
  })

  return {
    ...store,

    /** Names and affiliations of the given sources, as the engine needs them. */
    async directory(ids: Iterable<string>): Promise<Map<string, SourceInfo>> {
      const all = (await directoryCache.get()).byId
      const out = new Map<string, SourceInfo>()
      for (const id of ids) {
        const info = all.get(id)
        if (info) out.set(id, info)
      }
      return out
    },

    /** The given sources as the API shows them (those that exist), each read once. */
    async several(ids: Iterable<string>): Promise<Map<string, SourceOut>> {
      const out = new Map<string, SourceOut>()
      for (const id of new Set(ids)) {
        const source = await store.get(id)
        if (source !== null) out.set(id, source)
      }
      return out
    },

    /** The seq of the latest source change: part of the summaries' ETags. */
    async revision(): Promise<number> {
      return (await directoryCache.get()).revision
    },

    /** `q` matches id, name and aliases (case-insensitive substring). */
    list(opts: { limit: number; cursor?: string | undefined; q?: string | undefined }) {
      if (!opts.q) return store.list(opts)
      const pattern = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      return store.list(opts, {
        text: `t.id LIKE ? ESCAPE '\\' OR unicode_lower(t.name) LIKE ? ESCAPE '\\'
          OR t.id IN (SELECT a.owner_id FROM aliases AS a WHERE a.namespace = 'source' AND a.key LIKE ? ESCAPE '\\')`,
        params: [pattern, pattern, pattern],
      })
    },
  }
}

export type SourcesRepository = ReturnType<typeof createSourcesRepository>
