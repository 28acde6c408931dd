/**
 * fast-check arbitraries derived from the document's JSON Schemas: values that
 * are valid as documented (mixed with known ids and well-formed dates, so that
 * requests reach past validation), and the raw material of mutations: values
 * of the wrong type, edge-case strings and numbers, awkward keys.
 */
import fc from 'fast-check'
import { type JsonSchema, type OpenApiDocument, deref } from './openapi.js'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** What the seeded app holds: real ids and positions, so that generated requests sometimes name what exists. */
export interface Domain {
  /** Ids by collection, the first path segment: `events`, `sources`, `actors`, `claims`, … */
  ids: Record<string, string[]>
  /** Aliases of sources and actors (ids are accepted wherever an alias is). */
  aliases: Record<string, string[]>
  /** `next_cursor` values of the lists. */
  cursors: string[]
  /** Positions in the change feed: its cursors and bare seqs. */
  positions: string[]
}

// ---- hints: what a field of this name usually holds ----

const MOMENTS = [
  '2017-04-04',
  '2017-04-05',
  '2017-04-06',
  '2017-04-04T10:30:00Z',
  '2017-04-05T12:00:00.000Z',
  '2017-04-05T12:00:00+03:00',
  '2017-04-06T23:59:59.999Z',
  '2016-02-29',
  '1970-01-01T00:00:00Z',
  '2999-12-31',
]
const PARTIAL_DATES = ['2017', '2017-04', '2017-04-04', '2017-04-30', '1999-12-31', '2024-02-29', '2017-01']

function dateText(): fc.Arbitrary<string> {
  return fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
    .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().slice(0, 10), d.toISOString().replace('.000Z', 'Z')))
}

function partialDateText(): fc.Arbitrary<string> {
  return fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
    .chain((d) => fc.constantFrom(d.toISOString().slice(0, 10), d.toISOString().slice(0, 7), d.toISOString().slice(0, 4)))
}

function pick(values: string[]): fc.Arbitrary<string> | undefined {
  return values.length === 0 ? undefined : fc.constantFrom(...values)
}

/** Where the path is `/<collection>/{id}…`, the collection whose ids `id` names. */
export function collectionOf(path: string): string {
  return path.split('/')[1] ?? ''
}

function refs(domain: Domain, collection: string): string[] {
  return [...(domain.ids[collection] ?? []), ...(domain.aliases[collection] ?? [])]
}

/** A domain value for a field or parameter of this name, or undefined when the name says nothing. */
export function hint(name: string | undefined, domain: Domain, collection: string): fc.Arbitrary<Json> | undefined {
  switch (name) {
    case 'id':
      return pick(refs(domain, collection))
    case 'source_id':
    case 'via':
      return pick(refs(domain, 'sources'))
    case 'actor_ids':
    case 'party':
    case 'parent_id':
    case 'affiliated_actor_id':
      return pick(refs(domain, 'actors'))
    case 'event_id':
      return pick(domain.ids.events ?? [])
    case 'supersedes':
      return pick(domain.ids.claims ?? [])
    case 'stated_at':
    case 'as_of':
    case 'known_at':
    case 'stated_from':
    case 'stated_to':
      return fc.oneof(fc.constantFrom(...MOMENTS), dateText())
    case 'occurred_on':
    case 'ended_on':
    case 'from':
    case 'to':
      return fc.oneof(fc.constantFrom(...PARTIAL_DATES), partialDateText())
    case 'cursor':
      return pick(domain.cursors)
    case 'after':
    case 'last_event_id':
    case 'last-event-id':
      return pick(domain.positions)
    case 'country':
      return fc.constantFrom('SY', 'GB', 'RU', 'us')
    case 'tag':
    case 'tags':
      return fc.constantFrom('chemical-weapons', 'idlib', 'airstrike')
    case 'q':
      return fc.constantFrom('khan', 'SOHR', 'reuters', 'Syrian', 'attack')
    case 'language':
      return fc.constantFrom('en', 'ar', 'ru', 'fr-CA', 'zh-Hant-TW')
    case 'url':
      return fc.webUrl({ validSchemes: ['http', 'https'] })
    case 'idempotency-key':
      return fc.uuid()
    case 'type':
      return fc.constantFrom('claim.created', 'claim.created,claim.retracted', 'source.updated,event.created')
    case 'lat':
      return fc.double({ min: -90, max: 90, noNaN: true })
    case 'lon':
      return fc.double({ min: -180, max: 180, noNaN: true })
    default:
      return undefined
  }
}

// ---- values valid as documented ----

const MAX_DEPTH = 8

function typesOf(schema: JsonSchema): string[] | undefined {
  if (schema.type === undefined) return undefined
  return Array.isArray(schema.type) ? schema.type : [schema.type]
}

function stringMatching(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern, 'u'))
  } catch {
    return undefined
  }
}

function integerArb(schema: JsonSchema): fc.Arbitrary<number> {
  const lo = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? Math.floor(schema.exclusiveMinimum) + 1 : -1_000_000)
  const hi = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? Math.ceil(schema.exclusiveMaximum) - 1 : 1_000_000)
  const safeLo = Math.max(lo, Number.MIN_SAFE_INTEGER)
  const safeHi = Math.min(hi, Number.MAX_SAFE_INTEGER)
  if (safeLo > safeHi) return fc.constant(safeLo)
  // Mostly small numbers near the lower bound; sometimes anywhere, or a bound.
  const small = fc.integer({ min: safeLo, max: Math.min(safeHi, safeLo + 1000) })
  const anywhere = fc.bigInt({ min: BigInt(safeLo), max: BigInt(safeHi) }).map(Number)
  return fc.oneof(
    { weight: 4, arbitrary: small },
    { weight: 2, arbitrary: anywhere },
    { weight: 1, arbitrary: fc.constantFrom(safeLo, safeHi) },
  )
}

function numberArb(schema: JsonSchema): fc.Arbitrary<number> {
  const lo = schema.minimum ?? schema.exclusiveMinimum ?? -1e6
  const hi = schema.maximum ?? schema.exclusiveMaximum ?? 1e6
  return fc
    .double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true })
    .filter(
      (n) =>
        (schema.exclusiveMinimum === undefined || n > schema.exclusiveMinimum) &&
        (schema.exclusiveMaximum === undefined || n < schema.exclusiveMaximum),
    )
}

function stringArb(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 24, 24))
  if (schema.pattern !== undefined) {
    const matching = stringMatching(schema.pattern)
    if (matching) return matching
  }
  switch (schema.format) {
    case 'uri':
    case 'url':
      return fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true })
    case 'date-time':
      return fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString())
    case 'date':
      return fc
        .date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2100-01-01') })
        .map((d) => d.toISOString().slice(0, 10))
    case 'email':
      return fc.emailAddress()
    case 'uuid':
      return fc.uuid()
    default:
      return fc.oneof(
        { weight: 3, arbitrary: fc.string({ minLength, maxLength }) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }) },
      )
  }
}

export class SchemaArbitraries {
  private readonly cache = new Map<string, fc.Arbitrary<Json>>()

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly domain: Domain,
  ) {}

  /**
   * Values valid against `schema` (as far as a generator can tell; the
   * validator has the last word). `name` is the field or parameter name, for
   * hints; `collection` names what a path `id` refers to.
   */
  valid(schema: JsonSchema, name?: string, collection = '', depth = 0): fc.Arbitrary<Json> {
    const key = depth === 0 && schema.$ref !== undefined ? `${schema.$ref}|${name ?? ''}|${collection}` : undefined
    const cached = key === undefined ? undefined : this.cache.get(key)
    if (cached) return cached
    const base = this.build(deref(this.doc, schema), name, collection, depth)
    const hinted = hint(name, this.domain, collection)
    const types = typesOf(deref(this.doc, schema))
    const structured = types?.includes('object') || types?.includes('array')
    const arb = hinted && !structured ? fc.oneof({ weight: 3, arbitrary: hinted }, { weight: 1, arbitrary: base }) : base
    if (key !== undefined) this.cache.set(key, arb)
    return arb
  }

  private build(schema: JsonSchema, name: string | undefined, collection: string, depth: number): fc.Arbitrary<Json> {
    if (depth > MAX_DEPTH) return fc.constant(null)
    if (schema.const !== undefined) return fc.constant(schema.const as Json)
    if (schema.enum !== undefined && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as Json[]))
    const alternatives = schema.oneOf ?? schema.anyOf
    if (alternatives && alternatives.length > 0) {
      return fc.oneof(...alternatives.map((alt) => this.valid(alt, name, collection, depth + 1)))
    }
    if (schema.allOf && schema.allOf.length > 0) {
      const parts = schema.allOf.map((part) => deref(this.doc, part))
      const merged: JsonSchema = {
        ...Object.assign({}, ...parts),
        properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
        required: parts.flatMap((p) => p.required ?? []),
      }
      return this.build(merged, name, collection, depth)
    }
    const types = typesOf(schema)
    if (types && types.length > 1) {
      return fc.oneof(...types.map((type) => this.build({ ...schema, type }, name, collection, depth)))
    }
    const type = types?.[0] ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined)
    switch (type) {
      case 'string':
        return stringArb(schema)
      case 'integer':
        return integerArb(schema)
      case 'number':
        return numberArb(schema)
      case 'boolean':
        return fc.boolean()
      case 'null':
        return fc.constant(null)
      case 'array': {
        const items = schema.items
          ? this.valid(schema.items, name, collection, depth + 1)
          : fc.jsonValue({ maxDepth: 1 }).map((v) => v as Json)
        const minLength = schema.minItems ?? 0
        return fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) })
      }
      case 'object':
        return this.object(schema, collection, depth)
      default:
        return fc.jsonValue({ maxDepth: 2 }).map((v) => v as Json)
    }
  }

  private object(schema: JsonSchema, collection: string, depth: number): fc.Arbitrary<Json> {
    const properties = schema.properties ?? {}
    const model: Record<string, fc.Arbitrary<Json>> = {}
    for (const [key, sub] of Object.entries(properties)) model[key] = this.valid(sub, key, collection, depth + 1)
    const required = (schema.required ?? []).filter((key) => key in properties)
    const known = fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Record<string, Json>>
    const extra = schema.additionalProperties
    if (extra === undefined || typeof extra === 'boolean') return known
    const keys = schema.propertyNames
      ? (this.valid(schema.propertyNames, undefined, collection, depth + 1) as fc.Arbitrary<string>)
      : fc.string({ minLength: 1, maxLength: 12 })
    const more = fc.dictionary(
      keys.filter((k) => typeof k === 'string'),
      this.valid(extra, undefined, collection, depth + 1),
      { maxKeys: 3 },
    )
    return fc.tuple(known, more).map(([a, b]) => ({ ...b, ...a }))
  }
}

// ---- the raw material of mutations ----

/** A JSON text that must appear unquoted: a number literal JSON.stringify cannot write (1e400, -0, 9007199254740993). */
const RAW = '\u0000RAW:'

export function rawNumber(literal: string): string {
  return `${RAW}${literal}\u0000`
}

/** JSON.stringify, with raw number literals written as they are. */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? ''
  return text.replace(/"\\u0000RAW:([^"\\]*)\\u0000"/g, '$1')
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'string' && value.startsWith(RAW)) return 'number'
  return typeof value
}

const OTHER_TYPED: Json[] = [null, true, false, 0, -1, 1.5, '', 'x', '17', [], ['x'], {}, { a: 1 }]

/** A value of another JSON type than `value`. */
export function wrongType(value: Json): fc.Arbitrary<Json> {
  const type = jsonType(value)
  return fc.constantFrom(...OTHER_TYPED.filter((v) => jsonType(v) !== type))
}

const NUMBER_LITERALS = [
  '-1',
  '-0',
  '0',
  '1.5',
  '0.1',
  '1e3',
  '1E2',
  '1e308',
  '1e400',
  '-1e400',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '1000000000001',
  '12345678901234567890123',
  '-9223372036854775809',
  '5e-324',
]

export function edgeNumber(): fc.Arbitrary<Json> {
  return fc.oneof(
    fc.constantFrom(...NUMBER_LITERALS).map(rawNumber),
    fc.double().map((n) => (Number.isFinite(n) ? n : 0)),
    fc.integer(),
  )
}

const ODD_STRINGS = [
  '',
  ' ',
  '   ',
  '\t',
  '\n',
  '\u0000',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  'NaN',
  '[]',
  '{}',
  '%00',
  '%ZZ',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR '1'='1' --",
  '${jndi:ldap://example.invalid/a}',
  '{{7*7}}',
  '\u202eمرحبا',
  '𝕽𝖊𝖈𝖐𝖔𝖓',
  '👩‍👩‍👧‍👦',
  '\ud800',
  '\udfff',
  'A\u0301',
  '\ufeffsohr',
  'İstanbul',
  'ǅ',
  'SOHR',
  'sohr ',
  ' khan-shaykhun',
  'KHAN-SHAYKHUN',
  'khan-shaykhun/claims',
  'a,b',
  'a;b',
  '\\',
  '"',
]

const BAD_DATES = [
  '2017-02-30',
  '2017-02-29',
  '2017-13-01',
  '2017-00-10',
  '2017-04-00',
  '2017-04-31',
  '17-04-04',
  '2017/04/04',
  '2017-4-4',
  '20170404',
  '2017-04-04T25:00:00Z',
  '2017-04-04T23:60:00Z',
  '2017-04-04T23:59:60Z',
  '2017-04-04T10:00:00',
  '2017-04-04T10:00:00+25:00',
  '2017-04-04T10:00:00+0330',
  '2017-04-04 10:00:00Z',
  '2017-04-04T10:00Z',
  '2017-04-04T10:00:00.1234567890Z',
  '+002017-04-04',
  '-0001-01-01',
  '0000-00-00',
  '0000-01-01',
  '9999-12-31T23:59:59.999Z',
  '275760-09-13',
  '9999-99-99',
  '2017-W14',
  '2017-094',
  '1491264000',
  'now',
  'yesterday',
  'Tue, 04 Apr 2017 00:00:00 GMT',
]

export function hugeString(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(65, 201, 256, 501, 2001, 20_001, 100_000), fc.constantFrom('a', 'é', '😀', '-', ' '))
    .map(([n, c]) => c.repeat(n))
}

export function edgeString(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ODD_STRINGS) },
    { weight: 3, arbitrary: fc.constantFrom(...BAD_DATES) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: hugeString() },
  )
}

/** Keys a body should not have, or that test how keys are read. */
export function oddKey(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      'unknown_field',
      'ID',
      'Name',
      'kind ',
      '__proto__',
      'constructor',
      'prototype',
      '',
      ' ',
      'é',
      '$where',
      'x'.repeat(300),
    ),
    fc.string({ minLength: 1, maxLength: 12 }),
  )
}

// ---- paths into a JSON value ----

export type JsonPath = Array<string | number>

/** Every node of a value with its path, the root first. */
export function nodes(value: Json, path: JsonPath = [], out: Array<{ path: JsonPath; value: Json }> = []) {
  out.push({ path, value })
  if (Array.isArray(value)) value.forEach((v, i) => nodes(v, [...path, i], out))
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) nodes(v, [...path, k], out)
  return out
}

function defineKey(target: Record<string, Json>, key: string, value: Json): void {
  // defineProperty: `target['__proto__'] = v` would set the prototype, not a key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A copy of `root` with the node at `path` replaced (or removed, when `value` is undefined). */
export function setAt(root: Json, path: JsonPath, value: Json | undefined): Json | undefined {
  if (path.length === 0) return value
  const [head, ...rest] = path
  if (Array.isArray(root)) {
    const copy = [...root]
    const i = Number(head)
    const inner = setAt(copy[i] ?? null, rest, value)
    if (inner === undefined) copy.splice(i, 1)
    else copy[i] = inner
    return copy
  }
  if (root !== null && typeof root === 'object') {
    const key = String(head)
    const copy: Record<string, Json> = {}
    for (const [k, v] of Object.entries(root)) if (k !== key) defineKey(copy, k, v)
    const inner = setAt(Object.hasOwn(root, key) ? (root[key] ?? null) : null, rest, value)
    if (inner !== undefined) defineKey(copy, key, inner)
    return copy
  }
  return root
}

/** A copy of the object at `path` with one more key. */
export function addKeyAt(root: Json, path: JsonPath, key: string, value: Json): Json {
  const target = path.reduce<Json | undefined>(
    (node, k) => (node !== null && typeof node === 'object' ? (node as Record<string, Json>)[k] : undefined),
    root,
  )
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return root
  const copy: Record<string, Json> = {}
  for (const [k, v] of Object.entries(target)) defineKey(copy, k, v)
  defineKey(copy, key, value)
  return setAt(root, path, copy) ?? root
}
