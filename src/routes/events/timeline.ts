/**
 * GET /events/{id}/timeline (contract §11): one figure group, step by step,
 * as JSON (default), NDJSON or CSV, paged with `limit` and `cursor` or whole.
 * Every answer is streamed: the steps are computed as they are sent, a slice
 * at a time (lib/streaming), so a timeline of any length neither holds the
 * event loop nor fills memory. JSON is written as the route's serializer
 * would write the whole document: the envelope, the steps, then next_cursor.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { CONTENT_TYPES, chooseFormat, csvRenderer, formatsResponse, nameDownload, nextLink, varyOn } from '../../lib/formats.js'
import { type SlicedText, sendSliced } from '../../lib/streaming.js'
import type { GroupKey, TimelineStep as Step } from '../../engine/timeline.js'
import { IdParams, errorResponses } from '../../schemas/common.js'
import { timelineColumns } from '../../schemas/csv-columns.js'
import { Timeline, TimelineQuery, TimelineStep } from '../../schemas/timeline.js'
import { createTimelineService, timelineRow } from '../../services/timeline-service.js'

/** A step as the route's serializer writes it: through its schema (zod's encode), then JSON.stringify. */
const stepJson = (step: Step) => JSON.stringify(TimelineStep.encode(step))

/** The JSON document, `{ metric, population, party, steps: [...], next_cursor }`, around its steps. */
function jsonText(key: GroupKey, nextCursor: string | null): SlicedText<Step> {
  const empty = JSON.stringify(Timeline.encode({ ...key, steps: [], next_cursor: nextCursor }))
  // The last `"steps":[]`: the party before it is a JSON string, in which a quote is escaped.
  const at = empty.lastIndexOf('"steps":[]') + '"steps":['.length
  return {
    head: empty.slice(0, at),
    render: (step, first) => (first ? '' : ',') + stepJson(step),
    tail: () => empty.slice(at),
  }
}

const ndjsonText: SlicedText<Step> = { head: '', render: (step) => `${stepJson(step)}\n`, tail: () => '' }

function csvText(key: GroupKey, hxl: boolean, raw: boolean): SlicedText<Step> {
  const csv = csvRenderer(timelineColumns(key.metric), hxl, raw)
  return { head: csv.head, render: (step) => csv.items([timelineRow(key, step)]), tail: () => '' }
}

const timelineRoutes: FastifyPluginAsyncZod = async (app) => {
  const timelines = createTimelineService(app.sql, app.repos)

  app.get(
    '/:id/timeline',
    {
      config: { etag: 'event' },
      schema: {
        operationId: 'getEventTimeline',
        summary: 'How one figure group moved over time',
        description:
          'One step for each distinct stated_at of the group’s claims, in order; each step’s `summary` is the group summary (as in the event summary) as of that moment. ' +
          'Computed in one pass over the group’s claims (and the corrections that supersede them). `known_at` replays what the database held then; ' +
          '`as_of` stops the steps there; `from` and `to` keep the steps between them (both inclusive). ' +
          'Without `limit`, every step (from `cursor` on); with it, at most `limit` steps, and when more follow, `next_cursor` and `Link: <…>; rel="next"` ' +
          '(the same URL with the next cursor). JSON (default) is `{ metric, population, party, steps, next_cursor }`; NDJSON (by `format` or the Accept header) ' +
          'is one step `{ at, summary }` per line; CSV one row per step: its moment, the group, the columns of GET /summaries, the agreement band and the ' +
          'counted claims’ ids (`hxl=true` adds a row of HXL hashtags). Every format is streamed as the steps are computed, so memory stays flat however long the timeline.',
        tags: ['events'],
        params: IdParams,
        querystring: TimelineQuery,
        response: {
          200: formatsResponse(Timeline, 'The steps, as one document, one step per line, or one row per step.'),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const query = request.query
      const format = chooseFormat(request, query)
      varyOn(reply, 'Accept')
      // An alias names the same party.
      const party = query.party === undefined ? null : ((await app.repos.actors.resolve(query.party)) ?? query.party)
      const key: GroupKey = { metric: query.metric, population: query.population, party }
      const page = await timelines.page(request.params.id, {
        key,
        asOf: query.as_of,
        knownAt: query.known_at,
        from: query.from,
        to: query.to,
        cursor: query.cursor,
        limit: query.limit,
      })
      if (page.next_cursor !== null) reply.header('link', nextLink(request.url, page.next_cursor))
      if (format !== 'json') nameDownload(request, reply, format, undefined)
      const text =
        format === 'json' ? jsonText(key, page.next_cursor) : format === 'ndjson' ? ndjsonText : csvText(key, query.hxl, query.raw)
      return sendSliced(reply, CONTENT_TYPES[format], page.steps, text)
    },
  )
}

export default timelineRoutes
