/**
 * The one place where errors become RFC 9457 problem documents (contract §7).
 * Nothing a user does can produce a stack trace in a response.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { type FieldError, ProblemError, pointerToken, problemType } from '../errors.js'
import { rowLine } from '../lib/bulk-body.js'
import { findJsonError } from '../lib/json-syntax.js'
import { knownFields } from '../lib/known-fields.js'
import { didYouMean, quoted } from '../lib/suggest.js'
import { errors as documentedErrors } from '../schemas/common.js'

type Where = NonNullable<FieldError['in']>

const WHERE: Record<string, Where> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' }

const PART: Record<Where, string> = { body: 'body', query: 'query string', path: 'path', header: 'header' }

interface ValidationItem {
  instancePath: string
  message?: string | undefined
  keyword?: string
  params?: Record<string, unknown>
}

const REQUEST_PART: Record<Where, 'body' | 'querystring' | 'params' | 'headers'> = {
  body: 'body',
  query: 'querystring',
  path: 'params',
  header: 'headers',
}

/** "is not a known field", with the nearest known one, or the known ones when none is near. */
function unknownField(key: string, known: string[]): string {
  const hint = didYouMean(key, known) || (known.length > 0 ? ` Expected one of ${known.join(', ')}.` : '')
  return `${quoted(key)} is not a known field.${hint}`
}

/** Zod issues → one `{ path, message }` per bad field; an unknown key gets its own path. */
function fieldErrors(items: ValidationItem[], where: Where, request: FastifyRequest): FieldError[] {
  const out: FieldError[] = []
  for (const item of items) {
    const path = item.instancePath === '/' ? '' : item.instancePath
    const keys = item.params?.keys
    if (item.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      const schema = request.routeOptions.schema?.[REQUEST_PART[where]] as z.core.$ZodType | undefined
      const sent: Record<Where, unknown> = { body: request.body, query: request.query, path: request.params, header: request.headers }
      const known = schema ? knownFields(schema, path.split('/').slice(1), sent[where]) : []
      for (const key of keys)
        out.push({ path: `${path}/${pointerToken(String(key))}`, in: where, message: unknownField(String(key), known) })
    } else if (item.keyword === 'invalid_type' && item.message?.endsWith('received undefined')) {
      out.push({ path, in: where, message: 'is required' })
    } else {
      out.push({ path, in: where, message: item.message ?? 'is invalid' })
    }
  }
  return out
}

/** A row of an NDJSON or CSV body (`/<row>/…`) also names its line in the file. */
function withLines(request: FastifyRequest, errors: FieldError[]): FieldError[] {
  return errors.map((error) => {
    if (error.line !== undefined || error.in !== 'body') return error
    const row = /^\/(\d+)(?:\/|$)/.exec(error.path)?.[1]
    const line = row === undefined ? undefined : rowLine(request, Number(row))
    return line === undefined ? error : { ...error, message: `line ${line}: ${error.message}`, line }
  })
}

/** The problem `detail` of field errors: each path with its message (the first ten, then how many more: a bulk body may have thousands). */
function summary(errors: FieldError[]): string {
  const shown = errors.slice(0, 10).map((e) => `${e.path || '(the whole)'}: ${e.message}${/[.?!]$/.test(e.message) ? '' : '.'}`)
  const more = errors.length > 10 ? ` And ${errors.length - 10} more.` : ''
  return `${shown.join(' ')}${more}`
}

interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  errors?: FieldError[]
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  body: Omit<ProblemBody, 'instance'>,
  headers: Record<string, string> = {},
) {
  const problem: ProblemBody = { ...body, instance: request.url.split('?')[0] ?? request.url }
  if (problem.errors === undefined) delete problem.errors
  return reply.code(body.status).headers(headers).type('application/problem+json').send(problem)
}

/**
 * Fastify's own errors, as problems. `explain` says what Fastify's message
 * does not (the limit passed, the header at fault) and names the field;
 * without it the problem carries Fastify's message.
 */
const FASTIFY_CODES: Record<
  string,
  { status: number; slug: string; title: string; explain?: (request: FastifyRequest) => { detail: string; errors: FieldError[] } }
> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    slug: 'payload-too-large',
    title: 'Payload too large',
    explain: (request) => {
      const limit = mebibytes(request.routeOptions.bodyLimit)
      return {
        detail: `The body is larger than this operation accepts (${limit}).`,
        errors: [{ path: '', in: 'body', message: `is larger than ${limit}` }],
      }
    },
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    slug: 'invalid-request',
    title: 'Invalid request',
    explain: () => ({
      detail: 'The body is not as long as its Content-Length header says.',
      errors: [{ path: '/content-length', in: 'header', message: 'does not match the size of the body sent' }],
    }),
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, slug: 'invalid-request', title: 'Invalid request' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, slug: 'invalid-json', title: 'Malformed JSON' },
}

/** A 500 that tells the client nothing of the cause, which is logged (`what`: where it was caught). */
function internalError(request: FastifyRequest, reply: FastifyReply, error: unknown, what: string) {
  request.log.error({ err: error }, what)
  return sendProblem(reply, request, {
    type: problemType('internal'),
    title: 'Internal server error',
    status: 500,
    detail: 'Something went wrong on our side. It has been logged.',
  })
}

/**
 * Errors Fastify raises before a route is found (the router's), which never
 * reach the error handler: pass this as the `frameworkErrors` option of
 * Fastify() so that they are problem documents too.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return sendProblem(reply, request, {
        type: problemType('invalid-request'),
        title: 'Invalid request',
        status: 400,
        detail: 'The URL is not valid: it has a malformed percent-encoding (% must be followed by two hex digits).',
      })
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // A path segment longer than the router reads: as the route's own schema would say of a long id.
      return sendProblem(reply, request, {
        type: problemType('invalid-request'),
        title: 'Invalid request',
        status: 400,
        detail: 'A path parameter is too long.',
      })
    default:
      return internalError(request, reply, error, 'framework error')
  }
}

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`
}

/**
 * Every route with a body can be answered 413 (the body limit) and 415 (a
 * media type it does not read) by this plugin, whatever the route declares:
 * the route's documentation says so, unless it already does.
 */
function withBodyErrors(schema: FastifySchema, bodyLimit: number): FastifySchema {
  const response: Record<string, unknown> =
    typeof schema.response === 'object' && schema.response !== null ? { ...(schema.response as Record<string, unknown>) } : {}
  if (!('413' in response)) {
    response['413'] = { ...documentedErrors[413], description: `The body is larger than this operation accepts (${mebibytes(bodyLimit)}).` }
  }
  if (!('415' in response)) response['415'] = documentedErrors[415]
  return { ...schema, response }
}

/** The media types a route reads: its documented `consumes`, else JSON (the only parser outside the bulk routes). */
function accepted(request: FastifyRequest): string[] {
  const consumes = (request.routeOptions.schema as { consumes?: unknown } | undefined)?.consumes
  return Array.isArray(consumes) && consumes.length > 0 ? consumes.map(String) : ['application/json']
}

function unsupportedMediaType(request: FastifyRequest, reply: FastifyReply) {
  const types = accepted(request)
  const sent = request.headers['content-type']
  const expected = types.length === 1 ? `${types[0]}` : `one of ${types.join(', ')}`
  const got = sent === undefined ? 'none' : quoted(sent)
  const what = sent === undefined ? 'the request has no Content-Type' : `the Content-Type sent was ${got}`
  return sendProblem(reply, request, {
    type: problemType('unsupported-media-type'),
    title: 'Unsupported media type',
    status: 415,
    detail: `This operation reads a body of ${expected}; ${what}.`,
    errors: [{ path: '/content-type', in: 'header', message: `must be ${expected}; got ${got}.` }],
  })
}

/**
 * Fastify's JSON parser (with its refusal of __proto__ and constructor.prototype
 * keys), whose syntax errors also say where: line, column and byte offset.
 */
function jsonParser(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error')
  return (request: FastifyRequest, body: string | Buffer, done: (err: Error | null, value?: unknown) => void) => {
    const text = body.toString() // a string already (parseAs: 'string'); the type admits a Buffer
    void parse(request, text, (err, value) => {
      if (err === null || (err as FastifyError).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return done(err, value)
      const where = findJsonError(text)
      if (where === null) {
        return done(
          new ProblemError(
            400,
            'invalid-json',
            'Malformed JSON',
            'The body is refused: it has a "__proto__" or "constructor.prototype" key.',
          ),
        )
      }
      const at = `line ${where.line}, column ${where.column} (byte ${where.offset})`
      done(
        new ProblemError(400, 'invalid-json', 'Malformed JSON', `The body is not valid JSON: at ${at}, ${where.message}.`, [
          {
            path: '',
            in: 'body',
            message: `is not valid JSON: at ${at}, ${where.message}.`,
            line: where.line,
            column: where.column,
            offset: where.offset,
          },
        ]),
      )
    })
  }
}

export default fp(async function errorsPlugin(app: FastifyInstance) {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonParser(app))

  // Must be registered before the routes: it sees only the routes added after it.
  app.addHook('onRoute', (route: RouteOptions) => {
    // Fastify reads a body on any of these methods, declared or not (a DELETE sent with one gets a 415 or 413 too).
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const readsBody = route.schema?.body !== undefined || methods.some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m))
    if (readsBody && route.schema)
      route.schema = withBodyErrors(route.schema, route.bodyLimit ?? app.initialConfig.bodyLimit ?? 1024 * 1024)
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError) {
      return sendProblem(
        reply,
        request,
        {
          type: error.type,
          title: error.title,
          status: error.status,
          detail: error.message,
          ...(error.errors ? { errors: withLines(request, error.errors) } : {}),
        },
        error.headers,
      )
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = WHERE[error.validationContext ?? 'body'] ?? 'body'
      const errors = withLines(request, fieldErrors(error.validation, where, request))
      return sendProblem(reply, request, {
        type: problemType('validation'),
        title: 'Invalid request',
        status: 400,
        detail: `The ${PART[where]} is invalid. ${summary(errors)}`,
        errors,
      })
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType(request, reply)
    const known = error.code ? FASTIFY_CODES[error.code] : undefined
    if (known) {
      const { detail, errors } = known.explain?.(request) ?? { detail: error.message, errors: undefined }
      return sendProblem(reply, request, { type: problemType(known.slug), title: known.title, status: known.status, detail, errors })
    }
    if (error instanceof SyntaxError || (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)) {
      const status = error.statusCode ?? 400
      return sendProblem(reply, request, { type: problemType('invalid-request'), title: 'Invalid request', status, detail: error.message })
    }
    return internalError(request, reply, error, 'unhandled error')
  })

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, {
      type: problemType('not-found'),
      title: 'Not found',
      status: 404,
      detail: `No route ${request.method} ${request.url.split('?')[0]}. The API is described at /docs.`,
    }),
  )
})
