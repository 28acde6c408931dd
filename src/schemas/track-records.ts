/** #16 "who to believe": sources' track records, possible echoes and the events' bias-aware estimates. */
import { z } from 'zod'
import { DEFAULT_LEVEL } from '../engine/track-record.js'
import { METRICS, POPULATIONS } from '../engine/types.js'
import { listFields } from './list-fields.js'
import { Moment, Timestamp } from './common.js'

export const AsOfQuery = Moment.optional().meta({
  description:
    'Learn from the claims stated by this moment only (a date means its end, 23:59:59.999Z; default now): ' +
    'nothing stated later changes the answer, as with summaries.',
  example: '2022-05-01',
})

export const Level = z.coerce
  .number()
  .min(0.5, 'must be between 0.5 and 0.99')
  .max(0.99, 'must be between 0.5 and 0.99')
  .meta({ description: `The probability the intervals are stated at. Default ${DEFAULT_LEVEL}.`, example: DEFAULT_LEVEL })

export const BiasEstimate = z
  .object({
    factor: z
      .number()
      .nullable()
      .meta({
        description:
          'How the source’s figures compare with the independent consensus when they were stated, as a factor: 0.5 means half ' +
          'of what the other sources said, 2 twice. Shrunk towards 1 with little evidence. Null with too few comparisons.',
      }),
    low: z.number().nullable().meta({ description: 'The interval’s lower end, at `level`.' }),
    high: z.number().nullable().meta({ description: 'The interval’s upper end, at `level`.' }),
    level: z.number(),
    comparisons: z.int().meta({ description: 'How many of its figures had a consensus of other sources to compare with.' }),
    groups: z
      .int()
      .meta({ description: 'In how many figure groups: the interval counts groups, as one group’s revisions are not independent.' }),
    note: z.string().nullable().meta({ description: 'Why there is no factor, when there is none.' }),
  })
  .meta({ id: 'BiasEstimate' })

export const TrackRecord = z
  .object({
    source_id: z.string(),
    source_name: z.string(),
    affiliated_actor_id: z.string().nullable(),
    claims: z.int().meta({ description: 'Its claims stated by `as_of`, both kinds, retracted ones included.' }),
    events: z.int(),
    figure_groups: z.int().meta({ description: 'Figure groups (event, metric, population, party) it gave a figure in.' }),
    revisions: z.int().meta({ description: 'Its figures superseded, or replaced by a later figure of its own in the same group.' }),
    retractions: z.int(),
    first_reports: z.int().meta({ description: 'Groups in which it gave the first figure of any source.' }),
    median_lead_hours: z.number().nullable().meta({
      description: 'Over the groups it reported first and another source reported later: the median of how long before them.',
    }),
    echoes: z.int().meta({ description: 'Its figures that are possible echoes of another source’s (see GET /sources/{id}/record).' }),
    bias: z
      .object({
        overall: BiasEstimate,
        own: BiasEstimate.meta({
          description: 'Figures counting its own side: the group’s party is its affiliated actor, an ancestor or a descendant.',
        }),
        other: BiasEstimate.meta({ description: 'Figures counting a party unrelated to its affiliated actor.' }),
        none: BiasEstimate.meta({ description: 'Figures with no party, or from a source with no affiliated actor.' }),
      })
      .meta({ description: 'How its figures compare with the other sources’, overall and by its relation to the counted party.' }),
    as_of: Timestamp,
  })
  .meta({ id: 'TrackRecord', description: 'What the claims stated by `as_of` tell of a source (#16).' })

export const Echo = z
  .object({
    claim_id: z.string(),
    source_id: z.string(),
    echoes_claim_id: z.string().meta({ description: 'The earlier claim, of another source, whose figure this one repeats.' }),
    echoes_source_id: z.string(),
    event_id: z.string(),
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    reason: z.string(),
  })
  .meta({
    id: 'Echo',
    description:
      'A possible echo: the same figure (qualifier and numbers) as an earlier claim of another source in the group, ' +
      'not declared as relayed (`via`), where the source’s own previous figure was different. Confirm one by posting a claim with `via`.',
  })

export const SourceRecord = TrackRecord.extend({
  possible_echoes: z.array(Echo).meta({ description: 'Its claims that are possible echoes, oldest first.' }),
}).meta({ id: 'SourceRecord' })

export const TrackRecordsQuery = z.strictObject({ as_of: AsOfQuery, level: Level.optional(), ...listFields })
export const SourceRecordQuery = z.strictObject({ as_of: AsOfQuery, level: Level.optional() })

export const EstimateSource = z
  .object({
    claim_id: z.string(),
    source_id: z.string(),
    relation: z.enum(['own', 'other', 'none']).meta({ description: 'The source’s relation to the group’s party (see TrackRecord.bias).' }),
    point: z.number().meta({ description: 'The claim’s point (contract §2).' }),
    factor: z
      .number()
      .meta({ description: 'The source’s learnt factor for that relation (1: none learnt), which the point is divided by.' }),
    corrected: z.number().meta({ description: 'The point corrected by the factor.' }),
    weight: z.number().meta({ description: 'Its share of the combination (0 to 1; 0 when not counted).' }),
    counted: z.boolean().meta({ description: 'False for a possible echo: counted once, through the claim it repeats.' }),
    echo_of: z.string().nullable().meta({ description: 'The claim it possibly echoes.' }),
  })
  .meta({ id: 'EstimateSource' })

export const AdjustedEstimate = z
  .object({
    value: z.number(),
    low: z.number(),
    high: z.number(),
    level: z.number(),
    method: z.string().meta({ description: 'How the corrected points are combined.' }),
    sources: z.array(EstimateSource),
  })
  .meta({
    id: 'AdjustedEstimate',
    description: 'Each counted claim’s point corrected by its source’s learnt bias, echoes counted once, combined on the log scale.',
  })

export const GroupEstimate = z
  .object({
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    median: z.number().meta({ description: 'The contract’s estimate: the median of the counted points (§4), unchanged.' }),
    adjusted: AdjustedEstimate,
  })
  .meta({ id: 'GroupEstimate' })

export const EventEstimates = z
  .object({
    event_id: z.string(),
    as_of: Timestamp,
    level: z.number(),
    groups: z.array(GroupEstimate).meta({ description: 'The event’s figure groups as of `as_of`, in the summary’s order.' }),
  })
  .meta({ id: 'EventEstimates' })

export const EstimateRow = z
  .object({
    event_id: z.string(),
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    median: z.number(),
    adjusted_value: z.number(),
    adjusted_low: z.number(),
    adjusted_high: z.number(),
    level: z.number(),
    sources: z.int().meta({ description: 'How many claims the adjusted estimate counts.' }),
    as_of: Timestamp,
  })
  .meta({
    id: 'EstimateRow',
    description:
      'One figure group’s estimates, flat (NDJSON and CSV of GET /events/{id}/estimates; the extra columns of GET /summaries?adjusted=true).',
  })

export const EstimatesQuery = z.strictObject({ as_of: AsOfQuery, level: Level.optional() })
