import { z } from 'zod'
import { choice } from './choice.js'
import { Aliases, Country, HttpUrl, Name, Ref, Text } from './common.js'
import { recordSchemas } from './record-schemas.js'

export const SOURCE_KINDS = [
  'news_agency',
  'media',
  'monitor',
  'ngo',
  'igo',
  'government',
  'military',
  'health_authority',
  'individual',
  'other',
] as const

const fields = {
  name: Name.meta({ example: 'Syrian Observatory for Human Rights' }),
  aliases: Aliases.meta({ example: ['SOHR'] }),
  kind: choice(SOURCE_KINDS),
  country: Country,
  url: HttpUrl,
  affiliated_actor_id: Ref.meta({
    description: 'The actor this source speaks for (its id or an alias).',
    example: 'russian-forces',
  }),
  notes: Text,
}

const schemas = recordSchemas({
  id: 'Source',
  description: 'Who makes statements.',
  derivedFrom: 'name',
  input: {
    name: fields.name,
    aliases: fields.aliases.optional(),
    kind: fields.kind,
    country: fields.country.nullish(),
    url: fields.url.nullish(),
    affiliated_actor_id: fields.affiliated_actor_id.nullish(),
    notes: fields.notes.nullish(),
  },
  examples: [{ id: 'sohr', name: 'Syrian Observatory for Human Rights', aliases: ['SOHR'], kind: 'monitor', country: 'GB' }],
  patchNote: '`aliases` replaces the list',
  output: {
    name: z.string(),
    aliases: z.array(z.string()),
    kind: z.enum(SOURCE_KINDS),
    country: z.string().nullable(),
    url: z.string().nullable(),
    affiliated_actor_id: z.string().nullable(),
    notes: z.string().nullable(),
  },
})
export const SourceCreate = schemas.create
export const SourcePatch = schemas.patch
export const Source = schemas.out

export type SourceCreateInput = z.output<typeof SourceCreate>
export type SourcePatchInput = z.output<typeof SourcePatch>
export type SourceOut = z.output<typeof Source>
