/**
 * Sources, actors and events share one shape of routes (contract §1):
 * POST /, GET /, GET /{id}, PATCH /{id}, POST /bulk. This builds them from the
 * resource's schemas and repository, so the three stay alike.
 */
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { Sql } from '../db/sql.js'
import { EXPORT_DOC, type ListQueryFields, formatsResponse, sendList } from '../lib/formats.js'
import { IdParams, errorResponses, page, writeSecurity } from '../schemas/common.js'
import { type BulkSpec, bulkUpsertRoutes } from './bulk-metadata.js'
import { resourceColumns } from '../schemas/csv-columns.js'
import { withListFields } from '../schemas/list-fields.js'

interface Page<T> {
  items: T[]
  next_cursor: string | null
}

export interface ResourceSpec<C extends z.ZodType, P extends z.ZodType, O extends z.ZodType, Q extends z.ZodType> {
  /** Singular, for prose and operation ids; the plural (+s) is the path and the tag. */
  name: 'source' | 'actor' | 'event'
  create: C
  patch: P
  out: O
  listQuery: Q
  listDescription: string
  /** True when the resource registers its own GET / (events: filters and sorts of their own); none is built here. */
  ownList?: boolean
  /** For POST /bulk: its rows land in one transaction of this database. */
  sql: Sql
  repo: BulkSpec<C>['repo'] & {
    create(input: z.output<C>): Promise<z.output<O>>
    update(id: string, patch: z.output<P>): Promise<z.output<O>>
    require(id: string): Promise<z.output<O>>
    list(query: z.output<Q>): Promise<Page<z.output<O>>>
  }
}

function capitalized(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

export function resourceRoutes<C extends z.ZodType, P extends z.ZodType, O extends z.ZodType, Q extends z.ZodType>(
  spec: ResourceSpec<C, P, O, Q>,
): FastifyPluginAsync {
  const Name = capitalized(spec.name)
  const a = /^[aeiou]/.test(spec.name) ? 'an' : 'a'
  const plural = `${spec.name}s`
  const Plural = capitalized(plural)
  // Typed as a plain plugin: a type provider cannot infer through generic
  // schemas. The zod compilers set on the root still validate and serialize.
  return async (app) => {
    app.post(
      '/',
      {
        schema: {
          operationId: `create${Name}`,
          summary: `Create ${a} ${spec.name}`,
          description: `Creates ${a} ${spec.name}. The id is derived from the name when not given (with -2, -3, … on collision); a given id that is taken is a 409.`,
          tags: [plural],
          security: writeSecurity,
          body: spec.create,
          response: { 201: spec.out, ...errorResponses(400, 401, 409, 415, 422) },
        },
      },
      async (request, reply) => {
        const created = await app.writes.write(() => spec.repo.create(request.body as z.output<C>))
        const id = (created as { id: string }).id
        return reply.code(201).header('location', `/${plural}/${id}`).send(created)
      },
    )

    if (!spec.ownList) {
      const columns = resourceColumns(plural, spec.out)
      app.get(
        '/',
        {
          config: { etag: 'database' },
          schema: {
            operationId: `list${Plural}`,
            summary: `List ${plural}`,
            description: `${spec.listDescription} ${EXPORT_DOC}`,
            tags: [plural],
            querystring: withListFields(spec.listQuery),
            response: { 200: formatsResponse(page(spec.out), `A page of ${plural}, or the export.`), ...errorResponses(400) },
          },
        },
        async (request, reply) => {
          const query = request.query as z.output<Q> & ListQueryFields
          return sendList(request, reply, query, { columns, page: (cursor, limit) => spec.repo.list({ ...query, cursor, limit }) })
        },
      )
    }

    app.get(
      '/:id',
      {
        config: { etag: 'database' },
        schema: {
          operationId: `get${Name}`,
          summary: `Get ${a} ${spec.name}`,
          description: `The ${spec.name} with this id; 404 when there is none.`,
          tags: [plural],
          params: IdParams,
          response: { 200: spec.out, ...errorResponses(404) },
        },
      },
      async (request, reply) => reply.send(await spec.repo.require((request.params as z.output<typeof IdParams>).id)),
    )

    app.patch(
      '/:id',
      {
        schema: {
          operationId: `update${Name}`,
          summary: `Update ${a} ${spec.name}`,
          description: 'Changes the fields given; null clears an optional field. The id never changes.',
          tags: [plural],
          security: writeSecurity,
          params: IdParams,
          body: spec.patch,
          response: { 200: spec.out, ...errorResponses(400, 401, 404, 409, 415, 422) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as z.output<typeof IdParams>
        return reply.send(await app.writes.write(() => spec.repo.update(id, request.body as z.output<P>)))
      },
    )

    await app.register(bulkUpsertRoutes(spec))
  }
}
