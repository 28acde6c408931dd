/** GET /events/{id}/chart.svg (contract §13): one figure group as an embeddable SVG chart. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { renderFigureChart, sourceLabelsFor } from '../../charts/figure-chart.js'
import { METRICS, POPULATIONS } from '../../engine/types.js'
import { choice } from '../../schemas/choice.js'
import { IdParams, Moment, errorResponses, flag } from '../../schemas/common.js'
import { Level } from '../../schemas/track-records.js'
import { DEFAULT_LEVEL } from '../../engine/track-record.js'

export const SVG_TYPE = 'image/svg+xml; charset=utf-8'

const ChartQuery = z
  .strictObject({
    metric: choice(METRICS, 'The figure group: metric. Default `killed`.').default('killed'),
    population: choice(POPULATIONS, 'The figure group: population. Default `all`.').default('all'),
    party: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: "The group's party: an actor id or alias. Absent means the group without a party." }),
    as_of: Moment.optional().meta({
      description:
        "Draw the claims stated by this moment: a date (its end, 23:59:59.999Z) or a date-time; the chart's date line shows it. Default: now (the date line shows the date of the request).",
      example: '2017-04-06',
    }),
    known_at: Moment.optional().meta({
      description:
        'What the database held at that moment: claims recorded after it, and retractions made after it, are ignored. A date means its end.',
    }),
    median: flag(true, "Draw the median of the sources' figures (a dashed line, labelled with its value): `true` (default) or `false`."),
    adjusted: flag(
      false,
      'Also draw the bias-aware estimate of the group (GET /events/{id}/estimates): a row under the sources’ with its value as a diamond ' +
        'and its interval at `level` as a whisker, beside the median. Learnt from every claim stated by `as_of` as the database holds them ' +
        'now: not with `known_at`. Default `false`.',
    ),
    level: Level.optional().meta({
      description: `With \`adjusted=true\`: the probability of the estimate’s interval. Default ${DEFAULT_LEVEL}.`,
    }),
  })
  .superRefine((query, ctx) => {
    // Never a parameter silently without effect: each of these says why.
    if (query.adjusted && query.known_at !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['adjusted'],
        message: 'cannot be combined with known_at: the estimate is learnt from the claims as the database holds them now',
      })
    if (!query.adjusted && query.level !== undefined)
      ctx.addIssue({ code: 'custom', path: ['level'], message: 'is only read with adjusted=true' })
  })

const chartRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/:id/chart.svg',
    {
      // An ETag from the event's revision (contract §12): a matching If-None-Match is a 304.
      // With adjusted=true the picture depends on every event's claims (what each source's record is learnt from).
      config: {
        etag: (request) => ((request.query as { adjusted?: unknown }).adjusted === 'true' ? 'database' : 'event'),
        stampsNow: true,
      },
      schema: {
        operationId: 'getEventChart',
        summary: 'One figure group of an event, as an SVG chart',
        description:
          'An accessible SVG (720 px wide, taller with each source) for embedding in a page or an article: one row per counted source with ' +
          'the numbers its words allow drawn as a bar (an arrow when there is no upper bound) and its figure as a dot, on one axis from zero; ' +
          'a vague word ("dozens", "hundreds", "thousands") as the hatched range it stands for, with no dot; ' +
          'the agreement band (where the most claims overlap) shaded behind the rows and labelled in the words of the disagreement level ' +
          '("all sources agree", "every figure fits here", "where most sources overlap (k of n)"); the median of the sources\' figures as a dashed line ' +
          '(`median=false` leaves it out); the disagreement level in a footnote; a credit line naming each source with its relay chain ("SOHR via Reuters, TASS") ' +
          'and the date the figures are as of. ' +
          'It has a `<title>` and a full-sentence `<desc>` for screen readers. The group is `metric`/`population`/`party` (default killed/all, no party), ' +
          'counted as in the summary as of `as_of`. A group with no counted claim is still a 200: a chart that says so. ' +
          'With `adjusted=true`, a last row draws the group’s bias-aware estimate (GET /events/{id}/estimates) beside the median.',
        tags: ['events'],
        params: IdParams,
        querystring: ChartQuery,
        response: {
          200: {
            description: 'The chart.',
            content: { 'image/svg+xml': { schema: z.string().meta({ description: 'An SVG 1.1 document (UTF-8).' }) } },
          },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { metric, population, as_of, known_at, median, adjusted } = request.query
      // An alias names the same party; an unknown party is a group with no claims.
      const party =
        request.query.party === undefined ? null : ((await app.repos.actors.resolve(request.query.party)) ?? request.query.party)
      const summary = await app.summaryService.summarize(request.params.id, as_of, known_at)
      const group = summary.figures.find((f) => f.metric === metric && f.population === population && f.party === party) ?? null
      const estimate =
        adjusted && group !== null
          ? (
              await app.trackRecords.estimates(request.params.id, as_of, request.query.level ?? DEFAULT_LEVEL, request.databaseNow)
            )?.groups.find((g) => g.metric === metric && g.population === population && g.party === party)
          : undefined
      // The sources the credit names, read before the chart is drawn.
      const sources = await app.repos.sources.several((group?.claims ?? []).flatMap((c) => [c.source_id, ...c.via]))
      const svg = renderFigureChart(group, {
        title: summary.event.title,
        metric,
        population,
        party,
        partyName: party === null ? null : ((await app.repos.actors.get(party))?.name ?? null),
        asOf: summary.as_of,
        asOfNow: as_of === undefined,
        knownAt: summary.known_at,
        median,
        ...(estimate === undefined ? {} : { adjusted: estimate.adjusted }),
        // The credit names sources by their first alias ("SOHR"), else their name.
        sourceLabels: group === null ? {} : sourceLabelsFor(group.claims, (id) => sources.get(id) ?? null),
      })
      // A string with a non-JSON content type goes out as it is: the zod serializer is not called.
      return (
        reply
          .type(SVG_TYPE)
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          // Opened on its own, the SVG is a document: it needs nothing from anywhere and runs nothing.
          .header('content-security-policy', "default-src 'none'")
          .send(svg)
      )
    },
  )
}

export default chartRoutes
