/** GET /events/{id}/estimates (#16): each figure group's median beside the bias-aware estimate, with every source's factor and weight. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { NotFoundError } from '../../errors.js'
import { JsonText, column, formatsResponse, sendDocument } from '../../lib/formats.js'
import { errorResponses, IdParams } from '../../schemas/common.js'
import { formatFields } from '../../schemas/list-fields.js'
import { ADJUSTED_COLUMNS } from '../../schemas/csv-columns.js'
import { type EstimateRow, EstimatesQuery, EventEstimates } from '../../schemas/track-records.js'
import { DEFAULT_LEVEL } from '../../engine/track-record.js'

type EventEstimatesOut = z.output<typeof EventEstimates>

/** One flat row per group: NDJSON and CSV. */
export function estimateRows(doc: EventEstimatesOut): Array<z.output<typeof EstimateRow>> {
  return doc.groups.map((g) => ({
    event_id: doc.event_id,
    metric: g.metric,
    population: g.population,
    party: g.party,
    median: g.median,
    adjusted_value: g.adjusted.value,
    adjusted_low: g.adjusted.low,
    adjusted_high: g.adjusted.high,
    level: g.adjusted.level,
    sources: g.adjusted.sources.filter((s) => s.counted).length,
    as_of: doc.as_of,
  }))
}

export const ESTIMATE_COLUMNS = [
  column('event_id', '#event+id'),
  column('metric', '#indicator+metric'),
  column('population', '#group+population'),
  column('party', '#org+id+party'),
  column('median', '#affected+median'),
  ...ADJUSTED_COLUMNS,
  column('level', '#meta+level'),
  column('sources', '#meta+sources'),
  column('as_of', '#date+as_of'),
]

const estimatesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/:id/estimates',
    {
      config: { etag: 'database', stampsNow: true, keptState: true },
      schema: {
        operationId: 'getEventEstimates',
        summary: "An event's figures, bias-aware",
        description:
          'For every figure group as of `as_of` (default now): the contract’s median, unchanged, and beside it an `adjusted` estimate — ' +
          'each counted claim’s point divided by its source’s learnt factor for its relation to the counted party (GET /track-records), ' +
          'possible echoes counted once, combined on the log scale weighting each source by how consistent its record is, with an interval at ' +
          '`level`. Every source’s factor and weight is listed. Learnt from the claims stated by `as_of` only. JSON (default); NDJSON and CSV ' +
          'give one row per group.',
        tags: ['events'],
        params: IdParams,
        querystring: EstimatesQuery.extend(formatFields),
        response: { 200: formatsResponse(EventEstimates, 'The estimates, or one row per group.'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const id = request.params.id
      const level = request.query.level ?? DEFAULT_LEVEL
      // The database's state as the ETag read it: the learning is stamped with it, with no second read.
      const found = await app.trackRecords.estimatesText(id, request.query.as_of, level, request.databaseNow)
      if (found === null) throw new NotFoundError('event', id)
      // The document in the schema's order around the groups' text (validated when it was made).
      const text = `{"event_id":${JSON.stringify(id)},"as_of":${JSON.stringify(found.as_of)},"level":${JSON.stringify(level)},"groups":${found.groups}}`
      const doc = async (): Promise<EventEstimatesOut> => JSON.parse(text) as EventEstimatesOut
      return sendDocument(request, reply, request.query, {
        json: async () => new JsonText(text),
        rows: async () => estimateRows(await doc()),
        columns: ESTIMATE_COLUMNS,
        asOf: async () => (await doc()).as_of,
      })
    },
  )
}

export default estimatesRoutes
