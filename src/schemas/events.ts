import { z } from 'zod'
import { Country, Name, PartialDate, Slug, Text, Timestamp } from './common.js'

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
  .record(z.string().regex(/^[a-z0-9_]{1,64}$/, 'keys are lower-case words such as "acled"'), z.string().min(1).max(200))
  .meta({ description: 'Ids of this event in other datasets.', example: { ucdp_ged: '123456' } })

export function endsNotBeforeStart(e: { occurred_on?: string; ended_on?: string | null }): boolean {
  if (!e.occurred_on || !e.ended_on) return true
  // Compare the earliest day each can mean: "2017" starts on 2017-01-01.
  return e.ended_on.padEnd(10, '9') >= e.occurred_on
}
const endedCheck = { message: 'must not be before occurred_on', path: ['ended_on'] }

export const EventCreate = z
  .strictObject({
    id: Slug.optional().meta({ description: 'Optional; derived from the title when absent.' }),
    title: Name.meta({ example: 'Chemical attack on Khan Shaykhun' }),
    occurred_on: PartialDate,
    ended_on: PartialDate.nullish(),
    location: Location.nullish(),
    description: Text.nullish(),
    tags: Tags.optional(),
    external_ids: ExternalIds.optional(),
  })
  .refine(endsNotBeforeStart, endedCheck)
  .meta({
    id: 'EventCreate',
    examples: [
      {
        id: 'khan-shaykhun-2017',
        title: 'Chemical attack on Khan Shaykhun',
        occurred_on: '2017-04-04',
        location: { place: 'Khan Shaykhun', admin1: 'Idlib', country: 'SY' },
        tags: ['chemical-weapons'],
      },
    ],
  })

export const EventPatch = z
  .strictObject({
    title: Name.optional(),
    occurred_on: PartialDate.optional(),
    ended_on: PartialDate.nullish(),
    location: Location.nullish(),
    description: Text.nullish(),
    tags: Tags.optional(),
    external_ids: ExternalIds.optional(),
  })
  .refine(endsNotBeforeStart, endedCheck)
  .meta({
    id: 'EventPatch',
    description: 'Fields to change; null clears an optional field; lists and objects are replaced whole. The id never changes.',
  })

export const Event = z
  .object({
    id: Slug,
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
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Event', description: 'Something that happened.' })

export type EventCreateInput = z.output<typeof EventCreate>
export type EventPatchInput = z.output<typeof EventPatch>
export type EventOut = z.output<typeof Event>
