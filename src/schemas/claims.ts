import { z } from 'zod'
import { CERTAINTIES, METRICS, POPULATIONS, QUALIFIERS, STANCES } from '../engine/types.js'
import { quoted } from '../lib/suggest.js'
import { caseInsensitiveTag, choice, tag, tagError } from './choice.js'
import { HttpUrl, Ref, StatedAt, Text, Timestamp } from './common.js'

/** Qualifiers that take a single `value` (§1, kind figure). */
export const VALUE_QUALIFIERS = ['exact', 'at_least', 'more_than', 'at_most', 'fewer_than', 'approximately'] as const

/** Figures are counts of people: whole numbers from 0 to a trillion. */
export const MAX_COUNT = 1_000_000_000_000
const Count = z
  // "1,200", "1 200" and "70+" are refused, never guessed at: the sender says what they meant.
  .int({
    error: (issue) =>
      typeof issue.input === 'string' && /^\d+$/.test(issue.input)
        ? `must be a JSON number, not a string: write ${issue.input} without quotes; got ${quoted(issue.input)}.`
        : `must be a whole number such as 1200, without separators; got ${quoted(issue.input)}.`,
  })
  .min(0, 'must not be negative')
  .max(MAX_COUNT, 'must be at most 10^12')

export const CLAIM_KINDS = ['figure', 'attribution'] as const

const Language = z
  .string()
  .max(35)
  .refine((tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length === 1
    } catch {
      return false
    }
  }, 'must be a BCP 47 language tag such as "en" or "ar-SY"')
  // The shape of every tag the check above accepts (it accepts fewer).
  .meta({ pattern: '^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$' })

const common = {
  event_id: Ref.optional().meta({
    description: 'The event. Required on POST /claims; taken from the path on POST /events/{id}/claims.',
    example: 'khan-shaykhun-2017',
  }),
  source_id: Ref.meta({ description: 'The origin: who made the statement (id or alias).', example: 'sohr' }),
  via: z
    .array(Ref)
    .max(20)
    .optional()
    .meta({ description: 'The relay chain, nearest the origin first.', example: ['reuters', 'tass'] }),
  stated_at: StatedAt,
  quote: Text.nullish(),
  url: HttpUrl.nullish(),
  language: Language.nullish().meta({ example: 'en' }),
  note: Text.nullish(),
  external_id: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .nullish()
    .meta({ description: 'Your own id for the claim, unique per source_id: re-sending it with the same content is safe.' }),
  supersedes: z
    .string()
    .min(1)
    .max(64)
    .nullish()
    .meta({ description: 'The id of an earlier claim of the same event that this one replaces.' }),
}

type FigureShape = {
  qualifier: (typeof QUALIFIERS)[number]
  value?: number | null | undefined
  low?: number | null | undefined
  high?: number | null | undefined
  best?: number | null | undefined
}

/** The rules of §1 that tie the numbers to the qualifier. */
function checkFigureNumbers(f: FigureShape, ctx: z.RefinementCtx): void {
  const has = (k: 'value' | 'low' | 'high' | 'best') => f[k] !== undefined && f[k] !== null
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
  const absent = (k: 'value' | 'low' | 'high' | 'best', why: string) => {
    if (has(k)) issue(k, `must be absent ${why}`)
  }
  if ((VALUE_QUALIFIERS as readonly string[]).includes(f.qualifier)) {
    if (!has('value')) issue('value', `is required with qualifier "${f.qualifier}"`)
    for (const k of ['low', 'high', 'best'] as const) absent(k, `with qualifier "${f.qualifier}" (use value)`)
    if (f.qualifier === 'fewer_than' && f.value === 0) issue('value', 'must be at least 1 with qualifier "fewer_than"')
  } else if (f.qualifier === 'range') {
    absent('value', 'with qualifier "range" (use low and high)')
    if (!has('low')) issue('low', 'is required with qualifier "range"')
    if (!has('high')) issue('high', 'is required with qualifier "range"')
    const { low, high, best } = f
    if (typeof low === 'number' && typeof high === 'number') {
      if (low > high) issue('high', 'must not be less than low')
      else if (typeof best === 'number' && (best < low || best > high)) issue('best', `must lie within [low, high] = [${low}, ${high}]`)
    }
  } else {
    for (const k of ['value', 'low', 'high', 'best'] as const) absent(k, `with qualifier "${f.qualifier}"`)
  }
}

const figureFields = {
  kind: tag('figure'),
  ...common,
  metric: choice(METRICS),
  population: choice(POPULATIONS).default('all'),
  party: Ref.nullish().meta({ description: 'The actor whose people are counted.', example: 'russian-forces' }),
  qualifier: choice(QUALIFIERS),
  value: Count.nullish(),
  low: Count.nullish(),
  high: Count.nullish(),
  best: Count.nullish(),
}

const attributionFields = {
  kind: tag('attribution'),
  ...common,
  stance: choice(STANCES),
  actor_ids: z
    .array(Ref)
    .min(1, 'must name at least one actor')
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an actor')
    .meta({
      description: 'With accuses: one of these did it. With denies: none of these did.',
      example: ['syrian-government', 'russian-forces'],
    }),
  certainty: choice(CERTAINTIES).default('asserted'),
  role: z.string().trim().min(1).max(500).nullish(),
}

const figureExample = {
  kind: 'figure',
  source_id: 'sohr',
  via: ['reuters', 'tass'],
  stated_at: '2017-04-04',
  metric: 'killed',
  population: 'all',
  qualifier: 'exact',
  value: 58,
  quote: 'had killed 58 people including 11 children',
}
const attributionExample = {
  kind: 'attribution',
  source_id: 'reuters',
  via: ['tass'],
  stated_at: '2017-04-04',
  stance: 'accuses',
  actor_ids: ['syrian-government', 'russian-forces'],
  certainty: 'suspected',
  quote: 'could have been carried out by Syrian government or Russian jets',
}

export const FigureClaimCreate = z
  .strictObject(figureFields)
  .superRefine(checkFigureNumbers)
  .meta({ id: 'FigureClaimCreate', examples: [figureExample] })

export const AttributionClaimCreate = z
  .strictObject(attributionFields)
  .meta({ id: 'AttributionClaimCreate', examples: [attributionExample] })

export const ClaimCreate = caseInsensitiveTag(
  'kind',
  CLAIM_KINDS,
  z.discriminatedUnion('kind', [FigureClaimCreate, AttributionClaimCreate], { error: tagError('kind', CLAIM_KINDS) }),
).meta({ id: 'ClaimCreate', description: 'One statement by one source about one event.' })

/** A claim of a bulk request: the same fields, with event_id required (contract §9). */
const BulkEventId = { event_id: Ref.meta({ description: 'The event (id).', example: 'khan-shaykhun' }) }
export const BulkClaim = caseInsensitiveTag(
  'kind',
  CLAIM_KINDS,
  z.discriminatedUnion(
    'kind',
    [
      z.strictObject({ ...figureFields, ...BulkEventId }).superRefine(checkFigureNumbers),
      z.strictObject({ ...attributionFields, ...BulkEventId }),
    ],
    { error: tagError('kind', CLAIM_KINDS) },
  ),
).meta({ id: 'BulkClaim', description: 'A claim with its event_id.' })

/** The body of POST /claims/bulk: validated where the batch is written (services/bulk-claims), the route documents it. */
export const BulkClaims = z.array(BulkClaim)

export type ClaimCreateInput = z.output<typeof ClaimCreate>

export const Retraction = z.object({ at: Timestamp, reason: z.string() }).meta({ id: 'RetractionInfo' })

export const RetractionCreate = z
  .strictObject({ reason: z.string().trim().min(1, 'must not be empty').max(5000) })
  .meta({ id: 'RetractionCreate', examples: [{ reason: 'Duplicate of another record' }] })

const IntervalOut = z.object({
  low: z.number(),
  high: z.number().nullable().meta({ description: 'null when unbounded' }),
})

const claimOut = {
  id: z.string(),
  event_id: z.string(),
  source_id: z.string(),
  via: z.array(z.string()),
  stated_at: Timestamp,
  recorded_at: Timestamp,
  quote: z.string().nullable(),
  url: z.string().nullable(),
  language: z.string().nullable(),
  note: z.string().nullable(),
  external_id: z.string().nullable(),
  supersedes: z.string().nullable(),
  status: z.enum(['active', 'superseded', 'retracted']),
  superseded_by: z.string().nullable(),
  retraction: Retraction.nullable(),
}

export const FigureClaimOut = z
  .object({
    kind: z.literal('figure'),
    ...claimOut,
    metric: z.enum(METRICS),
    population: z.enum(POPULATIONS),
    party: z.string().nullable(),
    qualifier: z.enum(QUALIFIERS),
    value: z.number().nullable(),
    low: z.number().nullable(),
    high: z.number().nullable(),
    best: z.number().nullable(),
    interval: IntervalOut,
    point: z.number(),
  })
  .meta({ id: 'FigureClaim' })

export const AttributionClaimOut = z
  .object({
    kind: z.literal('attribution'),
    ...claimOut,
    stance: z.enum(STANCES),
    actor_ids: z.array(z.string()),
    certainty: z.enum(CERTAINTIES),
    role: z.string().nullable(),
  })
  .meta({ id: 'AttributionClaim' })

export const Claim = z.discriminatedUnion('kind', [FigureClaimOut, AttributionClaimOut]).meta({ id: 'Claim' })
export type ClaimOut = z.output<typeof Claim>

export { IntervalOut }
