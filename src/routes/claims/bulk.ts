/** POST /claims/bulk (contract §9): many claims, JSON, NDJSON or CSV, all or nothing. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { MAX_BULK_BYTES, MAX_BULK_ROWS, csvBody, ndjsonBody, tooManyRows } from '../../lib/bulk-body.js'
import { BulkClaims } from '../../schemas/claims.js'
import { BodyValidationError } from '../../services/bulk-claims.js'
import { errorResponses, flag, writeSecurity } from '../../schemas/common.js'
import { CLAIM_INPUT_FIELDS } from '../../schemas/csv-columns.js'
import { validatorCompiler } from '../../schemas/validator.js'

/** What a validator compiler is given: one part's schema (the query string's, here). */
type RouteSchemaPart = Parameters<typeof validatorCompiler>[0]

const BulkQuery = z.strictObject({
  dry_run: flag(false, 'Validate and report without writing.'),
})

const BulkResult = z
  .object({
    dry_run: z.boolean(),
    inserted: z.int().meta({ description: 'Claims created (or that would be, in a dry run).' }),
    existing: z.int().meta({ description: 'Rows that replayed an external_id with the same content.' }),
    ids: z.array(z.string().nullable()).meta({ description: 'Claim ids in row order; null for new rows in a dry run.' }),
  })
  .meta({ id: 'BulkResult' })

const bulkRoutes: FastifyPluginAsyncZod = async (app) => {
  // Scoped to this plugin: only the bulk route reads NDJSON and CSV.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: MAX_BULK_BYTES }, ndjsonBody)
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_BULK_BYTES }, csvBody(CLAIM_INPUT_FIELDS))

  app.post(
    '/bulk',
    {
      bodyLimit: MAX_BULK_BYTES,
      schema: {
        operationId: 'createClaimsBulk',
        summary: 'Record many claims at once',
        description: [
          'Takes a JSON array of claims, each with its `event_id` (`application/json`), the same as NDJSON, one claim per line',
          '(`application/x-ndjson`), or CSV (`text/csv`): a header row of contract field names, `via` and `actor_ids` as',
          '`;`-separated lists, an empty cell for an absent field. Sources and actors may be named by id or alias.',
          '',
          'A batch is atomic: every row lands or none does. A bad batch answers one problem document whose `errors` name every',
          'bad row and field as `/<row>/<field>`, rows counted from 0 (400 for invalid rows; 422 when rows name what does not',
          'exist; 409 when they clash with recorded claims). Rows that replay an `external_id` with the same content are not',
          `inserted again and count as \`existing\`. Limits: ${MAX_BULK_ROWS} rows and ${MAX_BULK_BYTES / 1024 / 1024} MiB per request (413 beyond).`,
        ].join('\n'),
        tags: ['claims'],
        security: writeSecurity,
        // The media types the body may have (the content type parsers above); each is documented with the JSON schema.
        consumes: ['application/json', 'application/x-ndjson', 'text/csv'],
        querystring: BulkQuery,
        body: BulkClaims.meta({
          description: 'JSON shown; NDJSON and CSV carry the same fields.',
          // Documents the preValidation check below (413, not 400).
          maxItems: MAX_BULK_ROWS,
          example: [
            {
              event_id: 'khan-shaykhun',
              kind: 'figure',
              source_id: 'sohr',
              stated_at: '2017-04-04',
              metric: 'killed',
              qualifier: 'exact',
              value: 58,
            },
            {
              event_id: 'khan-shaykhun',
              kind: 'figure',
              source_id: 'who',
              stated_at: '2017-04-05',
              metric: 'killed',
              qualifier: 'at_least',
              value: 70,
            },
          ],
        }),
        response: {
          200: BulkResult.describe('Dry run: what would happen.'),
          201: BulkResult,
          ...errorResponses(400, 401, 409, 413, 415, 422),
        },
      },
      // The body is validated with the batch, off the event loop (services/bulk-claims: 20,000 rows cost ~200 ms of
      // zod), by the schema above and with the same 400; the query string and headers here, as on every route.
      // (Fastify hands the compiler one part's schema at a time; its type names the route's whole schema.)
      validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : validatorCompiler(route as unknown as RouteSchemaPart)),
      // Their errors come to the handler, which names a bad body first, as Fastify does.
      attachValidation: true,
      preValidation: async (request) => {
        if (Array.isArray(request.body) && request.body.length > MAX_BULK_ROWS) throw tooManyRows(request.body.length)
      },
    },
    async (request, reply) => {
      const rows: unknown = request.body // as parsed: not validated yet (validatorCompiler above)
      if (request.validationError) {
        // A bad query string (or header). Fastify checks the body first and answers its errors alone: so here,
        // through a dry run that stops at a bad body and writes nothing in any case.
        const bodyError = await app.bulkClaims.record({ rows, dryRun: true }).then(
          () => null,
          (err: unknown) => (err instanceof BodyValidationError ? err : null),
        )
        throw bodyError ?? request.validationError
      }
      const dryRun = request.query.dry_run
      const outcome = await app.bulkClaims.record({ rows, dryRun })
      return reply.code(dryRun ? 200 : 201).send({ dry_run: dryRun, ...outcome })
    },
  )
}

export default bulkRoutes
