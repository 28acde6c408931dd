import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Cursor, Limit } from '../../schemas/common.js'
import { Source, SourceCreate, SourcePatch } from '../../schemas/sources.js'
import { resourceRoutes } from '../resource-routes.js'
import { sourceRecordRoutes } from '../track-records/index.js'

const SourceListQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional().meta({ description: 'Matches id, name and aliases (case-insensitive substring).' }),
  limit: Limit,
  cursor: Cursor.optional(),
})

const sourcesRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(
    resourceRoutes({
      name: 'source',
      create: SourceCreate,
      patch: SourcePatch,
      out: Source,
      listQuery: SourceListQuery,
      listDescription: 'Sources in id order; `q` matches id, name and aliases.',
      sql: app.sql,
      repo: app.repos.sources,
    }),
  )
  await app.register(sourceRecordRoutes)
}

export default sourcesRoutes
