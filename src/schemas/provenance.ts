import { z } from 'zod'
import { METRICS, POPULATIONS } from '../engine/types.js'
import { Claim } from './claims.js'
import { Moment, Timestamp } from './common.js'
import { Event } from './events.js'

export const HistoryItem = z
  .discriminatedUnion('type', [
    z.object({
      type: z.enum(['event.created', 'event.updated']),
      at: Timestamp,
      event: Event.meta({ description: 'The event as it stood after this write.' }),
      changed: z.array(z.string()).meta({ description: 'The fields this write changed (all of them on creation).' }),
    }),
    z.object({
      type: z.literal('claim.created'),
      at: Timestamp.meta({ description: 'When the claim was recorded.' }),
      claim: Claim,
    }),
    z.object({
      type: z.literal('claim.retracted'),
      at: Timestamp,
      claim_id: z.string(),
      reason: z.string(),
    }),
  ])
  .meta({ id: 'HistoryItem' })

export const History = z
  .object({ event_id: z.string(), items: z.array(HistoryItem) })
  .meta({ id: 'EventHistory', description: 'Every write that touched the event, in the order it was made.' })

export const ProvenanceQuery = z.strictObject({
  as_of: Moment.optional().meta({
    description: 'Which claims count as of this moment (a date means its end). Default: now.',
    example: '2017-04-06',
  }),
})

export const Provenance = z
  .object({
    event_id: z.string(),
    as_of: Timestamp,
    sources: z.array(
      z.object({
        source_id: z.string(),
        name: z.string(),
        counted: z.array(z.string()).meta({ description: 'Ids of its claims that count as of as_of.' }),
        uncounted: z.array(
          z.object({
            claim_id: z.string(),
            reason: z.enum(['retracted', 'not_yet_stated', 'superseded', 'replaced_by_later_claim']),
          }),
        ),
        relays: z.array(z.object({ via: z.array(z.string()), claims: z.int() })).meta({
          description: 'The relay chains its claims came through ([] for claims read at the source), with how many claims each.',
        }),
      }),
    ),
    groups: z.array(
      z.object({
        metric: z.enum(METRICS),
        population: z.enum(POPULATIONS),
        party: z.string().nullable(),
        origins: z.array(z.string()).meta({ description: 'The independent origin sources behind the group: relays never add one.' }),
        relays: z.array(z.string()).meta({ description: 'Every source that relayed a counted claim of the group.' }),
      }),
    ),
  })
  .meta({ id: 'EventProvenance' })
