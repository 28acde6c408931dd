import { z } from 'zod'
import { choice } from './choice.js'
import { listFields } from './list-fields.js'
import { Country, Name, PartialDate, Text } from './common.js'
import { recordSchemas } from './record-schemas.js'

export const Location = z
  .strictObject({
    place: z.string().trim().min(1).max(500).optional(),
    admin1: z.string().trim().min(1).max(500).optional(),
    country: Country.optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
  })
  .meta({ id: 'Location', example: { place: 'Khan Shaykhun', admin1: 'Idlib', country: 'SY', lat: 35.44, lon: 36.65 } })

const Tags = z.array(z.string().trim().min(1).max(100)).max(100)
const ExternalIds = z
  .record(
    z
      .string()
      .regex(/^[a-z0-9_]{1,64}$/, 'keys are lower-case words such as "acled"')
      .meta({ maxLength: 64 }),
    z.string().min(1).max(200),
  )
  .meta({ description: 'Ids of this event in other datasets.', example: { ucdp_ged: '123456' } })

export function endsNotBeforeStart(e: { occurred_on?: unknown; ended_on?: unknown }): boolean {
  if (typeof e.occurred_on !== 'string' || typeof e.ended_on !== 'string') return true
  // Compare the earliest day each can mean: "2017" starts on 2017-01-01.
  return e.ended_on.padEnd(10, '9') >= e.occurred_on
}
const schemas = recordSchemas({
  id: 'Event',
  description: 'Something that happened.',
  derivedFrom: 'title',
  input: {
    title: Name.meta({ example: 'Chemical attack on Khan Shaykhun' }),
    occurred_on: PartialDate,
    ended_on: PartialDate.nullish(),
    location: Location.nullish(),
    description: Text.nullish(),
    tags: Tags.optional(),
    external_ids: ExternalIds.optional(),
  },
  examples: [
    {
      id: 'khan-shaykhun-2017',
      title: 'Chemical attack on Khan Shaykhun',
      occurred_on: '2017-04-04',
      location: { place: 'Khan Shaykhun', admin1: 'Idlib', country: 'SY' },
      tags: ['chemical-weapons'],
    },
  ],
  patchNote: 'lists and objects are replaced whole',
  check: { test: endsNotBeforeStart, message: 'must not be before occurred_on', path: ['ended_on'] },
  output: {
    title: z.string(),
    occurred_on: z.string(),
    ended_on: z.string().nullable(),
    location: z
      .object({
        place: z.string().optional(),
        admin1: z.string().optional(),
        country: z.string().optional(),
        lat: z.number().optional(),
        lon: z.number().optional(),
      })
      .nullable(),
    description: z.string().nullable(),
    tags: z.array(z.string()),
    external_ids: z.record(z.string(), z.string()),
  },
})
export const EventCreate = schemas.create
export const EventPatch = schemas.patch
export const Event = schemas.out

export type EventCreateInput = z.output<typeof EventCreate>
export type EventPatchInput = z.output<typeof EventPatch>
export type EventOut = z.output<typeof Event>

// ---- GET /events (contract §10): the dispute block and the list query ----

export const DISPUTE_LEVELS = ['single_source', 'agreement', 'compatible', 'conflicting'] as const
export type DisputeLevel = (typeof DISPUTE_LEVELS)[number]
export const ATTRIBUTION_STATUSES = ['none', 'unattributed', 'contested', 'uncontested'] as const
export type AttributionStatusName = (typeof ATTRIBUTION_STATUSES)[number]
/** `sort` of GET /events; without it, events come in id order. */
export const EVENT_SORTS = ['occurred_on', '-occurred_on', '-dispute', '-claims'] as const
export type EventSort = (typeof EVENT_SORTS)[number]

export const Dispute = z
  .object({
    level: z
      .enum(DISPUTE_LEVELS)
      .nullable()
      .meta({
        description:
          'disagreement.level (§4) of the most disputed figure group: the highest level (conflicting, compatible, agreement, single_source), ' +
          'then the highest relative_spread. Null when the event has no counted figure.',
      }),
    relative_spread: z
      .number()
      .nullable()
      .meta({ description: 'disagreement.relative_spread of that group; null when it has none (median 0) or there is no figure.' }),
    range: z
      .object({
        low: z.number(),
        high: z.number().nullable().meta({ description: 'Null when a counted claim is unbounded ("at least 70").' }),
      })
      .nullable()
      .meta({ description: 'The range (§4) of the killed/all group (no party); null when the event has no such group.' }),
    status: z.enum(ATTRIBUTION_STATUSES).meta({ description: "The event's attribution status (§5)." }),
    claims: z.int().meta({ description: 'How many claims the event has, whatever their status or date (claims_total of the summary).' }),
  })
  .meta({
    id: 'Dispute',
    description: 'How disputed the event is, as its summary says now (GET /events/{id}/summary without as_of).',
    example: { level: 'conflicting', relative_spread: 0.1875, range: { low: 58, high: null }, status: 'contested', claims: 9 },
  })

export const EventListItem = Event.extend({ dispute: Dispute }).meta({
  id: 'EventListItem',
  description: 'An event as GET /events lists it: the event and its dispute block.',
})

export type EventListItemOut = z.output<typeof EventListItem>

/** `from` as the first day it can mean: 2017 → 2017-01-01, 2017-04 → 2017-04-01. */
export function firstDay(date: string): string {
  return date.length === 4 ? `${date}-01-01` : date.length === 7 ? `${date}-01` : date
}

/** `to` as the last day it can mean: 2017 → 2017-12-31, 2017-02 → 2017-02-28. */
export function lastDay(date: string): string {
  if (date.length === 4) return `${date}-12-31`
  if (date.length === 7) {
    const days = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)), 0)).getUTCDate()
    return `${date}-${String(days).padStart(2, '0')}`
  }
  return date
}

export const EventListQuery = z
  .strictObject({
    country: Country.optional().meta({
      description: 'Only events whose location.country is this ISO 3166-1 alpha-2 code (any case).',
      example: 'SY',
    }),
    from: PartialDate.optional().meta({
      description:
        'Only events whose whole occurred_on lies on or after this date. A partial date means its first day (2017-04 → 2017-04-01); ' +
        'an event of 2017-04 is within from=2017-04-01 (or from=2017-04) but not within from=2017-04-15.',
      example: '2017-04-01',
    }),
    to: PartialDate.optional().meta({
      description:
        'Only events whose whole occurred_on lies on or before this date. A partial date means its last day (2017-04 → 2017-04-30); ' +
        'an event of 2017-04 is within to=2017-04-30 (or to=2017-04) but not within to=2017-04-15, and an event of 2017 within to=2017-12-31 only.',
      example: '2017-04-30',
    }),
    tag: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'Only events with this tag (exact, case-insensitive).', example: 'chemical-weapons' }),
    q: z.string().trim().min(1).max(200).optional().meta({
      description: 'Only events whose title, description or location.place contains this text (case-insensitive, Unicode-aware).',
      example: 'shaykhun',
    }),
    level: choice(
      [...DISPUTE_LEVELS, 'none'],
      "Only events whose dispute.level (the most disputed figure group's) is this; `none`: events with no counted figure.",
    ).optional(),
    attribution_status: choice(ATTRIBUTION_STATUSES, 'Only events whose attribution status (dispute.status) is this.').optional(),
    sort: choice(
      EVENT_SORTS,
      'occurred_on: earliest first; -occurred_on: latest first (a partial date sorts before the days it contains: 2017 < 2017-04 < 2017-04-04); ' +
        '-dispute: by dispute level (conflicting first, events with no figure last), then relative_spread (highest first, null last); ' +
        '-claims: most claims first. Ties go by id (ascending for occurred_on, descending for the others). Default: id order. ' +
        'A cursor belongs to its sort: using it with another is a 400.',
    ).optional(),
    ...listFields,
  })
  .refine((q) => q.from === undefined || q.to === undefined || firstDay(q.from) <= lastDay(q.to), {
    message: 'must not be before from',
    path: ['to'],
  })
