/** GET /events/{id}/timeline (contract §11): the query, the answer, and one step. */
import { z } from 'zod'
import { METRICS, POPULATIONS } from '../engine/types.js'
import { choice } from './choice.js'
import { Cursor, Moment, StatedAt, Timestamp } from './common.js'
import { formatFields } from './list-fields.js'
import { FigureSummary, KnownAt } from './summary.js'

/** At most this many steps a page. */
export const TIMELINE_LIMIT_MAX = 10_000

export const TimelineQuery = z
  .strictObject({
    metric: choice(METRICS, 'The figure group: metric (required).'),
    population: choice(POPULATIONS).default('all'),
    party: z.string().min(1).max(200).optional().meta({ description: "The group's party (actor id); absent means no party." }),
    as_of: Moment.optional().meta({ description: 'Only steps up to this moment (a date means its end). Default: every step.' }),
    known_at: KnownAt,
    from: StatedAt.optional().meta({
      description: 'Only the steps at or after this moment: a date (its start, 00:00:00Z) or a date-time.',
      example: '2017-04-05',
    }),
    to: Moment.optional().meta({
      description: 'Only the steps at or before this moment: a date (its end, 23:59:59.999Z) or a date-time.',
      example: '2017-04-06',
    }),
    limit: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(TIMELINE_LIMIT_MAX, `must be at most ${TIMELINE_LIMIT_MAX}`)
      .optional()
      .meta({
        description: `Steps per page, at most ${TIMELINE_LIMIT_MAX}. Without it, every step (from \`cursor\` on).`,
      }),
    cursor: Cursor.optional(),
    ...formatFields,
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'must not be before from',
    path: ['to'],
  })

export const TimelineStep = z
  .object({
    at: Timestamp.meta({ description: 'A distinct stated_at of the group’s claims.' }),
    summary: FigureSummary.nullable().meta({
      description: 'The §4 group summary as of `at`; null if no claim of the group counts then.',
    }),
  })
  .meta({ id: 'TimelineStep', description: 'One step of a timeline: the group as of one moment. An NDJSON timeline has one per line.' })

export const Timeline = z
  .object({
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    steps: z.array(TimelineStep),
    next_cursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `cursor` for the steps after these; null when there are none (always null without `limit`).' }),
  })
  .meta({ id: 'Timeline', description: 'Contract §11: how one figure group moved, step by step.' })
