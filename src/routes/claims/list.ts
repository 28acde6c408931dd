/** GET /claims (contract §10): every claim, filtered, as JSON pages or a streamed NDJSON or CSV export. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { METRICS } from '../../engine/types.js'
import { EXPORT_DOC, formatsResponse, sendList } from '../../lib/formats.js'
import { CLAIM_STATUSES, createClaimsQuery } from '../../repositories/claims-query.js'
import { choice } from '../../schemas/choice.js'
import { CLAIM_KINDS, Claim } from '../../schemas/claims.js'
import { Moment, StatedAt, errorResponses, page } from '../../schemas/common.js'
import { ClaimView, claimColumns } from '../../schemas/csv-columns.js'
import { listFields } from '../../schemas/list-fields.js'

const ClaimListQuery = z
  .strictObject({
    event_id: z.string().min(1).max(200).optional().meta({ description: 'Only the claims of this event.', example: 'khan-shaykhun' }),
    source_id: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'Only the claims of this origin source (its id or an alias).', example: 'sohr' }),
    kind: choice(CLAIM_KINDS).optional(),
    metric: choice(METRICS, 'Only figures of this metric.').optional(),
    status: choice(CLAIM_STATUSES, 'active, superseded (a claim that is not retracted names it in `supersedes`) or retracted.').optional(),
    stated_from: StatedAt.optional().meta({
      description: 'Stated at or after: a date (its start, 00:00:00Z) or a date-time.',
      example: '2017-04-04',
    }),
    stated_to: Moment.optional().meta({
      description: 'Stated at or before: a date (its end, 23:59:59.999Z) or a date-time.',
      example: '2017-04-05',
    }),
    view: ClaimView,
    ...listFields,
  })
  .refine((q) => q.stated_from === undefined || q.stated_to === undefined || q.stated_from <= q.stated_to, {
    message: 'must not be before stated_from',
    path: ['stated_to'],
  })

const claimsListRoutes: FastifyPluginAsyncZod = async (app) => {
  const claimsQuery = createClaimsQuery(app.sql)

  app.get(
    '/',
    {
      config: { etag: 'database' },
      schema: {
        operationId: 'listClaims',
        summary: 'List and export claims',
        description:
          'Every claim — retracted and superseded ones included, with their status — in the order they were stated (then by id), ' +
          'filtered by `event_id`, `source_id`, `kind`, `metric`, `status` and the `stated_from`–`stated_to` span (both inclusive). ' +
          EXPORT_DOC,
        tags: ['claims'],
        querystring: ClaimListQuery,
        response: { 200: formatsResponse(page(Claim), 'A page of claims, or the export.'), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { event_id, source_id, kind, metric, status, stated_from, stated_to, view, ...list } = request.query
      // An alias names its source here as everywhere; an unknown one simply matches nothing.
      const source = source_id === undefined ? undefined : ((await app.repos.sources.resolve(source_id)) ?? source_id)
      const filters = { event_id, source_id: source, kind, metric, status, stated_from, stated_to }
      return sendList(request, reply, list, {
        columns: claimColumns({ full: view === 'full', metric }),
        page: (cursor, limit) => claimsQuery.page(filters, cursor, limit),
      })
    },
  )
}

export default claimsListRoutes
