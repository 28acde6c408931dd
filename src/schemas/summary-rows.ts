/** GET /summaries (contract §10): one flat row per (event, figure group). */
import { z } from 'zod'
import { choice } from './choice.js'
import { DEFAULT_LEVEL } from '../engine/track-record.js'
import { METRICS, POPULATIONS } from '../engine/types.js'
import { listFields } from './list-fields.js'
import { Moment, Timestamp } from './common.js'

export const SummaryRow = z
  .object({
    event_id: z.string(),
    event_title: z.string(),
    occurred_on: z.string(),
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    sources: z.int().meta({ description: 'How many sources have a counted figure in this group.' }),
    range_low: z.number().meta({ description: 'The lowest number any counted claim allows.' }),
    range_high: z.number().nullable().meta({ description: 'The highest number any counted claim allows; null when one is unbounded.' }),
    median: z.number().meta({ description: 'The median of the claims’ points: the estimate.' }),
    level: z.enum(['single_source', 'agreement', 'compatible', 'conflicting']).meta({ description: 'disagreement.level of §4.' }),
    spread: z.number(),
    ratio: z.number().nullable(),
    relative_spread: z.number().nullable(),
    attribution_status: z
      .enum(['none', 'unattributed', 'contested', 'uncontested'])
      .meta({ description: "The event's attribution status (§5)." }),
    // The contract's columns in their order, the adjusted estimate when asked, then `as_of`: a file that leaves the API still says when its figures hold.
    adjusted_value: z.number().optional().meta({
      description: 'With `adjusted=true` (#16): the bias-aware estimate of GET /events/{id}/estimates, beside the contract’s median.',
    }),
    adjusted_low: z
      .number()
      .optional()
      .meta({ description: `With \`adjusted=true\`: its interval’s lower end (at level ${DEFAULT_LEVEL}).` }),
    adjusted_high: z
      .number()
      .optional()
      .meta({ description: `With \`adjusted=true\`: its interval’s upper end (at level ${DEFAULT_LEVEL}).` }),
    as_of: Timestamp.meta({
      description:
        'The moment the row is computed as of (ISO 8601 UTC): the `as_of` asked for (a date meaning its end), or the moment of the request.',
      example: '2017-04-06T23:59:59.999Z',
    }),
  })
  .meta({ id: 'SummaryRow', description: 'One figure group of one event, as of `as_of` (contract §4, §10).' })

export type SummaryRowOut = z.output<typeof SummaryRow>

export const SummaryListQuery = z.strictObject({
  as_of: Moment.optional().meta({
    description: 'The moment to compute the summaries as of: a date (its end, 23:59:59.999Z) or a date-time. Default: now.',
    example: '2017-04-06',
  }),
  metric: choice(METRICS, 'Only the figure groups of this metric (and HXL tags such as #affected+killed).').optional(),
  // Absent stays absent (not false): an export's file name names the filters given.
  adjusted: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .meta({
      description:
        'Adds `adjusted_value`, `adjusted_low` and `adjusted_high` to each row: the bias-aware estimate of GET /events/{id}/estimates (#16). ' +
        'The contract’s columns keep their meaning. Default false.',
    }),
  ...listFields,
})
