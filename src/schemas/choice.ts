/**
 * Enum fields of requests (contract §1: kind, metric, population, qualifier, …).
 * Spreadsheets capitalise ("Killed") and people write "at least" for
 * `at_least`: a value is accepted in any letter case, with a space for "_",
 * and stored and answered in its canonical lower-case form. Response schemas
 * keep plain `z.enum`s.
 */
import { z } from 'zod'
import { canonical } from '../lib/canonical.js'
import { didYouMean, quoted } from '../lib/suggest.js'

type Values = readonly [string, ...string[]]

function insensitive(value: string): string {
  return [...value]
    .map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c === '_' ? '[_ ]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
}

/** What `canonical` accepts, as a regular expression for the OpenAPI document: `^(?:[kK][iI][lL][lL][eE][dD]|…)$`. */
export function choicePattern(values: readonly string[]): string {
  return `^(?:${values.map(insensitive).join('|')})$`
}

/** The message of a value outside `values`: what is expected, what was sent, and the nearest value. */
export function choiceMessage(values: readonly string[], sent: unknown): string {
  const suggestion = typeof sent === 'string' ? didYouMean(sent, values) : ''
  return `must be one of ${values.join(', ')} (any letter case); got ${quoted(sent)}.${suggestion}`
}

function longest(values: readonly string[]): number {
  return Math.max(...values.map((v) => v.length))
}

function documented(values: readonly string[], description: string | undefined): string {
  const rule = values.some((v) => v.includes('_')) ? 'in any letter case, a space for `_`' : 'in any letter case'
  const list = `One of ${values.map((v) => `\`${v}\``).join(', ')} (${rule}; answered in lower case).`
  return description ? `${description} ${list}` : list
}

/**
 * A request enum: one of `values`, in any letter case. Documented as a
 * string with the case-insensitive pattern (what the server accepts, exactly)
 * and a description that lists the canonical values.
 */
export function choice<const T extends Values>(values: T, description?: string): z.ZodType<T[number], string> {
  const allowed = new Set<string>(values)
  return (
    z
      .string({ error: (issue) => choiceMessage(values, issue.input) })
      .superRefine((text, ctx) => {
        // Aborts, as z.enum does: the object's own refinements (the qualifier's numbers) then wait for a valid value.
        if (!allowed.has(canonical(text))) ctx.addIssue({ code: 'custom', message: choiceMessage(values, text), continue: false })
      })
      // A check, not a transform: zod keeps the examples and defaults of an object without transforms in its input document.
      .overwrite(canonical)
      // An example, or Swagger UI makes its sample body from the pattern ("metric": "DiSpLaceD").
      // maxLength: the longest value, exact since canonical() keeps lengths; it bounds what a client may send (OWASP API4).
      .meta({
        description: documented(values, description),
        pattern: choicePattern(values),
        maxLength: longest(values),
        examples: [values[0]],
      }) as
      // The check above admits only the canonical values.
      z.ZodType<T[number], string>
  )
}

/**
 * The discriminator of a tagged union (a claim's `kind`), documented like a
 * choice; `caseInsensitiveTag` makes it canonical before the union reads it.
 */
export function tag<const V extends string>(value: V) {
  // `const: undefined` drops the literal's const from the document: the pattern says what is accepted.
  return z
    .literal(value)
    .meta({ const: undefined, type: 'string', pattern: choicePattern([value]), maxLength: value.length, examples: [value] })
}

/** `union`, with `key` made canonical first when it names one of `values` in another case. */
export function caseInsensitiveTag<U extends z.ZodType>(key: string, values: Values, union: U) {
  return z.preprocess((input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input
    const sent: unknown = (input as Record<string, unknown>)[key]
    if (typeof sent !== 'string') return input
    const value = canonical(sent)
    return value !== sent && values.includes(value) ? { ...input, [key]: value } : input
  }, union)
}

/** The error of a tagged union whose `key` is missing or unknown. */
export function tagError(key: string, values: Values) {
  return (issue: { code?: string; input?: unknown }): string | undefined => {
    const input = issue.input
    if (issue.code !== 'invalid_union' || typeof input !== 'object' || input === null) return undefined
    const sent: unknown = (input as Record<string, unknown>)[key]
    return sent === undefined ? 'is required' : choiceMessage(values, sent)
  }
}
