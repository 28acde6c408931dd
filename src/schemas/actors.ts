import { z } from 'zod'
import { choice } from './choice.js'
import { Aliases, Name, Ref, Slug, Text, Timestamp } from './common.js'

export const ACTOR_KINDS = ['state', 'armed_forces', 'armed_group', 'international', 'other', 'unknown'] as const

const parent = Ref.meta({
  description: 'The actor this one belongs to ("Syrian Arab Air Force" → "Syrian government"); a cycle is a 422.',
  example: 'syrian-government',
})

export const ActorCreate = z
  .strictObject({
    id: Slug.optional().meta({ description: 'Optional; derived from the name when absent.' }),
    name: Name.meta({ example: 'Syrian Arab Air Force' }),
    aliases: Aliases.optional(),
    kind: choice(ACTOR_KINDS),
    parent_id: parent.nullish(),
    notes: Text.nullish(),
  })
  .meta({
    id: 'ActorCreate',
    examples: [{ id: 'syrian-air-force', name: 'Syrian Arab Air Force', kind: 'armed_forces', parent_id: 'syrian-government' }],
  })

export const ActorPatch = z
  .strictObject({
    name: Name.optional(),
    aliases: Aliases.optional(),
    kind: choice(ACTOR_KINDS).optional(),
    parent_id: parent.nullish(),
    notes: Text.nullish(),
  })
  .meta({
    id: 'ActorPatch',
    description: 'Fields to change; null clears an optional field; `aliases` replaces the list. The id never changes.',
  })

export const Actor = z
  .object({
    id: Slug,
    name: z.string(),
    aliases: z.array(z.string()),
    kind: z.enum(ACTOR_KINDS),
    parent_id: z.string().nullable(),
    notes: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Actor', description: 'Who can be blamed.' })

export type ActorCreateInput = z.output<typeof ActorCreate>
export type ActorPatchInput = z.output<typeof ActorPatch>
export type ActorOut = z.output<typeof Actor>
