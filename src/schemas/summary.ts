import { z } from 'zod'
import { CERTAINTIES, METRICS, POPULATIONS, QUALIFIERS } from '../engine/types.js'
import { WARNING_CODES } from '../engine/warnings.js'
import { Moment, Timestamp } from './common.js'
import { IntervalOut } from './claims.js'

const Warning = z
  .object({
    code: z.enum(WARNING_CODES).meta({
      description:
        'subpopulation_exceeds_all: a source gives more for a part (children, civilians, …) than for all; downward_revision: a counted figure wholly below the same source’s previous figure in its group; relay_loop: a relay chain passes through one source twice; relay_names_origin: the origin appears among its own relays; possible_echo: a counted figure equals an earlier one of another source in its group, undeclared (no via), after a different figure of its own.',
    }),
    message: z.string(),
    source_id: z.string(),
    claim_ids: z.array(z.string()),
  })
  .meta({ id: 'SummaryWarning' })

const CountedClaim = z.object({
  claim_id: z.string(),
  source_id: z.string(),
  source_name: z.string(),
  via: z.array(z.string()),
  qualifier: z.enum(QUALIFIERS),
  value: z.number().optional(),
  low: z.number().optional(),
  high: z.number().optional(),
  best: z.number().optional(),
  interval: IntervalOut,
  point: z.number(),
  stated_at: Timestamp,
  quote: z.string().nullable(),
  url: z.string().nullable(),
})

export const FigureSummary = z
  .object({
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    sources: z.int().meta({ description: 'How many sources have a counted figure in this group.' }),
    range: IntervalOut.meta({ description: 'From the lowest any source allows to the highest (null: no upper bound).' }),
    points: z.object({ min: z.number(), max: z.number(), median: z.number() }),
    estimate: z.object({ value: z.number(), method: z.literal('median') }),
    consistent: z.boolean().meta({ description: 'Whether one number could make every counted claim true.' }),
    common: IntervalOut.nullable().meta({ description: 'The numbers every claim allows, when consistent.' }),
    agreement: z
      .object({ low: z.number(), high: z.number().nullable(), sources: z.int(), share: z.number() })
      .meta({ description: 'The narrowest stretch of numbers that the most claims allow.' }),
    disagreement: z.object({
      level: z.enum(['single_source', 'agreement', 'compatible', 'conflicting']),
      spread: z.number(),
      ratio: z.number().nullable(),
      relative_spread: z.number().nullable(),
    }),
    claims: z.array(CountedClaim),
  })
  .meta({ id: 'FigureSummary', description: 'Contract §4.' })

export const AttributionSummary = z
  .object({
    status: z.enum(['none', 'unattributed', 'contested', 'uncontested']),
    sources: z.int(),
    entropy: z.number().meta({ description: '0 when blame falls on one actor, 1 when spread evenly over all accused.' }),
    actors: z.array(
      z.object({
        actor_id: z.string(),
        name: z.string(),
        support: z.number(),
        accused_by: z.array(
          z.object({
            source_id: z.string(),
            claim_id: z.string(),
            certainty: z.enum(CERTAINTIES),
            alternatives: z.array(z.string()),
            via: z.array(z.string()),
          }),
        ),
        denied_by: z.array(z.object({ source_id: z.string(), claim_id: z.string(), self: z.boolean(), via: z.array(z.string()) })),
        admitted: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'AttributionSummary', description: 'Contract §5.' })

export const EventSummary = z
  .object({
    event: z.object({
      id: z.string(),
      title: z.string(),
      occurred_on: z.string(),
      location: z.record(z.string(), z.union([z.string(), z.number()])),
    }),
    as_of: Timestamp,
    known_at: Timestamp.nullable().meta({
      description: 'When given: the summary as the database held it then (claims recorded later, and later retractions, ignored).',
    }),
    figures: z.array(FigureSummary),
    attribution: AttributionSummary,
    claims_total: z.int().meta({ description: 'Every claim on file for the event, whatever its status or date.' }),
    claims_counted: z.int().meta({ description: 'The claims that count in a figure group or decide a stance.' }),
    warnings: z.array(Warning).meta({ description: 'Figures of one source that cannot all be right, and relay chains that cannot be.' }),
  })
  .meta({ id: 'EventSummary', description: 'Contract §6.' })

const AsOf = Moment.optional().meta({
  description: 'The moment to compute the summary as of: a date (its end, 23:59:59.999Z) or a date-time. Default: now.',
  example: '2017-04-06',
})
export const KnownAt = Moment.optional().meta({
  description:
    'What the database held at that moment: claims recorded after it, and retractions made after it, are ignored. A date means its end. Combines with as_of.',
  example: '2017-04-07',
})

export const SummaryQuery = z.strictObject({ as_of: AsOf, known_at: KnownAt })

// The engine's types and these schemas describe the same objects: test/schemas/engine-in-step.test.ts keeps them in step.

export type EventSummaryOut = z.output<typeof EventSummary>
