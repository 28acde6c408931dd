/**
 * POST /sources/bulk, /actors/bulk, /events/bulk (contract §9): a JSON array
 * that creates or updates records by id, all or nothing, so that one script
 * can load a dataset's metadata before its claims — and run again safely.
 */
import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import type { Sql } from '../db/sql.js'
import { type FieldError, ProblemError } from '../errors.js'
import { MAX_BULK_BYTES, MAX_BULK_ROWS, tooManyRows } from '../lib/bulk-body.js'
import { errorResponses, writeSecurity } from '../schemas/common.js'

export interface BulkSpec<C extends z.ZodType> {
  /** Singular; the plural (+s) is the path and the tag. */
  name: 'source' | 'actor' | 'event'
  create: C
  sql: Sql
  repo: {
    get(id: string): Promise<unknown>
    create(input: z.output<C>): Promise<unknown>
    /** Given the create fields of an existing id: they replace the stored ones; absent ones are kept. */
    update(id: string, patch: Omit<z.output<C>, 'id'>): Promise<unknown>
  }
}

const BulkUpsertResult = z
  .object({
    created: z.int(),
    updated: z.int(),
    unchanged: z.int().meta({ description: 'Rows whose id exists and whose fields already hold what they give: nothing is written.' }),
    ids: z.array(z.string()).meta({ description: 'In row order.' }),
  })
  .meta({ id: 'BulkUpsertResult' })

/** When rows fail for different reasons, the answer is the one a caller must fix first. */
const PRECEDENCE = [400, 422, 409, 404]

export function bulkUpsertRoutes<C extends z.ZodType>(spec: BulkSpec<C>): FastifyPluginAsync {
  const plural = `${spec.name}s`
  const Plural = plural.charAt(0).toUpperCase() + plural.slice(1)
  return async (app) => {
    app.post(
      '/bulk',
      {
        bodyLimit: MAX_BULK_BYTES,
        // Before validation, so that too many rows is a 413 as on /claims/bulk.
        preValidation: async (request) => {
          if (Array.isArray(request.body) && request.body.length > MAX_BULK_ROWS) throw tooManyRows(request.body.length)
        },
        schema: {
          operationId: `upsert${Plural}Bulk`,
          summary: `Create or update many ${plural}`,
          description:
            `A JSON array of ${plural}. A row whose id exists updates that ${spec.name} with the fields it gives (absent fields are kept); ` +
            `any other row creates one (its id given or derived). Rows may refer to rows before them. All or nothing: errors name ` +
            `\`/<row>/<field>\`, rows counted from 0. At most ${MAX_BULK_ROWS} rows.`,
          tags: [plural],
          security: writeSecurity,
          // maxItems documents the preValidation check above (413, not 400).
          body: z.array(spec.create).meta({ maxItems: MAX_BULK_ROWS }),
          response: { 200: BulkUpsertResult, ...errorResponses(400, 401, 409, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const rows = request.body as Array<z.output<C> & { id?: string }>
        // All or nothing, in one transaction, whose turn comes through the write gate.
        const upsertAll = () =>
          spec.sql.transaction(async () => {
            const errors: Array<FieldError & { status: number }> = []
            const ids: string[] = []
            let created = 0
            let unchanged = 0
            for (const [i, row] of rows.entries()) {
              try {
                // Each row in a savepoint: a failed row leaves nothing, and the next rows are still checked.
                await spec.sql.transaction(async () => {
                  const { id, ...fields } = row
                  const current = id === undefined ? null : ((await spec.repo.get(id)) as Record<string, unknown> | null)
                  if (id !== undefined && current !== null) {
                    // A re-run of the same dataset writes nothing: no updated_at, no change-log noise.
                    // (A field given in another form, e.g. an alias for an id, counts as a change.)
                    const same = Object.entries(fields).every(([k, v]) => JSON.stringify(v ?? null) === JSON.stringify(current[k] ?? null))
                    if (same) unchanged++
                    else await spec.repo.update(id, fields)
                    ids.push(id)
                  } else {
                    ids.push(((await spec.repo.create(row)) as { id: string }).id)
                    created++
                  }
                })
              } catch (err) {
                if (!(err instanceof ProblemError)) throw err
                const own = err.errors ?? [{ path: '', in: 'body' as const, message: err.message }]
                for (const e of own) errors.push({ ...e, path: `/${i}${e.path}`, status: err.status })
              }
            }
            if (errors.length > 0) {
              const status = PRECEDENCE.find((s) => errors.some((e) => e.status === s)) ?? 400
              const slug = status === 400 ? 'invalid-request' : status === 409 ? 'conflict' : 'unprocessable'
              throw new ProblemError(
                status,
                slug,
                'Some rows were refused',
                `${new Set(errors.map((e) => e.path.split('/')[1])).size} of ${rows.length} rows were refused; nothing was written.`,
                errors.map(({ status: _status, ...e }) => e),
              )
            }
            return { created, updated: rows.length - created - unchanged, unchanged, ids }
          })
        return reply.code(200).send(await app.writes.write(upsertAll))
      },
    )
  }
}
