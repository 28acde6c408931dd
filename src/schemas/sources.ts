import { z } from 'zod'
import { choice } from './choice.js'
import { Aliases, Country, HttpUrl, Name, Ref, Slug, Text, Timestamp } from './common.js'

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

export const SourceCreate = z
  .strictObject({
    id: Slug.optional().meta({ description: 'Optional; derived from the name when absent.' }),
    name: fields.name,
    aliases: fields.aliases.optional(),
    kind: fields.kind,
    country: fields.country.nullish(),
    url: fields.url.nullish(),
    affiliated_actor_id: fields.affiliated_actor_id.nullish(),
    notes: fields.notes.nullish(),
  })
  .meta({
    id: 'SourceCreate',
    examples: [{ id: 'sohr', name: 'Syrian Observatory for Human Rights', aliases: ['SOHR'], kind: 'monitor', country: 'GB' }],
  })

export const SourcePatch = z
  .strictObject({
    name: fields.name.optional(),
    aliases: fields.aliases.optional(),
    kind: fields.kind.optional(),
    country: fields.country.nullish(),
    url: fields.url.nullish(),
    affiliated_actor_id: fields.affiliated_actor_id.nullish(),
    notes: fields.notes.nullish(),
  })
  .meta({
    id: 'SourcePatch',
    description: 'Fields to change; null clears an optional field; `aliases` replaces the list. The id never changes.',
  })

export const Source = z
  .object({
    id: Slug,
    name: z.string(),
    aliases: z.array(z.string()),
    kind: z.enum(SOURCE_KINDS),
    country: z.string().nullable(),
    url: z.string().nullable(),
    affiliated_actor_id: z.string().nullable(),
    notes: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Source', description: 'Who makes statements.' })

export type SourceCreateInput = z.output<typeof SourceCreate>
export type SourcePatchInput = z.output<typeof SourcePatch>
export type SourceOut = z.output<typeof Source>
