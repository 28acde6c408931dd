/** GET /summaries (contract §10): one row per (event, figure group), as of a moment. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { type Column, EXPORT_DOC, formatsResponse, sendList } from '../../lib/formats.js'
import type { Metric } from '../../engine/types.js'
import { nowIso } from '../../lib/time.js'
import { errorResponses, page } from '../../schemas/common.js'
import { ADJUSTED_COLUMNS, summaryColumns } from '../../schemas/csv-columns.js'
import { SummaryListQuery, SummaryRow } from '../../schemas/summary-rows.js'

/** With `adjusted=true`: the summary's columns with the bias-aware estimate before as_of (#16). */
function adjustedColumns(metric: Metric | undefined): Column[] {
  const columns = summaryColumns(metric)
  const asOf = columns.pop() as Column
  return [...columns, ...ADJUSTED_COLUMNS, asOf]
}

/** Events summarized per query while streaming: each costs a summary, so fewer than claim rows. */
const EVENTS_PER_BATCH = 100

const summariesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { etag: 'database', stampsNow: true },
      schema: {
        operationId: 'listSummaries',
        summary: 'Every event’s figure groups, one row each',
        description:
          'One row per (event, figure group) as of `as_of` (default now), computed as GET /events/{id}/summary computes it: the group, ' +
          'its sources, range, median and disagreement, the event’s attribution status, and the `as_of` it is computed as of (last, after the contract’s columns). Events come in id order, each with its groups ' +
          'in the summary’s order (metric, population, party); events with no figure group as of `as_of` have no row. ' +
          '**`limit` counts events, not rows**: a page holds every row of up to `limit` events, and the cursor is the last event’s, so an ' +
          'event’s groups never straddle two pages. `metric` keeps the groups of one metric and tags the CSV numbers as such in HXL ' +
          `(\`#affected+killed\` for the median). ${EXPORT_DOC}`,
        tags: ['events'],
        querystring: SummaryListQuery,
        response: { 200: formatsResponse(page(SummaryRow), 'A page of summary rows, or the export.'), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { as_of, metric, adjusted, ...list } = request.query
      const asOf = as_of ?? nowIso()
      const estimates = adjusted
        ? async (eventId: string) => (await app.trackRecords.estimates(eventId, as_of, undefined, request.databaseNow))?.groups ?? []
        : undefined
      return sendList(request, reply, list, {
        columns: adjusted ? adjustedColumns(metric) : summaryColumns(metric),
        batch: EVENTS_PER_BATCH,
        asOf,
        page: (cursor, limit) => app.summaryService.rowsPage({ asOf, metric, cursor, limit, adjusted: estimates }),
      })
    },
  )
}

export default summariesRoutes
