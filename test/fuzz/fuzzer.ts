/**
 * A property-based fuzzer driven by the OpenAPI document (issue #5).
 *
 * For every operation of openapi/openapi.json (read at run time) it derives
 * fast-check arbitraries from the JSON Schemas of the parameters and the
 * request body, and sends, to an app seeded with the Khan Shaykhun fixture,
 * requests that are valid as documented and requests mutated from them: wrong
 * types, missing and extra properties, huge, empty and unicode strings, odd
 * numbers, bad dates, malformed JSON, wrong content types, odd headers and
 * path ids. Every response is checked:
 *
 *  - never a 5xx, never a stack trace;
 *  - its status is documented for the operation (a 304 to a conditional GET is
 *    accepted and counted as a note: HTTP allows it whatever the document says);
 *  - its content type is documented for that status, and its body is valid
 *    against the documented schema (ajv, JSON Schema 2020-12, with formats);
 *  - every 4xx (and 5xx) is an RFC 9457 problem document
 *    (`application/problem+json` with `type`, `title` and `status`);
 *  - a request that the document itself says is invalid (judged by validating
 *    the request as sent against the documented parameter and body schemas,
 *    not by what the mutation meant to do) is answered with a 4xx.
 *
 * The server may be stricter than its document (a 4xx to a request the
 * document allows is fine: a date that is not a real day, an unknown id).
 *
 * Each case is generated from its own seed, derived from the run's seed and
 * the case's index, so one case can be replayed alone (`caseIndex`), on a
 * freshly seeded app.
 */
import type { Readable } from 'node:stream'
import fc from 'fast-check'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build } from '../helper.js'
import {
  type Domain,
  type Json,
  type JsonPath,
  SchemaArbitraries,
  addKeyAt,
  collectionOf,
  edgeNumber,
  edgeString,
  hugeString,
  jsonType,
  nodes,
  oddKey,
  setAt,
  toJsonText,
  wrongType,
} from './arbitraries.js'
import {
  type JsonSchema,
  type MediaType,
  type OpenApiDocument,
  type Operation,
  type Parameter,
  deref,
  documentedResponse,
  isJsonMedia,
  label,
  mediaType,
  operations,
  readDocument,
} from './openapi.js'
import { SchemaValidator } from './validator.js'

/** The fuzzed app has keys configured, so that the auth paths run; requests carry this admin token unless mutated. */
export const FUZZ_TOKEN = 'fuzz-admin-token'
const AUTHORIZATION = `Bearer ${FUZZ_TOKEN}`

// ---- requests ----

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: Json; contentType: string }
  | { kind: 'text'; text: string; contentType: string | null; /** The JSON the text was made from, if any. */ value?: Json }

export interface RequestParts {
  /** Path parameters, already percent-encoded. */
  path: Record<string, string>
  /** Query pairs, as values (encoded when the URL is built). */
  query: Array<[string, string]>
  /** Appended to the query string as it is: malformed encodings. */
  rawQuery: string
  headers: Record<string, string | string[]>
  body: Body
}

export interface FuzzRequest {
  method: string
  /** As the server receives it: after WHATWG URL normalisation. */
  url: string
  headers: Record<string, string | string[]>
  /** The body exactly as sent; undefined when none. */
  payload: string | undefined
}

export interface FuzzCase {
  mutation: string
  parts: RequestParts
}

/** A request as sent, with the document's verdict on it. */
export interface JudgedRequest extends FuzzRequest {
  /** Why the document says the request is invalid; empty when it is valid. */
  invalid: string[]
}

const BASE = 'http://localhost'

/** encodeURIComponent, with lone surrogates (which it cannot encode) as U+FFFD. */
export function encode(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'))
}

function buildUrl(op: Operation, parts: RequestParts): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => parts.path[name] ?? '')
  const pairs = parts.query.map(([k, v]) => `${encode(k)}=${encode(v)}`)
  const search = [...pairs, ...(parts.rawQuery ? [parts.rawQuery] : [])].join('&')
  const url = new URL(search ? `${path}?${search}` : path, BASE)
  return url.pathname + url.search
}

export function toRequest(op: Operation, parts: RequestParts): FuzzRequest {
  const headers: Record<string, string | string[]> = { ...parts.headers }
  let payload: string | undefined
  const { body } = parts
  if (body.kind === 'json') {
    headers['content-type'] = body.contentType
    payload = toJsonText(body.value)
  } else if (body.kind === 'text') {
    if (body.contentType !== null) headers['content-type'] = body.contentType
    payload = body.text
  }
  return { method: op.method, url: buildUrl(op, parts), headers, payload }
}

// ---- the plan of one operation: schemas and arbitraries ----

export interface Plan {
  op: Operation
  pathSchema: JsonSchema
  querySchema: JsonSchema
  headerSchema: JsonSchema
  headerNames: string[]
  queryNames: string[]
  /** The documented media types of the body (lower case), with their schemas. */
  body?: { required: boolean; media: Record<string, JsonSchema | undefined> }
  streams: boolean
  arbitrary: fc.Arbitrary<FuzzCase>
}

function parameterSchema(doc: OpenApiDocument, params: Parameter[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  for (const p of params) properties[p.name] = p.schema ? deref(doc, p.schema) : {}
  return { type: 'object', properties, required: params.filter((p) => p.required).map((p) => p.name) }
}

function paramText(value: Json): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** Header values must be legal on the wire: no control characters. */
function headerSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '').replace(/[^\u0000-\u00ff]/g, '?')
}

/** A path segment that the URL parser keeps as it is (no `.`/`..` folding, no route change). */
function stableSegment(encoded: string): boolean {
  if (encoded === '') return false
  try {
    return new URL(`/x/${encoded}/y`, BASE).pathname === `/x/${encoded}/y`
  } catch {
    return false
  }
}

const RAW_SEGMENTS = [
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%C0%AF',
  '%00',
  '%2F',
  'a%2Fb',
  '%25',
  '%20',
  '%0A',
  'x'.repeat(201),
  'x'.repeat(5000),
  'KHAN-SHAYKHUN',
  'sohr%20',
]

const ACCEPTS = [
  'application/json',
  'text/csv',
  'application/x-ndjson',
  '*/*',
  'application/*',
  'text/*',
  'text/html',
  'application/xml',
  'image/svg+xml',
  'application/problem+json',
  'text/event-stream',
  'application/json;q=0',
  '*/*;q=0',
  'text/csv;q=0.5, application/x-ndjson',
  'application/json; q=abc',
  'garbage',
  '',
  ';;;,,,',
  'text/csv, */*;q=0.1',
]

const CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=fuzz',
  'application/xml',
  'text/csv',
  'application/x-ndjson',
  'application/json; charset=utf-16',
  'application/json; charset=iso-8859-1',
  'APPLICATION/JSON',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/problem+json',
  'application/octet-stream',
  'image/png',
  'application',
  '*/*',
  '',
  'garbage',
]

const MALFORMED = [
  '',
  ' ',
  'null',
  '{',
  '}',
  '{"a":}',
  '{"a":1,}',
  "{'a': 1}",
  '{a: 1}',
  'NaN',
  'undefined',
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '// comment\n{}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '"\\ud800"',
  '[1,2',
  '\u0000',
]

const HEADER_NAME = fc
  .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 20 })
  .map((name) => `x-${name}`)

/** JSON nested deeper than any body of the API, and deeper than a recursive walk's stack. */
const DEEP = [
  '['.repeat(1000) + ']'.repeat(1000),
  '['.repeat(50_000) + ']'.repeat(50_000),
  `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
]

export interface Context {
  doc: OpenApiDocument
  domain: Domain
  validator: SchemaValidator
  arbitraries: SchemaArbitraries
  /** Request bodies to start from: the fixture's records (each operation keeps those valid against its body schema). */
  records: Json[]
}

/** Fixture records and the document's own examples that are valid against `schema`, to start bodies from. */
function bodyCandidates(ctx: Context, op: Operation, schema: JsonSchema): Json[] {
  const resolved = deref(ctx.doc, schema)
  const media = op.requestBody?.content['application/json']
  const examples: Json[] = [
    ...(media?.example !== undefined ? [media.example as Json] : []),
    ...Object.values(media?.examples ?? {}).map((e) => e.value as Json),
    ...(resolved.example !== undefined ? [resolved.example as Json] : []),
    ...((resolved.examples ?? []) as Json[]),
  ]
  const valid = (value: Json) => ctx.validator.check(schema, value).length === 0
  if (resolved.type === 'array' && resolved.items) {
    const rows = ctx.records.filter((r) => ctx.validator.check(resolved.items as JsonSchema, r).length === 0)
    const batches: Json[] = []
    for (let i = 0; i < rows.length; i++) batches.push(rows.slice(i, i + 1 + (i % 3)))
    return [...examples, ...batches].filter(valid)
  }
  return [...examples, ...ctx.records].filter(valid)
}

export function planFor(ctx: Context, op: Operation): Plan {
  const { doc, arbitraries } = ctx
  const collection = collectionOf(op.path)
  const byIn = (where: Parameter['in']) => op.parameters.filter((p) => p.in === where)
  const pathParams = byIn('path')
  const queryParams = byIn('query')
  const headerParams = byIn('header')
  const jsonBody = op.requestBody?.content['application/json']?.schema
  const streams = Object.values(op.responses).some((r) => Object.keys(r.content ?? {}).includes('text/event-stream'))
  const successMedia = Object.keys(op.responses['200']?.content ?? {})

  const paramArb = (p: Parameter) => arbitraries.valid(p.schema ?? {}, p.name, collection).map(paramText)
  const pathArb = fc.record(
    Object.fromEntries(pathParams.map((p) => [p.name, paramArb(p).map(encode).filter(stableSegment)])),
  ) as fc.Arbitrary<Record<string, string>>
  const queryArb = fc
    .tuple(
      ...queryParams.map((p) =>
        p.required ? paramArb(p).map((v) => [v]) : fc.option(paramArb(p), { freq: 3 }).map((v) => (v === null ? [] : [v])),
      ),
    )
    .map((values) => queryParams.flatMap((p, i) => (values[i] ?? []).map((v): [string, string] => [p.name, v])))
  const headerArb = fc
    .tuple(
      ...headerParams.map((p) =>
        p.required ? paramArb(p).map((v) => [v]) : fc.option(paramArb(p), { freq: 3 }).map((v) => (v === null ? [] : [v])),
      ),
      successMedia.length > 1 ? fc.option(fc.constantFrom(...successMedia), { freq: 2 }) : fc.constant(null),
    )
    .map((values) => {
      const headers: Record<string, string> = { authorization: AUTHORIZATION }
      headerParams.forEach((p, i) => {
        const v = values[i]
        if (Array.isArray(v) && typeof v[0] === 'string') headers[p.name] = headerSafe(v[0])
      })
      const accept = values[headerParams.length]
      if (typeof accept === 'string') headers.accept = accept
      return headers
    })

  let bodyArb: fc.Arbitrary<Body> = fc.constant({ kind: 'none' })
  if (jsonBody) {
    const fromSchema = arbitraries.valid(jsonBody)
    const candidates = bodyCandidates(ctx, op, jsonBody)
    const resolved = deref(doc, jsonBody)
    const props = resolved.properties ?? {}
    // A fixture record with a few fields redrawn from their schemas (a fresh id, another figure…).
    const fromRecord =
      candidates.length === 0
        ? fromSchema
        : fc.constantFrom(...candidates).chain((record) => {
            const keys = Object.keys(props)
            if (keys.length === 0 || record === null || typeof record !== 'object' || Array.isArray(record)) return fc.constant(record)
            return fc.subarray(keys, { maxLength: Math.min(2, keys.length) }).chain((redraw) =>
              fc.tuple(...redraw.map((k) => fc.option(arbitraries.valid(props[k] ?? {}, k, collection), { freq: 4 }))).map((values) => {
                const redrawn = new Map(redraw.map((k, i) => [k, values[i]]))
                const kept = Object.entries(record).filter(([k]) => !redrawn.has(k))
                const fresh = [...redrawn].filter((e): e is [string, Json] => e[1] !== null && e[1] !== undefined)
                return Object.fromEntries([...kept, ...fresh]) as Json
              }),
            )
          })
    // Where NDJSON is documented too, an array body is sometimes sent as NDJSON: one item per line.
    const ndjson = op.requestBody?.content['application/x-ndjson'] !== undefined
    bodyArb = fc
      .tuple(fc.oneof({ weight: 3, arbitrary: fromRecord }, { weight: 2, arbitrary: fromSchema }), fc.boolean())
      .map(([value, asLines]): Body =>
        ndjson && asLines && Array.isArray(value)
          ? { kind: 'text', text: value.map((row) => `${toJsonText(row)}\n`).join(''), contentType: 'application/x-ndjson', value }
          : { kind: 'json', value, contentType: 'application/json' },
      )
  }

  const validParts: fc.Arbitrary<RequestParts> = fc
    .record({ path: pathArb, query: queryArb, headers: headerArb, body: bodyArb })
    .map((p) => ({ ...p, rawQuery: '' }))

  const mutations = mutationsFor(pathParams, queryParams, Boolean(jsonBody))
  // The mutation is drawn first, and only its arbitrary is built.
  const mutated = validParts.chain((parts) =>
    fc.integer({ min: 0, max: mutations.length - 1 }).chain((i) => (mutations[i] as Mutation)(parts)),
  )
  const arbitrary = fc.oneof(
    { weight: 7, arbitrary: validParts.map((parts): FuzzCase => ({ mutation: 'valid', parts })) },
    { weight: 13, arbitrary: mutated },
  )

  const rb = op.requestBody
  return {
    op,
    pathSchema: parameterSchema(doc, pathParams),
    querySchema: parameterSchema(doc, queryParams),
    headerSchema: parameterSchema(doc, headerParams),
    headerNames: headerParams.map((p) => p.name),
    queryNames: queryParams.map((p) => p.name),
    ...(rb
      ? {
          body: {
            required: rb.required === true,
            media: Object.fromEntries(Object.entries(rb.content).map(([m, c]) => [m.toLowerCase(), c.schema])),
          },
        }
      : {}),
    streams,
    arbitrary,
  }
}

// ---- mutations ----

type Mutation = (parts: RequestParts) => fc.Arbitrary<FuzzCase>

function withBody(parts: RequestParts, body: Body): RequestParts {
  return { ...parts, body }
}

function jsonBodyOf(parts: RequestParts): Json | undefined {
  return parts.body.kind === 'none' ? undefined : parts.body.value
}

function mutatedJson(name: string, parts: RequestParts, change: (value: Json) => fc.Arbitrary<Json>): fc.Arbitrary<FuzzCase> {
  const value = jsonBodyOf(parts) ?? {}
  return change(value).map((next) => ({
    mutation: name,
    parts: withBody(parts, { kind: 'json', value: next, contentType: 'application/json' }),
  }))
}

/** A node of the body, chosen at random (the root included). */
function someNode(value: Json, filter: (node: Json) => boolean = () => true): fc.Arbitrary<{ path: JsonPath; value: Json }> {
  const all = nodes(value).filter((n) => filter(n.value))
  return all.length === 0 ? fc.constant({ path: [], value }) : fc.constantFrom(...all)
}

function isObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function mutationsFor(pathParams: Parameter[], queryParams: Parameter[], hasBody: boolean): Mutation[] {
  const out: Mutation[] = []
  if (hasBody) {
    out.push(
      (parts) =>
        mutatedJson('body:wrong-type', parts, (value) =>
          someNode(value).chain((node) => wrongType(node.value).map((w) => setAt(value, node.path, w) ?? null)),
        ),
      (parts) =>
        mutatedJson('body:drop-property', parts, (value) =>
          someNode(value, (n) => isObject(n) && Object.keys(n).length > 0).chain((node) => {
            const keys = isObject(node.value) ? Object.keys(node.value) : []
            return keys.length === 0
              ? fc.constant(value)
              : fc.constantFrom(...keys).map((k) => setAt(value, [...node.path, k], undefined) ?? null)
          }),
        ),
      (parts) =>
        mutatedJson('body:extra-property', parts, (value) =>
          someNode(value, isObject).chain((node) =>
            fc.tuple(oddKey(), fc.jsonValue({ maxDepth: 2 })).map(([key, extra]) => addKeyAt(value, node.path, key, extra as Json)),
          ),
        ),
      (parts) =>
        mutatedJson('body:edge-string', parts, (value) =>
          someNode(value, (n) => jsonType(n) !== 'object' && jsonType(n) !== 'array').chain((node) =>
            edgeString().map((s) => setAt(value, node.path, s) ?? null),
          ),
        ),
      (parts) =>
        mutatedJson('body:edge-number', parts, (value) =>
          someNode(value, (n) => jsonType(n) !== 'object' && jsonType(n) !== 'array').chain((node) =>
            edgeNumber().map((n) => setAt(value, node.path, n) ?? null),
          ),
        ),
      (parts) =>
        fc.constantFrom<Json>(null, true, 0, -1, 'x', '', [], [null], [{}], {}, [[]]).map((value) => ({
          mutation: 'body:not-an-object',
          parts: withBody(parts, { kind: 'json', value, contentType: 'application/json' }),
        })),
      (parts) => {
        const text = toJsonText(jsonBodyOf(parts) ?? {})
        return fc
          .oneof(
            fc.constantFrom(...MALFORMED),
            fc.nat({ max: Math.max(0, text.length - 1) }).map((n) => text.slice(0, n)),
            fc.constantFrom(`\ufeff${text}`, `${text},`, `${text}]`, ` \n\t${text}\n `, text.replace(/"/g, "'"), text.replace(/:/, ': ,')),
            fc.constantFrom(...DEEP),
          )
          .map((t) => ({
            mutation: 'body:malformed-json',
            parts: withBody(parts, { kind: 'text', text: t, contentType: 'application/json' }),
          }))
      },
      (parts) => {
        const text = toJsonText(jsonBodyOf(parts) ?? {})
        return fc
          .tuple(
            fc.constantFrom(...CONTENT_TYPES),
            fc.constantFrom(text, 'a=1&b=2', '<a>1</a>', 'kind,source_id\nfigure,sohr\n', '{"a":1}\n{"b":2}\n'),
          )
          .map(([contentType, t]) => ({ mutation: 'body:content-type', parts: withBody(parts, { kind: 'text', text: t, contentType }) }))
      },
      (parts) =>
        fc
          .constantFrom<Body>(
            { kind: 'none' },
            { kind: 'text', text: '', contentType: 'application/json' },
            { kind: 'text', text: '', contentType: null },
          )
          .map((body) => ({ mutation: 'body:missing', parts: withBody(parts, body) })),
      (parts) =>
        mutatedJson('body:huge', parts, (value) =>
          fc.constantFrom('string', 'rows').map((how) => {
            const big = 'a'.repeat(1_100_000)
            if (how === 'rows')
              return Array.isArray(value)
                ? Array.from({ length: 50_001 }, () => value[0] ?? {})
                : { ...(isObject(value) ? value : {}), rows: Array.from({ length: 100_000 }, () => 0) }
            const target = nodes(value).find((n) => typeof n.value === 'string')
            return target ? (setAt(value, target.path, big) ?? null) : isObject(value) ? { ...value, note: big } : big
          }),
        ),
    )
  }
  if (pathParams.length > 0) {
    out.push((parts) =>
      fc
        .tuple(
          fc.constantFrom(...pathParams.map((p) => p.name)),
          fc.oneof(
            fc.constantFrom(...RAW_SEGMENTS),
            edgeString().map(encode),
            fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encode),
          ),
        )
        .filter(([, segment]) => stableSegment(segment))
        .map(([name, segment]) => ({ mutation: 'path:odd', parts: { ...parts, path: { ...parts.path, [name]: segment } } })),
    )
  }
  if (queryParams.length > 0) {
    const names = queryParams.map((p) => p.name)
    out.push(
      (parts) =>
        fc
          .tuple(
            fc.constantFrom(...names),
            fc.oneof(
              edgeString(),
              fc.constantFrom('abc', '-1', '0', '1001', '1.5', '1e3', ' 5', '5 ', '0x10', '+5', 'Infinity', '', 'TRUE', 'yes'),
              hugeString(),
            ),
          )
          .map(([name, value]) => ({
            mutation: 'query:invalid',
            parts: { ...parts, query: [...parts.query.filter(([k]) => k !== name), [name, value] as [string, string]] },
          })),
      (parts) =>
        fc.tuple(fc.constantFrom(...names), fc.constantFrom('1', 'x', 'json')).map(([name, value]) => ({
          mutation: 'query:repeated',
          parts: { ...parts, query: [...parts.query, [name, value] as [string, string], [name, value] as [string, string]] },
        })),
    )
    if (queryParams.some((p) => p.required)) {
      out.push((parts) =>
        fc.constantFrom(...queryParams.filter((p) => p.required).map((p) => p.name)).map((name) => ({
          mutation: 'query:drop-required',
          parts: { ...parts, query: parts.query.filter(([k]) => k !== name) },
        })),
      )
    }
  }
  out.push(
    (parts) =>
      fc.tuple(oddKey(), fc.oneof(edgeString(), fc.constant('1'))).map(([name, value]) => ({
        mutation: 'query:unknown',
        parts: { ...parts, query: [...parts.query, [name, value] as [string, string]] },
      })),
    (parts) =>
      fc
        .constantFrom(
          'limit=%ZZ',
          '%ZZ=1',
          '&&&',
          '=x',
          'a[b]=c',
          'limit[]=1',
          'format=json&format=csv',
          'cursor=%00',
          '__proto__=1',
          'constructor[prototype]=1',
        )
        .map((rawQuery) => ({ mutation: 'query:encoding', parts: { ...parts, rawQuery } })),
    (parts) =>
      fc
        .constantFrom(...ACCEPTS)
        .map((accept) => ({ mutation: 'header:accept', parts: { ...parts, headers: { ...parts.headers, accept } } })),
    (parts) =>
      fc
        .oneof(
          fc.constantFrom<[string, string | string[] | null]>(
            ['authorization', null],
            ['authorization', ''],
            ['authorization', 'Bearer'],
            ['authorization', 'Bearer wrong-token'],
            ['authorization', `bearer ${FUZZ_TOKEN}`],
            ['authorization', `Bearer ${FUZZ_TOKEN} extra`],
            ['authorization', 'Basic Zm9vOmJhcg=='],
            ['authorization', `Bearer ${'x'.repeat(5000)}`],
            ['if-none-match', '*'],
            ['if-none-match', 'W/"nope"'],
            ['if-none-match', 'garbage'],
            ['if-none-match', ',,,'],
            ['if-modified-since', 'yesterday'],
            ['idempotency-key', ''],
            ['idempotency-key', 'x'.repeat(256)],
            ['idempotency-key', 'caf\u00e9'],
            ['idempotency-key', 'key with spaces'],
            ['idempotency-key', ['a', 'b']],
            ['last-event-id', 'abc'],
            ['last-event-id', '-1'],
            ['last-event-id', '99999999999999999999'],
            ['content-length', '5'],
            ['x-forwarded-for', 'not-an-ip, ::1, 999.1.1.1'],
            ['host', ''],
            ['accept-encoding', 'gzip;q=abc, br'],
            ['accept-language', '*;q=2'],
          ),
          fc.tuple(HEADER_NAME, edgeString().map(headerSafe)),
        )
        .map(([name, value]) => {
          const headers = Object.fromEntries(Object.entries(parts.headers).filter(([k]) => k !== name))
          if (value !== null) headers[name] = value
          return { mutation: 'header:odd', parts: { ...parts, headers } }
        }),
  )
  return out
}

// ---- the document's verdict on a request ----

function tryDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

function stripBom(text: string): string {
  // RFC 8259 §8.1: a parser MAY ignore a byte order mark.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

export function judge(ctx: Context, plan: Plan, parts: RequestParts, request: FuzzRequest): string[] {
  const reasons: string[] = []
  const { validator } = ctx
  const pathValues: Record<string, unknown> = {}
  for (const [name, encoded] of Object.entries(parts.path)) {
    const decoded = tryDecode(encoded)
    if (decoded === undefined) reasons.push(`path ${name}: not percent-decodable`)
    else pathValues[name] = decoded
  }
  reasons.push(...validator.checkParameters(plan.pathSchema, pathValues).map((e) => `path ${e}`))

  const search = new URLSearchParams(request.url.split('?')[1] ?? '')
  const query: Record<string, unknown> = {}
  for (const name of plan.queryNames) {
    const values = search.getAll(name)
    if (values.length === 1) query[name] = values[0]
    else if (values.length > 1) query[name] = values
  }
  reasons.push(...validator.checkParameters(plan.querySchema, query).map((e) => `query ${e}`))

  const headers: Record<string, unknown> = {}
  for (const name of plan.headerNames) {
    // A header sent twice is one field whose value is the two joined with ", " (RFC 9110 §5.3).
    const value = request.headers[name]
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }
  reasons.push(...validator.checkParameters(plan.headerSchema, headers).map((e) => `header ${e}`))

  if (plan.body) {
    const contentType = request.headers['content-type']
    if (request.payload === undefined || (request.payload === '' && contentType === undefined)) {
      if (plan.body.required) reasons.push('body: required, none sent')
    } else {
      const media = mediaType(typeof contentType === 'string' ? contentType : undefined)
      const schema = plan.body.media[media]
      let parsed: unknown
      if (!(media in plan.body.media)) reasons.push(`body: content type "${String(contentType)}" is not documented`)
      else if (isJsonMedia(media)) {
        try {
          parsed = JSON.parse(stripBom(request.payload))
        } catch {
          reasons.push('body: not JSON')
        }
      } else if (media === 'application/x-ndjson') {
        // One JSON value per line, read as the array the schema describes.
        try {
          parsed = request.payload
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line) as unknown)
        } catch {
          reasons.push('body: a line is not JSON')
        }
      }
      if (parsed !== undefined && schema) reasons.push(...validator.check(schema, parsed).map((e) => `body ${e}`))
    }
  }
  return reasons
}

// ---- checking a response ----

export type FailureKind =
  | 'server-error'
  | 'stack-trace'
  | 'undocumented-status'
  | 'undocumented-content-type'
  | 'schema-mismatch'
  | 'not-a-problem-document'
  | 'invalid-accepted'
  | 'harness'

export interface Observed {
  status: number
  contentType: string | undefined
  body: string
  /** Response headers, names in lower case. */
  headers?: Record<string, string | string[] | number | undefined>
}

export interface Finding {
  kind: FailureKind
  message: string
}

/** A stack frame, raw or escaped inside a JSON string, a `stack` member, or a Node internal path. */
const STACK = /(?:\n|\\n)\s*at [^\n"]*:\d+:\d+|"stack"\s*:|node:internal\//

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/**
 * NDJSON is "one JSON item per line": each line must be JSON and, where the same
 * response documents a JSON page (`{ items: [...] }`), valid as one of its items.
 */
function checkNdjson(ctx: Context, content: Record<string, MediaType>, status: number, body: string): Finding[] {
  const page = content['application/json']?.schema
  const resolved = page ? deref(ctx.doc, page) : undefined
  const item = resolved?.properties?.items?.items
  const lines = body.split('\n').filter((line) => line.trim() !== '')
  for (const [i, line] of lines.entries()) {
    const parsed = parseJson(line)
    if (!parsed.ok) return [{ kind: 'schema-mismatch', message: `${status} NDJSON: line ${i + 1} is not JSON` }]
    const errors = item ? ctx.validator.check(item, parsed.value) : []
    if (errors.length > 0)
      return [{ kind: 'schema-mismatch', message: `${status} NDJSON: line ${i + 1} is not an item of the JSON page: ${errors.join('; ')}` }]
  }
  return []
}

export function check(ctx: Context, plan: Plan, request: JudgedRequest, res: Observed): { findings: Finding[]; notes: string[] } {
  const findings: Finding[] = []
  const notes: string[] = []
  const { status } = res
  const media = mediaType(res.contentType)
  if (status >= 500) findings.push({ kind: 'server-error', message: `answered ${status}` })
  if (status >= 400 && STACK.test(res.body)) findings.push({ kind: 'stack-trace', message: 'the body shows a stack trace' })
  if (request.invalid.length > 0 && status < 400) {
    findings.push({
      kind: 'invalid-accepted',
      message: `answered ${status} to a request the document says is invalid: ${request.invalid.join('; ')}`,
    })
  }
  if (status >= 400) {
    const parsed = parseJson(res.body)
    const problem = parsed.ok ? (parsed.value as Record<string, unknown> | null) : null
    const missing: string[] = []
    if (media !== 'application/problem+json') missing.push(`content type is "${res.contentType ?? '(none)'}"`)
    if (!problem || typeof problem !== 'object') missing.push('the body is not a JSON object')
    else {
      if (typeof problem.type !== 'string') missing.push('no string "type"')
      if (typeof problem.title !== 'string') missing.push('no string "title"')
      if (problem.status !== status) missing.push(`"status" is ${JSON.stringify(problem.status)}`)
    }
    if (missing.length > 0) findings.push({ kind: 'not-a-problem-document', message: `${status}: ${missing.join('; ')}` })
  }

  const documented = documentedResponse(plan.op, status)
  if (documented === undefined) {
    if (status === 304 && request.headers['if-none-match'] !== undefined && plan.op.method === 'GET') {
      notes.push('304 to a conditional GET (not in the document)')
    } else {
      findings.push({
        kind: 'undocumented-status',
        message: `${status} is not documented (documented: ${Object.keys(plan.op.responses).join(', ')})`,
      })
    }
    return { findings, notes }
  }
  for (const [name, raw] of Object.entries(documented.headers ?? {})) {
    const header = deref(ctx.doc, raw)
    const value = res.headers?.[name.toLowerCase()]
    if (value === undefined) {
      if (header.required) findings.push({ kind: 'schema-mismatch', message: `${status}: the required header ${name} is missing` })
    } else if (header.schema) {
      const errors = ctx.validator.checkParameters(
        { type: 'object', properties: { [name]: header.schema } },
        { [name]: typeof value === 'number' ? String(value) : value },
      )
      if (errors.length > 0) findings.push({ kind: 'schema-mismatch', message: `${status} header ${name}: ${errors.join('; ')}` })
    }
  }
  const content = documented.content ?? {}
  const mediaTypes = Object.keys(content)
  if (mediaTypes.length === 0) {
    if (res.body !== '')
      findings.push({ kind: 'undocumented-content-type', message: `${status} documents no body, got ${res.contentType ?? '(none)'}` })
    return { findings, notes }
  }
  const entry = Object.entries(content).find(([m]) => m.toLowerCase() === media)
  if (entry === undefined) {
    findings.push({
      kind: 'undocumented-content-type',
      message: `${status} answered "${res.contentType ?? '(none)'}"; documented: ${mediaTypes.join(', ')}`,
    })
    return { findings, notes }
  }
  const schema = entry[1].schema
  if (schema === undefined) return { findings, notes }
  let value: unknown = res.body
  if (isJsonMedia(media)) {
    const parsed = parseJson(res.body)
    if (!parsed.ok) {
      findings.push({ kind: 'schema-mismatch', message: `${status} ${media}: the body is not JSON` })
      return { findings, notes }
    }
    value = parsed.value
  } else if (media === 'application/x-ndjson') {
    findings.push(...checkNdjson(ctx, content, status, res.body))
  }
  const errors = ctx.validator.check(schema, value)
  if (errors.length > 0) findings.push({ kind: 'schema-mismatch', message: `${status} ${media}: ${errors.join('; ')}` })
  return { findings, notes }
}

// ---- the seeded app ----

export interface Teardowns {
  teardown(fn: () => unknown): void
}

/**
 * A fresh app on an in-memory database with API keys configured and the Khan
 * Shaykhun fixture loaded through the API; the domain is read back from its
 * lists (ids, aliases, cursors), so it follows whatever lists the document has.
 */
export async function seededApp(t: Teardowns, doc: OpenApiDocument): Promise<{ app: FastifyInstance; domain: Domain }> {
  const app = await build(t, { apiKeys: `${FUZZ_TOKEN}:read+write+admin` })
  await loadFixture(app, readFixture(), { authorization: AUTHORIZATION })
  const domain: Domain = { ids: {}, aliases: {}, cursors: [], positions: ['0', '1', '3', '999999'] }
  for (const op of operations(doc)) {
    if (op.method !== 'GET' || op.path.includes('{') || op.path === '/') continue
    const collection = collectionOf(op.path)
    const usesAfter = op.parameters.some((p) => p.name === 'after' && p.in === 'query')
    const res = await app.inject({ method: 'GET', url: `${op.path}?limit=3`, headers: { accept: 'application/json' } })
    if (res.statusCode !== 200 || mediaType(res.headers['content-type']?.toString()) !== 'application/json') continue
    const parsed = parseJson(res.body)
    const page = parsed.ok ? (parsed.value as { items?: unknown; next_cursor?: unknown }) : {}
    if (!Array.isArray(page.items)) continue
    if (typeof page.next_cursor === 'string') (usesAfter ? domain.positions : domain.cursors).push(page.next_cursor)
    if (usesAfter) continue
    const all = await app.inject({ method: 'GET', url: `${op.path}?limit=100` })
    const items =
      (parseJson(all.body) as { ok: boolean; value?: { items?: Array<{ id?: unknown; aliases?: unknown }> } }).value?.items ?? []
    domain.ids[collection] = items.map((i) => i.id).filter((id): id is string => typeof id === 'string')
    domain.aliases[collection] = items.flatMap((i) =>
      Array.isArray(i.aliases) ? i.aliases.filter((a): a is string => typeof a === 'string') : [],
    )
  }
  return { app, domain }
}

// ---- running ----

export interface FuzzOptions {
  seed: number
  /** Cases in all, spread evenly over the operations. */
  runs: number
  /** Only the operations whose operationId or `METHOD /path` contains one of these. */
  only?: string[]
  /** Run this one case (by index) and nothing else. */
  caseIndex?: number
  document?: URL
  /** Called after each case (progress reports). */
  onCase?: (done: number, total: number) => void
}

export interface Failure extends Finding {
  index: number
  caseSeed: number
  operation: string
  mutation: string
  request: JudgedRequest
  response: Observed
}

export interface OperationStats {
  cases: number
  documentValid: number
  statuses: Record<string, number>
  mutations: Record<string, number>
}

export interface FuzzReport {
  seed: number
  only: string[] | undefined
  runs: number
  durationMs: number
  operations: Record<string, OperationStats>
  statuses: Record<string, number>
  failures: Failure[]
  notes: Record<string, number>
  /**
   * Requests valid as documented that were answered 400, by operation: where the
   * server is stricter than its document (fine, but worth knowing), with the
   * fields its problem document named.
   */
  stricter: Record<string, { count: number; fields: Record<string, number> }>
}

/** The seed of case `index`: a 32-bit mix of the run's seed and the index. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) | 0
}

/** What a stream sends until it ends, pauses for `idleMs` after its first bytes, or `maxMs` have passed. */
async function readSome(stream: Readable, maxMs: number, idleMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = ''
    let idle: NodeJS.Timeout | undefined
    const finish = () => {
      clearTimeout(timer)
      clearTimeout(idle)
      stream.removeListener('data', onData)
      resolve(text)
    }
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString()
      clearTimeout(idle)
      idle = setTimeout(finish, idleMs)
    }
    const timer = setTimeout(finish, maxMs)
    stream.on('data', onData)
    stream.once('end', finish)
    stream.once('error', finish)
  })
}

async function send(app: FastifyInstance, plan: Plan, request: FuzzRequest): Promise<Observed> {
  const base = {
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    ...(request.payload !== undefined ? { payload: request.payload } : {}),
  }
  if (!plan.streams) {
    const res: LightMyRequestResponse = await app.inject(base)
    return { status: res.statusCode, contentType: res.headers['content-type']?.toString(), body: res.body, headers: res.headers }
  }
  // An endless stream: take what comes within a moment, then hang up (the server ends its side).
  const res = await app.inject({ ...base, payloadAsStream: true })
  const stream = res.stream()
  const body = await readSome(stream, 200, 5)
  res.raw.res.destroy()
  stream.destroy()
  return { status: res.statusCode, contentType: res.headers['content-type']?.toString(), body, headers: res.headers }
}

export function selectOperations(doc: OpenApiDocument, only: string[] | undefined): Operation[] {
  const all = operations(doc)
  if (!only || only.length === 0) return all
  return all.filter((op) => only.some((o) => op.operationId === o || label(op).includes(o)))
}

/** What generating and judging requests needs: the document, its validator, and what the seeded app holds. */
export function makeContext(doc: OpenApiDocument, domain: Domain): Context {
  const fixture = readFixture()
  // Request bodies to start from: the fixture's records as they are, without their ids, claims with their event.
  const records: Json[] = [
    ...(fixture.actors as Json[]),
    ...(fixture.sources as Json[]),
    fixture.event as Json,
    ...(fixture.claims as Json[]),
    ...(fixture.claims as Array<Record<string, Json>>).map((c) => ({ ...c, event_id: fixture.event.id })),
    ...[...fixture.actors, ...fixture.sources, fixture.event].map(
      (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'id')) as Json,
    ),
    { reason: 'Duplicate of another record.' },
  ]
  return { doc, domain, validator: new SchemaValidator(doc), arbitraries: new SchemaArbitraries(doc, domain), records }
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now()
  const doc = readDocument(options.document)
  const closers: Array<() => unknown> = []
  const { app, domain } = await seededApp({ teardown: (fn) => closers.push(fn) }, doc)
  try {
    const ctx = makeContext(doc, domain)
    const ops = selectOperations(doc, options.only)
    if (ops.length === 0) throw new Error(`No operation matches ${JSON.stringify(options.only)}`)
    const plans = ops.map((op) => planFor(ctx, op))
    const report: FuzzReport = {
      seed: options.seed,
      only: options.only,
      runs: 0,
      durationMs: 0,
      operations: {},
      statuses: {},
      failures: [],
      notes: {},
      stricter: {},
    }
    for (const op of ops) report.operations[label(op)] = { cases: 0, documentValid: 0, statuses: {}, mutations: {} }

    const indices = options.caseIndex !== undefined ? [options.caseIndex] : Array.from({ length: options.runs }, (_, i) => i)
    for (const index of indices) {
      const plan = plans[index % plans.length] as Plan
      const seed = caseSeed(options.seed, index)
      const [fuzzCase] = fc.sample(plan.arbitrary, { seed, numRuns: 1 })
      if (fuzzCase === undefined) continue
      const sent = toRequest(plan.op, fuzzCase.parts)
      const request: JudgedRequest = { ...sent, invalid: judge(ctx, plan, fuzzCase.parts, sent) }
      const name = label(plan.op)
      const stats = report.operations[name] as OperationStats
      stats.cases++
      if (request.invalid.length === 0) stats.documentValid++
      stats.mutations[fuzzCase.mutation] = (stats.mutations[fuzzCase.mutation] ?? 0) + 1
      report.runs++
      let observed: Observed
      let findings: Finding[]
      try {
        observed = await send(app, plan, request)
        const checked = check(ctx, plan, request, observed)
        findings = checked.findings
        for (const note of checked.notes) report.notes[note] = (report.notes[note] ?? 0) + 1
      } catch (err) {
        observed = { status: 0, contentType: undefined, body: '' }
        findings = [{ kind: 'harness', message: `the request could not be made: ${err instanceof Error ? err.message : String(err)}` }]
      }
      const status = String(observed.status)
      if (observed.status === 400 && request.invalid.length === 0 && !hasUndocumentedQuery(plan, request))
        noteStricter(report, name, observed)
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1
      report.statuses[status] = (report.statuses[status] ?? 0) + 1
      for (const finding of findings) {
        report.failures.push({
          ...finding,
          index,
          caseSeed: seed,
          operation: name,
          mutation: fuzzCase.mutation,
          request,
          response: observed,
        })
      }
      options.onCase?.(report.runs, indices.length)
    }
    report.durationMs = Date.now() - started
    return report
  } finally {
    for (const close of closers.reverse()) await close()
  }
}

/** Query parameters the operation does not document: the document allows them, the server answers 400 (strict). */
function hasUndocumentedQuery(plan: Plan, request: FuzzRequest): boolean {
  return [...new URLSearchParams(request.url.split('?')[1] ?? '').keys()].some((name) => !plan.queryNames.includes(name))
}

function noteStricter(report: FuzzReport, operation: string, observed: Observed): void {
  const entry = (report.stricter[operation] ??= { count: 0, fields: {} })
  entry.count++
  const parsed = parseJson(observed.body)
  const errors = parsed.ok ? (parsed.value as { errors?: Array<{ path?: unknown; in?: unknown }> }).errors : undefined
  const fields =
    Array.isArray(errors) && errors.length > 0 ? errors.map((e) => `${String(e.in ?? '?')} ${String(e.path)}`) : ['(no errors array)']
  for (const field of new Set(fields)) entry.fields[field] = (entry.fields[field] ?? 0) + 1
}

// ---- reporting ----

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters in all)`
}

/** One failure, with what it takes to reproduce it. */
export function describeFailure(failure: Failure, report: Pick<FuzzReport, 'seed' | 'only'>): string {
  const { request, response } = failure
  const headers = Object.entries(request.headers)
    .map(([k, v]) => `    ${k}: ${clip(JSON.stringify(v), 300)}`)
    .join('\n')
  return [
    `✗ [${failure.kind}] ${failure.operation} (case ${failure.index}, mutation ${failure.mutation}): ${failure.message}`,
    `  request: ${request.method} ${clip(request.url, 500)}`,
    headers ? `  headers:\n${headers}` : '  headers: (none)',
    `  body: ${request.payload === undefined ? '(none)' : clip(JSON.stringify(request.payload), 1000)}`,
    request.invalid.length > 0 ? `  invalid as documented: ${request.invalid.join('; ')}` : '  valid as documented',
    `  response: ${response.status} ${response.contentType ?? ''} ${clip(JSON.stringify(response.body), 600)}`,
    `  replay: FUZZ_SEED=${report.seed} ${report.only ? `FUZZ_ONLY=${report.only.join(',')} ` : ''}FUZZ_CASE=${failure.index} npm run fuzz`,
  ].join('\n')
}

function counts(record: Record<string, number>): string {
  return Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}×${v}`)
    .join(' ')
}

export function formatReport(report: FuzzReport, maxFailures = 50): string {
  const lines: string[] = []
  lines.push(`seed ${report.seed}: ${report.runs} cases in ${(report.durationMs / 1000).toFixed(1)} s`)
  lines.push('')
  const width = Math.max(...Object.keys(report.operations).map((k) => k.length))
  for (const [name, stats] of Object.entries(report.operations)) {
    lines.push(
      `${name.padEnd(width)}  ${String(stats.cases).padStart(5)} cases (${stats.documentValid} valid as documented)  ${counts(stats.statuses)}`,
    )
  }
  lines.push('')
  lines.push(`statuses: ${counts(report.statuses)}`)
  const fives = Object.entries(report.statuses).filter(([s]) => s.startsWith('5'))
  lines.push(`5xx: ${fives.length === 0 ? 'none' : counts(Object.fromEntries(fives))}`)
  for (const [note, n] of Object.entries(report.notes)) lines.push(`note: ${note} ×${n}`)
  const stricter = Object.entries(report.stricter)
  if (stricter.length > 0) {
    lines.push('stricter than documented (400 to requests the document allows), by the fields named:')
    for (const [name, entry] of stricter) lines.push(`  ${name.padEnd(width)}  ${String(entry.count).padStart(4)}  ${counts(entry.fields)}`)
  }
  if (report.failures.length === 0) {
    lines.push('no failures')
    return lines.join('\n')
  }
  const groups = new Map<string, number>()
  for (const f of report.failures) {
    const key = `${f.kind} ${f.operation}`
    groups.set(key, (groups.get(key) ?? 0) + 1)
  }
  lines.push('')
  lines.push(`${report.failures.length} failures:`)
  for (const [key, n] of [...groups].sort((a, b) => b[1] - a[1])) lines.push(`  ${String(n).padStart(5)}  ${key}`)
  lines.push('')
  for (const failure of report.failures.slice(0, maxFailures)) lines.push(describeFailure(failure, report), '')
  if (report.failures.length > maxFailures) lines.push(`… ${report.failures.length - maxFailures} more (FUZZ_SHOW=all prints every one)`)
  return lines.join('\n')
}
