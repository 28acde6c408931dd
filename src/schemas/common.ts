/**
 * Building blocks shared by the resource schemas. One zod definition per
 * thing: it validates requests, serializes responses and documents the route.
 */
import { z } from 'zod'
import { isPartialDate, parseMoment, parseStatedAt } from '../lib/time.js'
import { SLUG_PATTERN } from '../lib/slug.js'

export const Slug = z
  .string()
  .regex(SLUG_PATTERN, 'must be a slug: lower-case letters, digits and "-", 1 to 64 characters, not starting with "-"')
  // maxLength documents what the pattern already enforces.
  .meta({ description: 'A readable id (slug) matching ^[a-z0-9][a-z0-9-]{0,63}$.', example: 'sohr', maxLength: 64 })

/**
 * Where a source or actor is expected, its id or one of its aliases
 * (matched case-insensitively) is accepted; responses always carry the id.
 */
export const Ref = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .meta({ description: 'The id of a source or actor, or one of its aliases.', example: 'sohr' })

export const Name = z.string().trim().min(1, 'must not be empty').max(500)
export const Text = z.string().max(20_000)

export const Aliases = z
  .array(z.string().trim().min(1, 'must not be empty').max(200))
  .max(100)
  .refine((list) => new Set(list.map((a) => a.toLowerCase())).size === list.length, {
    message: 'must not repeat an alias (aliases are matched case-insensitively)',
  })
  .meta({ description: 'Other names, matched case-insensitively; an alias belongs to one record only.' })

export const Country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "SY"')
  .transform((c) => c.toUpperCase())
  .meta({ description: 'ISO 3166-1 alpha-2 country code.', example: 'SY', maxLength: 2 })

export const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2000)

export const PartialDate = z
  .string()
  .refine(isPartialDate, 'must be a date: YYYY-MM-DD, YYYY-MM or YYYY')
  // Documents the shape isPartialDate checks (which also wants a real month and day).
  .meta({ description: 'YYYY-MM-DD, YYYY-MM or YYYY.', example: '2017-04-04', maxLength: 10, pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$' })

const DATE_OR_DATE_TIME = 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone'
/** The longest date-time lib/time.ts parses: 2017-04-04T12:00:00.123456789+03:00. */
const DATE_TIME_MAX = 35
/** The shapes lib/time.ts parses, for the OpenAPI document (it also wants a real date and time). */
const DATE_OR_DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?([Zz]|[+-]\\d{2}:?\\d{2}))?$'

/** Parses once: the normalised value, or an issue (a refine and a transform would parse twice). */
function parsedWith(parse: (text: string) => string | null) {
  return (text: string, ctx: z.RefinementCtx): string => {
    const value = parse(text)
    if (value === null) {
      ctx.addIssue({ code: 'custom', message: DATE_OR_DATE_TIME })
      return z.NEVER
    }
    return value
  }
}

/** A stated_at as given; a date means 00:00:00Z that day. Normalised to UTC with milliseconds. */
export const StatedAt = z.string().max(DATE_TIME_MAX, DATE_OR_DATE_TIME).transform(parsedWith(parseStatedAt)).meta({
  description: 'A date (meaning 00:00:00Z that day) or an ISO 8601 date-time with a time zone.',
  example: '2017-04-04',
  pattern: DATE_OR_DATE_TIME_PATTERN,
})

/** `as_of`-style moment: a date means the end of that day (23:59:59.999Z). */
export const Moment = z
  .string()
  .max(DATE_TIME_MAX, DATE_OR_DATE_TIME)
  .transform(parsedWith(parseMoment))
  .meta({ pattern: DATE_OR_DATE_TIME_PATTERN })

export const Timestamp = z.string().meta({ description: 'ISO 8601 UTC date-time.', example: '2017-04-06T12:00:00.000Z' })

export const Limit = z.coerce
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(1000, 'must be at most 1000')
  .default(50)
  .meta({ description: 'Items per page (default 50, at most 1000).' })

export const Cursor = z
  .string()
  .max(500)
  .meta({ description: 'The opaque `next_cursor` of the previous page.', pattern: '^[A-Za-z0-9_-]*$' })

export const ListQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() })

/**
 * A query flag: exactly `true` or `false`, so that a misspelt value is a 400
 * naming the field, never a guess (a write the caller meant as a dry run, a
 * file that silently differs from the one asked for); absent is `byDefault`.
 */
export function flag(byDefault: boolean, description: string) {
  return z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? byDefault : v === 'true'))
    .meta({ description })
}

/**
 * `raw` of every CSV-capable read. Exactly `true` or `false` (as `dry_run`): a
 * misspelt value is a 400, never a file that silently differs from the one asked for.
 */
export const Raw = flag(
  false,
  'CSV only. By default (`false`) a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading ' +
    "apostrophe (`'=HYPERLINK(…)`; one more before apostrophes already there), so that a spreadsheet shows it as text instead of " +
    'running it as a formula (CSV injection, OWASP); numbers are never changed. POST /claims/bulk reads that apostrophe back, so the ' +
    'default claims CSV is also the file to post back. `true`: every cell exactly as stored, for other programs. JSON and NDJSON are ' +
    'always exact: there `raw` is accepted and changes nothing.',
)

export function page<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
}

/** Whether the text holds a control character (U+0000 to U+001F). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true
  return false
}

// No control characters: no id has one (ids are slugs). The ETag hook, which runs before validation, leaves such an id alone.
export const IdParams = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(200)
    .refine((id) => !hasControlCharacter(id), 'must not contain control characters'),
})

export const FieldErrorSchema = z.object({
  path: z.string().meta({ description: 'JSON Pointer to the bad field, in the part of the request named by `in`.' }),
  message: z.string(),
  in: z.enum(['body', 'query', 'path', 'header']).optional(),
  line: z.int().optional().meta({
    description:
      'The 1-based line of the body where the error is: of a CSV or NDJSON file (the header is line 1), or of a JSON syntax error.',
  }),
  column: z.int().optional().meta({ description: 'The 1-based column (in characters) of a JSON syntax error.' }),
  offset: z.int().optional().meta({ description: 'The 0-based byte offset of a JSON syntax error.' }),
})

export const Problem = z
  .object({
    type: z.string().meta({ example: 'urn:reckon:problem:validation' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .meta({
    id: 'Problem',
    description: 'An RFC 9457 problem document. Validation failures list every bad field in `errors`.',
  })

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
})

/** Writes take a bearer token; `{}` because keys are optional (none configured: open). */
export const writeSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }, {}]

/** Documented error responses, spread into a route's `response`. */
export const errors = {
  400: problemResponse('Malformed or invalid input; `errors` names each bad field.'),
  401: problemResponse('A write without a valid token with the `write` scope (when keys are configured).'),
  404: problemResponse('No such resource.'),
  409: problemResponse('Conflict: the id or alias is taken, or the external id was used for other content.'),
  413: problemResponse('The body is larger, or has more rows, than the documented limits.'),
  415: problemResponse('Unsupported media type.'),
  422: problemResponse('Well-formed input that refers to what does not exist or cannot be.'),
  429: problemResponse('Too many requests: the rate limit of this API key (or client) is used up. Retry after `Retry-After` seconds.'),
  500: problemResponse('An unexpected error on the server. It is logged; the problem document holds no internals.'),
  503: problemResponse('The server is under too much load and sheds requests. Retry after `Retry-After` seconds.'),
} as const

export function errorResponses<K extends keyof typeof errors>(...codes: K[]): Pick<typeof errors, K> {
  const out = {} as Pick<typeof errors, K>
  for (const code of codes) out[code] = errors[code]
  return out
}
