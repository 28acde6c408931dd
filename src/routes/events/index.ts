import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { EXPORT_DOC, formatsResponse, JsonText, sendDocument, sendList } from '../../lib/formats.js'
import { createClaimsQuery } from '../../repositories/claims-query.js'
import { Claim, ClaimCreate } from '../../schemas/claims.js'
import { IdParams, ListQuery, errorResponses, page, writeSecurity } from '../../schemas/common.js'
import { ClaimView, claimColumns, summaryColumns } from '../../schemas/csv-columns.js'
import { Event, EventCreate, EventPatch } from '../../schemas/events.js'
import { formatFields, listFields } from '../../schemas/list-fields.js'
import { EventSummary, type EventSummaryOut, SummaryQuery } from '../../schemas/summary.js'
import { summaryRows } from '../../services/summary-service.js'
import { BadRequestError } from '../../errors.js'
import { resourceRoutes } from '../resource-routes.js'
import chartRoutes from './chart.js'
import estimatesRoutes from './estimates.js'
import eventsListRoutes from './list.js'
import provenanceRoutes from './provenance.js'
import timelineRoutes from './timeline.js'

/** The summary's CSV and NDJSON columns: the same on every request. */
const SUMMARY_COLUMNS = summaryColumns()

const eventsRoutes: FastifyPluginAsyncZod = async (app) => {
  const claimsQuery = createClaimsQuery(app.sql)
  await app.register(
    resourceRoutes({
      name: 'event',
      create: EventCreate,
      patch: EventPatch,
      out: Event,
      listQuery: ListQuery,
      listDescription: 'Events in id order.',
      ownList: true,
      sql: app.sql,
      repo: app.repos.events,
    }),
  )
  await app.register(eventsListRoutes)

  await app.register(provenanceRoutes)
  await app.register(chartRoutes)
  await app.register(estimatesRoutes)

  app.get(
    '/:id/summary',
    {
      config: { etag: 'event' },
      schema: {
        operationId: 'getEventSummary',
        summary: "An event's figures and attributions, reconciled",
        description:
          'For each figure group (metric, population, party): the range, the median, whether one number could satisfy every source, ' +
          'where most sources agree, and how strongly they disagree; and who blames whom. Computed from the claims stated by `as_of` ' +
          '(default now), counting each source once per group: its latest claim. Retracted claims never count; superseded ones do not once their replacement is stated. ' +
          'JSON (default) is the whole summary; NDJSON and CSV (by `format` or the Accept header) give one row per figure group with the columns of GET /summaries; ' +
          'CSV takes `hxl=true` for a row of HXL hashtags.',
        tags: ['events'],
        params: IdParams,
        querystring: SummaryQuery.extend(formatFields),
        response: { 200: formatsResponse(EventSummary, 'The summary, or its figure groups as rows.'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params
      const { as_of, known_at } = request.query
      let computed: Promise<EventSummaryOut> | undefined
      const summary = () => (computed ??= app.summaryService.summarize(id, as_of, known_at))
      // "Now": the stored summary, as read for the ETag (or read here when no ETag was computed).
      const stored = async () =>
        as_of !== undefined || known_at !== undefined
          ? null
          : request.eventNow
            ? request.eventNow.summary
            : app.summaryService.storedNow(id)
      return sendDocument(request, reply, request.query, {
        json: async () => {
          const text = await stored()
          return text === null ? summary() : new JsonText(text)
        },
        rows: async () => {
          const s = await summary()
          return summaryRows(s.event, s, s.as_of)
        },
        columns: SUMMARY_COLUMNS,
        // The file is named by the moment the rows are computed as of ("now" is only known then).
        asOf: async () => (await summary()).as_of,
      })
    },
  )

  await app.register(timelineRoutes)

  app.get(
    '/:id/claims',
    {
      config: { etag: 'event' },
      schema: {
        operationId: 'listEventClaims',
        summary: "An event's claims",
        description:
          'Every claim recorded for the event — retracted and superseded ones included, with their status — in the order they were stated (then by id); ' +
          `the same as GET /claims?event_id={id}, and a 404 for an unknown event. ${EXPORT_DOC}`,
        tags: ['claims'],
        params: IdParams,
        querystring: z.strictObject({ view: ClaimView, ...listFields }),
        response: { 200: formatsResponse(page(Claim), 'A page of claims, or the export.'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const eventId = (await app.repos.events.require(request.params.id)).id
      const { view, ...list } = request.query
      return sendList(request, reply, list, {
        columns: claimColumns({ full: view === 'full' }),
        page: (cursor, limit) => claimsQuery.page({ event_id: eventId }, cursor, limit),
      })
    },
  )

  app.post(
    '/:id/claims',
    {
      schema: {
        operationId: 'createEventClaim',
        summary: 'Record a claim about this event',
        description:
          'Records a figure or an attribution. Claims are immutable. Re-sending the same (source_id, external_id) with the same content returns the existing claim with 200; with other content it is a 409.',
        tags: ['claims'],
        security: writeSecurity,
        params: IdParams,
        body: ClaimCreate,
        response: { 200: Claim, 201: Claim, ...errorResponses(400, 401, 404, 409, 415, 422) },
      },
    },
    async (request, reply) => {
      const eventId = request.params.id
      if (request.body.event_id !== undefined && request.body.event_id !== eventId) {
        throw new BadRequestError('The event_id in the body is not the event in the path.', [
          { path: '/event_id', in: 'body', message: `must be "${eventId}" (the event in the path) or absent` },
        ])
      }
      const { claim, created } = await app.writes.write(() => app.claimsService.record(request.body, eventId, { eventFromPath: true }))
      return reply
        .code(created ? 201 : 200)
        .header('location', `/claims/${claim.id}`)
        .send(claim)
    },
  )
}

export default eventsRoutes
