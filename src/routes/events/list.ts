/**
 * GET /events (contract §10): events filtered and sorted, each with its
 * dispute block, as JSON pages or a streamed NDJSON or CSV export. The block
 * is read from event_disputes, which every write keeps up to date (see
 * src/repositories/disputes-repository.ts): no summary is computed here.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { EXPORT_DOC, formatsResponse, sendList } from '../../lib/formats.js'
import { createEventListQuery } from '../../repositories/event-list-query.js'
import { errorResponses, page } from '../../schemas/common.js'
import { resourceColumns } from '../../schemas/csv-columns.js'
import { EventListItem, EventListQuery } from '../../schemas/events.js'

/** HXL hashtags of the dispute columns (the event's own come from csv-columns). */
const DISPUTE_HXL: Record<string, string> = {
  dispute_level: '#status+disagreement',
  dispute_relative_spread: '#meta+relative_spread',
  dispute_range_low: '#affected+killed+min',
  dispute_range_high: '#affected+killed+max',
  dispute_status: '#status+attribution',
  dispute_claims: '#meta+claims',
}

const eventsListRoutes: FastifyPluginAsyncZod = async (app) => {
  const events = createEventListQuery(app.sql)
  // Every field of the item, nested objects flattened: …, dispute_level, dispute_relative_spread, dispute_range_low, ….
  const columns = resourceColumns('events', EventListItem).map((c) => ({ ...c, hxl: DISPUTE_HXL[c.name] ?? c.hxl }))

  app.get(
    '/',
    {
      config: { etag: 'database' },
      schema: {
        operationId: 'listEvents',
        summary: 'List, filter and sort events, with how disputed each is',
        description:
          'Events, each with a `dispute` block: the level and relative_spread of its most disputed figure group (highest level, then highest relative_spread), ' +
          'the range of its killed/all group, its attribution status and how many claims it has — what GET /events/{id}/summary says now. ' +
          'Filters combine (all must hold): `country`, `from`/`to` (an event is within them when every day its occurred_on can mean is: ' +
          '2017-04 is within from=2017-04-01&to=2017-04-30, not within from=2017-04-15), `tag`, `q`, `level`, `attribution_status`. ' +
          '`sort`: occurred_on, -occurred_on, -dispute, -claims; default id order. The cursor carries the sort: a cursor of one sort given with another is a 400. ' +
          EXPORT_DOC,
        tags: ['events'],
        querystring: EventListQuery,
        response: { 200: formatsResponse(page(EventListItem), 'A page of events, or the export.'), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { country, from, to, tag, q, level, attribution_status, sort, ...list } = request.query
      // Claims stated in the future when written count once their stated_at passes: catch up on those first.
      await app.writes.write(() => app.repos.disputes.refreshDue())
      const filters = { country, from, to, tag, q, level, attribution_status }
      return sendList(request, reply, list, {
        columns,
        page: (cursor, limit) => events.page(filters, sort ?? 'id', cursor, limit),
      })
    },
  )
}

export default eventsListRoutes
