/** OpenAPI 3.1 at /openapi.json and Swagger UI at /docs (contract §0). */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import type { OpenAPIV3_1 } from 'openapi-types'
import { errors } from '../schemas/common.js'

/** The document's version is the package's (from src/ or dist/, package.json is two folders up). */
export const API_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

const description = `Reckon records each claim about a violent event — a casualty figure, or an attribution of blame or a denial —
with the source that made it, when, and through whom it was relayed. For every event it shows the range of figures,
whether they can be reconciled, how strongly the sources disagree, and who blames whom, as of any moment.

Errors are RFC 9457 problem documents (\`application/problem+json\`); validation failures list every bad field in
\`errors\` with a JSON Pointer. When the server has API keys configured, writes need \`Authorization: Bearer <token>\`
with a key that has the \`write\` scope, and the server may be set to require a key with the \`read\` scope for reads too.
Requests are rate-limited per API key: every response carries \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\` and
\`X-RateLimit-Reset\`, and a request over the limit is a \`429\` with \`Retry-After\`. A server under too much load answers
\`503\` with \`Retry-After\`.`

type Document = OpenAPIV3_1.Document
type Operation = OpenAPIV3_1.OperationObject
type Response = OpenAPIV3_1.ResponseObject
type Header = OpenAPIV3_1.HeaderObject
type HeaderRef = OpenAPIV3_1.ReferenceObject

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/**
 * The document's default: a key, or none (`{}`), since keys are optional.
 * Every operation states its own (securityFor), so this only speaks for
 * operations added without one. Scopes are named in the 401 responses:
 * OpenAPI 3.1 allows roles in a requirement, but tools read them as OAuth scopes.
 */
const DEFAULT_SECURITY: OpenAPIV3_1.SecurityRequirementObject[] = [{ bearerAuth: [] }, {}]

/** What a read asks for: nothing (Swagger UI draws no lock), or a key when the server requires one for reads. */
const NO_KEY: OpenAPIV3_1.SecurityRequirementObject[] = []
const READ_KEY: OpenAPIV3_1.SecurityRequirementObject[] = [{ bearerAuth: [] }]

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete'])

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 }

/** A header whose value is a count or a number of seconds. */
function countHeader(description: string): Header {
  return { description, schema: { type: 'integer', format: 'int64', minimum: 0, maximum: MAX_SAFE } }
}

/** Response headers every operation shares (components.headers). */
const HEADERS = {
  'X-RateLimit-Limit': countHeader('How many requests the caller may make in the current window.'),
  'X-RateLimit-Remaining': countHeader('How many of them are left.'),
  'X-RateLimit-Reset': countHeader('Seconds until the window starts again.'),
  'Retry-After': countHeader('Seconds to wait before trying again.'),
  'Access-Control-Allow-Origin': {
    description: "Sent only when the request's `Origin` is on the server's CORS allow-list: that origin.",
    schema: { type: 'string', maxLength: 2000 },
  },
  ETag: {
    description: 'A weak tag of this representation (contract §12), from revision numbers: send it back in `If-None-Match`.',
    schema: { type: 'string', maxLength: 64 },
  },
  'Cache-Control': { description: 'Check with `If-None-Match` before using a kept copy.', schema: { type: 'string', enum: ['no-cache'] } },
  'WWW-Authenticate': {
    description: 'The Bearer challenge (RFC 6750), with `error="invalid_token"` or `error="insufficient_scope"` when a key was sent.',
    schema: { type: 'string', maxLength: 200, pattern: '^Bearer ' },
  },
} satisfies Record<string, Header>

type HeaderName = keyof typeof HEADERS

function headerRef(name: HeaderName): HeaderRef {
  return { $ref: `#/components/headers/${name}` }
}

const RATE_LIMIT_HEADERS: HeaderName[] = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Access-Control-Allow-Origin']

/** The headers a response with this status carries (a 503 may come before the rate limiter has counted the request). */
function headersFor(status: string): HeaderName[] {
  if (status === '503') return ['Retry-After', 'Access-Control-Allow-Origin']
  const names = [...RATE_LIMIT_HEADERS]
  if (status === '401') names.push('WWW-Authenticate')
  if (status === '429') names.push('Retry-After')
  return names
}

function problem(description: string): Response {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } }
}

/** The 401 of an operation that declares none: writes need the write scope, reads the read scope in the optional mode. */
function unauthorized(method: string): Response {
  if (WRITE_METHODS.has(method)) return problem(errors[401].description)
  return problem('Only when the server requires keys for reads: a read without a valid key with the `read` scope.')
}

/**
 * What every operation can answer, whatever its route declares: 400 (a bad
 * parameter, or a token in the query string), 401 (keys), 429 (rate limit),
 * 500, 503 (under pressure), and the rate-limit and CORS headers.
 */
function addCommonResponses(operation: Operation, method: string): void {
  const responses = operation.responses ?? {}
  const has = (status: string) => status in responses
  // Every operation: a token in the query string is refused (plugins/auth), parameters or not.
  if (!has('400')) {
    responses['400'] = problem(
      (operation.parameters ?? []).length > 0
        ? errors[400].description
        : 'A query parameter that would carry an API key (`access_token`, `api_key`, `token`, `key`): keys go in the Authorization header.',
    )
  }
  if (!has('401')) responses['401'] = unauthorized(method)
  for (const status of ['429', '500', '503'] as const) {
    if (!has(status)) responses[status] = problem(errors[status].description)
  }
  for (const [status, response] of Object.entries(responses)) {
    if ('$ref' in response) continue
    const headers: Record<string, HeaderRef | Header> = { ...response.headers }
    for (const name of SHARED_IN_RESPONSES) if (name in headers) headers[name] = headerRef(name)
    for (const name of headersFor(status)) headers[name] ??= headerRef(name)
    response.headers = headers
  }
  operation.responses = responses
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Keys whose values are data (examples, enums), not schemas. */
const DATA_KEYS = new Set(['example', 'examples', 'enum', 'const', 'default'])

/**
 * Every integer gets the format its bounds allow: int32 when they fit, else
 * int64 (zod's integers are safe integers, which int64 holds).
 */
function addIntegerFormats(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) addIntegerFormats(item)
    return
  }
  if (!isRecord(node)) return
  const type = node.type
  const integer = type === 'integer' || (Array.isArray(type) && type.includes('integer'))
  if (integer && node.format === undefined) {
    const min = node.minimum ?? node.exclusiveMinimum
    const max = node.maximum ?? node.exclusiveMaximum
    if (typeof min === 'number' && typeof max === 'number') {
      node.format = min >= INT32.min && max <= INT32.max ? 'int32' : 'int64'
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (!DATA_KEYS.has(key)) addIntegerFormats(value)
  }
}

/**
 * Keeps the component schemas something refers to, in name order. The zod
 * provider emits an input and an output variant of every registered schema,
 * and most of them are used one way only.
 */
function keepUsedSchemas(doc: Document): void {
  const schemas = doc.components?.schemas
  if (!schemas) return
  const refs = (value: unknown) => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '')
  const used = new Set(refs({ ...doc, components: { ...doc.components, schemas: {} } }))
  const pending = [...used]
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    for (const ref of refs(schemas[name])) {
      if (!used.has(ref)) {
        used.add(ref)
        pending.push(ref)
      }
    }
  }
  // In name order: the registry's order follows module imports, which any refactor may change.
  const kept = Object.entries(schemas)
    .filter(([name]) => used.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  doc.components = { ...doc.components, schemas: Object.fromEntries(kept) }
}

/** A route's schema as the zod provider's transform leaves it: JSON Schema, keyed as Fastify keys them. */
interface TransformedSchema {
  headers?: { type?: string; properties?: Record<string, unknown>; [key: string]: unknown }
  response?: Record<string, Record<string, unknown>>
  [key: string]: unknown
}

/** A placeholder that finishDocument replaces with the shared header of its name (components.headers). */
const CONDITIONAL = { type: 'string' }
const SHARED_IN_RESPONSES: HeaderName[] = ['ETag', 'Cache-Control']

/**
 * A route with an ETag (plugins/caching): its 200 carries `ETag` and
 * `Cache-Control: no-cache`, it takes `If-None-Match`, and a match is a 304
 * with no body — documented, so that clients generated from the document
 * and Swagger UI know the conditional GET.
 */
function documentConditionalGet(schema: TransformedSchema): void {
  const headers = schema.headers ?? { type: 'object' }
  headers.properties = {
    ...headers.properties,
    'If-None-Match': {
      type: 'string',
      maxLength: 2000,
      description: 'The `ETag` of an earlier answer (or a list of them, or `*`): while it still matches, the answer is `304` with no body.',
    },
  }
  schema.headers = headers
  const response = schema.response ?? {}
  const ok = response['200']
  if (ok !== undefined) {
    response['200'] = {
      ...ok,
      headers: { ETag: CONDITIONAL, 'Cache-Control': CONDITIONAL },
    }
  }
  response['304'] = {
    type: 'null',
    description: 'Not Modified: `If-None-Match` matches the current `ETag`; no body. Answered before any work is done.',
    headers: { ETag: CONDITIONAL },
  }
  schema.response = response
}

/** The document as the zod provider builds it, finished with what every operation shares. */
function finishDocument(doc: Document): Document {
  doc.components = { ...doc.components, headers: { ...doc.components?.headers, ...HEADERS } }
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method]
      if (operation) addCommonResponses(operation, method)
    }
  }
  addIntegerFormats(doc)
  keepUsedSchemas(doc)
  return doc
}

/** Where Swagger UI is served. */
const DOCS = '/docs'

const zodTransform = createJsonSchemaTransform({
  skipList: ['/docs', '/docs/*', '/docs/static/*', '/docs/json', '/docs/yaml', '/docs/initOAuth', '/docs/uiConfig'],
})

export interface SwaggerOptions {
  /** Reads need a key with the `read` scope (RECKON_READS_NEED_KEY): the served document marks them so. */
  readsNeedKey: boolean
}

/**
 * The security of an operation that states none: a read needs no key (so no
 * lock in Swagger UI) unless the server requires keys for reads and the
 * route is not public. Writes and /keys state their own.
 */
function securityFor(
  method: string | string[],
  isPublic: boolean,
  readsNeedKey: boolean,
  readOnly = false,
): OpenAPIV3_1.SecurityRequirementObject[] {
  const methods = (Array.isArray(method) ? method : [method]).map((m) => m.toLowerCase())
  const writes = methods.some((m) => WRITE_METHODS.has(m))
  if (writes && !readOnly) return DEFAULT_SECURITY
  if (readsNeedKey && !isPublic) return READ_KEY
  // A POST that writes nothing: a key is never needed, and may be sent (a method that writes is never shown unlocked).
  return writes ? DEFAULT_SECURITY : NO_KEY
}

/** Reckon's name for Swagger UI's top bar, in place of Swagger's logo: an SVG, drawn with no external asset. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="210" height="40" viewBox="0 0 210 40">
<rect x="2" y="8" width="6" height="24" rx="1" fill="#fff"/><rect x="12" y="14" width="6" height="18" rx="1" fill="#e69f00"/>
<rect x="22" y="4" width="6" height="28" rx="1" fill="#fff"/>
<text x="38" y="29" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="24" font-weight="700" fill="#fff">Reckon API</text>
</svg>`

export default fp(async function swaggerPlugin(app: FastifyInstance, opts: SwaggerOptions) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Reckon', version: API_VERSION, description, license: { name: 'MIT', identifier: 'MIT' } },
      servers: [
        {
          url: '/',
          description:
            'This server, local or production: the address this document was read from (relative, so it holds behind a proxy too).',
          // A public API: the OWASP inventory rule asks every server to say (openapi-types has no extensions here).
          ...{ 'x-internal': false },
        },
      ],
      tags: [
        { name: 'events', description: 'Things that happened, and their summaries.' },
        { name: 'claims', description: 'Statements by sources: figures and attributions. Immutable.' },
        { name: 'sources', description: 'Who makes statements.' },
        { name: 'actors', description: 'Who can be blamed.' },
        { name: 'changes', description: 'The change feed: every write in order, as pages or as Server-Sent Events.' },
        { name: 'keys', description: 'API keys: made, listed and revoked with the admin scope.' },
        { name: 'meta', description: 'Health and the API description.' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key, sent as `Authorization: Bearer <token>`. Scopes: `read`, `write`, `admin` (admin includes write, ' +
              'write includes read). With no key configured on the server, no key is needed; with keys, writes need `write`, ' +
              'and reads need `read` when the server is set to protect them.',
          },
        },
      },
      security: DEFAULT_SECURITY,
    },
    transform: (input) => {
      const out = zodTransform(input)
      const schema = out.schema as TransformedSchema | undefined
      if (schema) {
        schema.security ??= securityFor(
          input.route.method,
          input.route.config?.public === true,
          opts.readsNeedKey,
          input.route.config?.readOnly === true,
        )
        if (input.route.config?.etag !== undefined) documentConditionalGet(schema)
      }
      return out
    },
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input) as Document),
  })
  // Swagger UI's own routes, marked once where they are made: open to all (plugins/auth) and HTML pages (plugins/protections).
  app.addHook('onRoute', (route) => {
    if (route.url === DOCS || route.url.startsWith(`${DOCS}/`)) route.config = { ...route.config, public: true, page: true }
  })
  await app.register(swaggerUi, {
    routePrefix: DOCS,
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: true },
    // Reckon's own top bar: its name, and no "Explore" box for loading other documents, which only this one belongs in.
    theme: {
      title: 'Reckon API',
      css: [{ filename: 'reckon.css', content: '.swagger-ui .topbar .download-url-wrapper { display: none; }' }],
    },
    // The logo links to the landing page, where the service explains itself.
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO), href: '/', target: '_self' },
    // Its own Content-Security-Policy for its pages, in place of helmet's stricter one for the API.
    staticCSP: true,
  })
})
