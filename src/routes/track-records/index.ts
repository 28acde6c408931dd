/**
 * #16 "who to believe": GET /track-records (every source's record, as a list
 * and an export) and GET /sources/{id}/record (one source's, with its
 * possible echoes). Parse, ask the track-record service, shape.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { DEFAULT_LEVEL, emptyRecord } from '../../engine/track-record.js'
import type { Learnt } from '../../services/learning.js'
import { column, EXPORT_DOC, formatsResponse, sendList } from '../../lib/formats.js'
import { decodeCursor } from '../../lib/cursor.js'
import { takePage } from '../../lib/pages.js'
import { errorResponses, IdParams, page } from '../../schemas/common.js'
import { SourceRecord, SourceRecordQuery, TrackRecord, TrackRecordsQuery } from '../../schemas/track-records.js'
import type { z } from 'zod'

type TrackRecordOut = z.output<typeof TrackRecord>

/** A source's record as the API shows it: the engine's, named. */
function recordOut(learnt: Learnt, record: Learnt['records'][number]): TrackRecordOut {
  const source = learnt.directory.sources.get(record.source_id)
  return {
    source_id: record.source_id,
    source_name: source?.name ?? record.source_id,
    affiliated_actor_id: source?.affiliated_actor_id ?? null,
    claims: record.claims,
    events: record.events,
    figure_groups: record.figure_groups,
    revisions: record.revisions,
    retractions: record.retractions,
    first_reports: record.first_reports,
    median_lead_hours: record.median_lead_hours,
    echoes: record.echoes,
    bias: record.bias,
    as_of: learnt.as_of,
  }
}

const BIAS_COLUMNS = (['overall', 'own', 'other', 'none'] as const).flatMap((relation) =>
  (['factor', 'low', 'high', 'comparisons', 'groups', 'note'] as const).map((field) =>
    column(`bias_${relation}_${field}`, '', ['bias', relation, field]),
  ),
)

/** The columns of GET /track-records as CSV: the counts, then each relation's bias flattened, then as_of. */
const TRACK_RECORD_COLUMNS = [
  column('source_id', '#org+id'),
  column('source_name', '#org+name'),
  column('affiliated_actor_id', '#org+id+affiliated'),
  ...(['claims', 'events', 'figure_groups', 'revisions', 'retractions', 'first_reports', 'median_lead_hours', 'echoes'] as const).map(
    (name) => column(name),
  ),
  ...BIAS_COLUMNS,
  column('as_of', '#date+as_of'),
]

const RECORD_DOC =
  'Learnt from the claims stated by `as_of` only (default now), as summaries are: counts of its claims, revisions and retractions, ' +
  'how often it reported a figure group first and by how long, its possible echoes, and `bias`: how its figures compare with the other ' +
  'sources’ counted figures in the same group when they were stated, as a factor with an interval, overall and by its relation to the counted ' +
  'party (`own`, `other`, `none`). With little evidence the factor stays near 1 and its interval is wide; with too few comparisons there is none. ' +
  'docs/who-to-believe.md says what the method can and cannot tell.'

export const trackRecordsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { etag: 'database', stampsNow: true },
      schema: {
        operationId: 'listTrackRecords',
        summary: 'Every source’s track record',
        description: `Every source with a claim stated by \`as_of\`, in id order. ${RECORD_DOC} ${EXPORT_DOC}`,
        tags: ['sources'],
        querystring: TrackRecordsQuery,
        response: { 200: formatsResponse(page(TrackRecord), 'A page of track records, or the export.'), ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { as_of, level, ...list } = request.query
      const learnt = await app.trackRecords.learnt(as_of, level)
      return sendList(request, reply, list, {
        columns: TRACK_RECORD_COLUMNS,
        asOf: learnt.as_of,
        page: async (cursor, limit) => {
          const after = cursor === undefined ? '' : (decodeCursor(cursor, 1)[0] as string)
          const rest = learnt.records.filter((r) => r.source_id > after)
          return takePage(
            rest,
            limit,
            (r) => recordOut(learnt, r),
            (item) => [item.source_id],
          )
        },
      })
    },
  )
}

export const sourceRecordRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/:id/record',
    {
      config: { etag: 'database', stampsNow: true },
      schema: {
        operationId: 'getSourceRecord',
        summary: 'A source’s track record',
        description: `${RECORD_DOC} A source with no claim stated by \`as_of\` has a record of zeros.`,
        tags: ['sources'],
        params: IdParams,
        querystring: SourceRecordQuery,
        response: { 200: SourceRecord, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const source = await app.repos.sources.require(request.params.id)
      const learnt = await app.trackRecords.learnt(request.query.as_of, request.query.level)
      const record = learnt.records.find((r) => r.source_id === source.id)
      const possible_echoes = learnt.echoes.filter((e) => e.source_id === source.id)
      const shown = recordOut(learnt, record ?? emptyRecord(source.id, { level: request.query.level ?? DEFAULT_LEVEL }))
      // A source with no claim is not in the learnt directory: its own name and affiliation.
      return { ...shown, source_name: source.name, affiliated_actor_id: source.affiliated_actor_id ?? null, possible_echoes }
    },
  )
}
