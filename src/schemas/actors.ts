import { z } from 'zod'
import { choice } from './choice.js'
import { Aliases, Name, Ref, Text } from './common.js'
import { recordSchemas } from './record-schemas.js'

export const ACTOR_KINDS = ['state', 'armed_forces', 'armed_group', 'international', 'other', 'unknown'] as const

const parent = Ref.meta({
  description: 'The actor this one belongs to ("Syrian Arab Air Force" → "Syrian government"); a cycle is a 422.',
  example: 'syrian-government',
})

const schemas = recordSchemas({
  id: 'Actor',
  description: 'Who can be blamed.',
  derivedFrom: 'name',
  input: {
    name: Name.meta({ example: 'Syrian Arab Air Force' }),
    aliases: Aliases.optional(),
    kind: choice(ACTOR_KINDS),
    parent_id: parent.nullish(),
    notes: Text.nullish(),
  },
  examples: [{ id: 'syrian-air-force', name: 'Syrian Arab Air Force', kind: 'armed_forces', parent_id: 'syrian-government' }],
  patchNote: '`aliases` replaces the list',
  output: {
    name: z.string(),
    aliases: z.array(z.string()),
    kind: z.enum(ACTOR_KINDS),
    parent_id: z.string().nullable(),
    notes: z.string().nullable(),
  },
})
export const ActorCreate = schemas.create
export const ActorPatch = schemas.patch
export const Actor = schemas.out

export type ActorCreateInput = z.output<typeof ActorCreate>
export type ActorPatchInput = z.output<typeof ActorPatch>
export type ActorOut = z.output<typeof Actor>
