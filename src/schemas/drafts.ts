/** #17 drafts from text: POST /drafts, its request (JSON, or text/plain with the rest in the query) and its answer. */
import { z } from 'zod'
import { GUESSED_FIELDS, SKIP_REASONS } from '../drafts/draft.js'
import { DRAFT_LANGUAGES } from '../drafts/languages.js'
import { CERTAINTIES, METRICS, POPULATIONS, QUALIFIERS, STANCES } from '../engine/types.js'
import { HttpUrl, Ref, StatedAt } from './common.js'

/** The most text one request drafts from: 1 MB of UTF-8. */
export const MAX_DRAFT_TEXT_BYTES = 1_000_000

/** Control characters other than tab, line feed and carriage return: binary data, not text. */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/

export const DraftText = z
  .string()
  .refine((text) => text.trim() !== '', 'must not be empty')
  .refine((text) => !BINARY.test(text), 'must be text: it holds control characters (binary data?)')
  // maxLength documents the limit the route checks in bytes (413 beyond): no text of more characters has fewer bytes.
  .meta({
    description: `The article: plain text, paragraphs on lines of their own; at most ${MAX_DRAFT_TEXT_BYTES.toLocaleString('en')} bytes of UTF-8.`,
    maxLength: MAX_DRAFT_TEXT_BYTES,
  })

const draftFields = {
  published_at: StatedAt.meta({
    description:
      'When the text was published: relative dates ("yesterday") count from it, and it is `stated_at` when the text gives no date.',
    example: '2017-04-06',
  }),
  url: HttpUrl.optional().meta({ description: 'Where the text was read: each draft carries it as `url`.' }),
  publisher_id: Ref.optional().meta({
    description: 'The source that published the text (id or alias): the last relay of every draft.',
    example: 'tass',
  }),
  event_id: Ref.optional().meta({
    description: 'The event the text is about: drafts carry it, and sentences about other incidents are skipped.',
    example: 'khan-shaykhun',
  }),
  language: z.enum(DRAFT_LANGUAGES).default('en').meta({ description: 'The language of the text (BCP 47).' }),
}

export const DraftRequest = z.strictObject({ text: DraftText, ...draftFields })
/** With `text/plain`, the text is the body and the rest is in the query. */
export const DraftQuery = z.strictObject({
  published_at: draftFields.published_at.optional(),
  url: draftFields.url,
  publisher_id: draftFields.publisher_id,
  event_id: draftFields.event_id,
  language: z.enum(DRAFT_LANGUAGES).optional().meta({ description: 'With text/plain: the language of the text (default en).' }),
})

const SpanSchema = z.object({ start: z.int(), end: z.int() }).meta({
  id: 'TextSpan',
  description: 'Character offsets in the text (UTF-16 code units, as JavaScript counts): `text.slice(start, end)`.',
})

const claimCommon = {
  event_id: z.string().optional(),
  source_id: z.string().nullable().meta({ description: 'The origin; null when the text names no known speaker (see `missing`).' }),
  via: z.array(z.string()),
  stated_at: z.string(),
  quote: z.string().meta({ description: 'The exact words: the text at `span`.' }),
  url: z.string().optional(),
  language: z.string(),
}

export const DraftClaimSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('figure'),
      ...claimCommon,
      metric: z.enum(METRICS),
      population: z.enum(POPULATIONS),
      party: z.string().optional(),
      qualifier: z.enum(QUALIFIERS),
      value: z.int().optional(),
      low: z.int().optional(),
      high: z.int().optional(),
    }),
    z.object({
      kind: z.literal('attribution'),
      ...claimCommon,
      stance: z.enum(STANCES),
      actor_ids: z.array(z.string()),
      certainty: z.enum(CERTAINTIES),
    }),
  ])
  .meta({ id: 'DraftClaim', description: 'A claim body in the contract’s fields, for POST /claims/bulk once a person accepts it.' })

export const DraftSchema = z
  .object({
    claim: DraftClaimSchema,
    span: SpanSchema,
    confidence: z.object({
      level: z.enum(['high', 'medium', 'low']),
      reasons: z.array(z.string()).meta({ description: 'What the draft rests on, then each guess.' }),
    }),
    guesses: z
      .array(z.object({ field: z.enum(GUESSED_FIELDS), reason: z.string() }))
      .meta({ description: 'Each field that needed a guess, and why: none means the text said it all.' }),
    missing: z.array(z.enum(['source_id', 'event_id'])).meta({ description: 'Fields the claim needs that the text could not give.' }),
  })
  .meta({ id: 'Draft' })

export const DraftsResponse = z
  .object({
    language: z.string(),
    published_at: z.string(),
    drafts: z.array(DraftSchema),
    unresolved: z
      .array(
        z.object({
          kind: z.enum(['source', 'actor']),
          text: z.string(),
          span: SpanSchema,
          candidates: z.array(z.string()).meta({ description: 'The ids an ambiguous name could be; empty when it names none.' }),
        }),
      )
      .meta({ description: 'Names that match no source or actor, or several: create one, or add an alias, and draft again.' }),
    skipped: z
      .array(
        z.object({
          reason: z.enum(SKIP_REASONS),
          detail: z.string(),
          text: z.string(),
          span: SpanSchema,
          sentence: SpanSchema,
        }),
      )
      .meta({
        description: 'Figures and stances not drafted, and why: another event, a date, not a count of people, no word of what happened…',
      }),
  })
  .meta({ id: 'Drafts' })
