/**
 * `Idempotency-Key` on every POST (contract §9; draft-ietf-httpapi-idempotency-key-header).
 *
 * A POST with the header claims the key before it runs; its response
 * (status, body, content-type, location) is kept for IDEMPOTENCY_KEY_TTL_MS.
 * A retry with the same key and the same request gets that response again,
 * with `idempotent-replayed: true`; the same key with another request is a
 * 422, and while the first request is still running, a 409. 5xx responses are
 * not kept: the key is released and a retry runs again. 4xx responses are
 * kept, as the draft asks.
 *
 * Keys belong to a client: a sha256 of its bearer token, or "anonymous".
 *
 * Hook order. The hooks are attached by an `onRoute` hook to POST routes
 * only, so other methods pay nothing. The key is claimed in `preValidation`:
 * after auth's `onRequest` (a 401 never claims, so never burns, a key) and
 * after the body is parsed (the fingerprint hashes it; a 415 or malformed
 * JSON never claims either), and before validation, so the fingerprint is of
 * the body as sent and a 400 is kept like any other 4xx. The response is kept
 * in `onSend`, which sees the serialized body. A POST without the header pays
 * one header lookup in each hook, and the validation of the documented
 * headers schema (a zod looseObject: under a microsecond).
 *
 * Claiming, keeping and releasing a key are writes: each waits for its turn
 * at the write gate (repositories/write-gate). A large array body (a bulk
 * batch) is fingerprinted a slice of rows at a time, the event loop served
 * between slices, with the same digest as in one piece.
 */
import { type Hash, createHash } from 'node:crypto'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { BadRequestError, type FieldError, ProblemError } from '../errors.js'
import {
  IDEMPOTENCY_KEY_TTL_MS,
  type IdempotencyRepository,
  type ClaimOutcome,
  type StoredResponse,
  createIdempotencyRepository,
} from '../repositories/idempotency-repository.js'
import type { WriteGate } from '../repositories/write-gate.js'
import { errors } from '../schemas/common.js'

export { IDEMPOTENCY_KEY_TTL_MS }

export const IDEMPOTENCY_HEADER = 'idempotency-key'
const REPLAYED_HEADER = 'idempotent-replayed'

/** 1 to 255 printable ASCII characters (space to tilde). */
const KEY_PATTERN = /^[\x20-\x7E]{1,255}$/
const KEY_RULE = 'must be 1 to 255 printable ASCII characters'

/** The response headers kept with the body and replayed. */
const KEPT_HEADERS = ['content-type', 'location'] as const

const BEARER = /^Bearer\s+(\S+)\s*$/i

export const IdempotencyKeyHeader = z
  .string()
  .min(1, KEY_RULE)
  .max(255, KEY_RULE)
  .regex(/^[\x20-\x7E]*$/, KEY_RULE)
  .meta({
    description:
      'Makes the POST safe to retry. The first response to a request with this key is kept for 24 hours; a retry with the ' +
      'same key and the same request (method, path with query string, and body) gets it again, with the same status and ' +
      'body and the header `idempotent-replayed: true`. The same key with another request is a 422; a key whose first ' +
      'request is still running is a 409. Server errors (5xx) are not kept, so their retry runs again. Keys are scoped to ' +
      'the API key (or to anonymous callers). 1 to 255 printable ASCII characters; a UUID is a good choice.',
    example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
  })

/** Added to every POST route's schema: the optional header; every other header stays allowed. */
export const IdempotencyHeaders = z.looseObject({ [IDEMPOTENCY_HEADER]: IdempotencyKeyHeader.optional() })

function headerError(message: string): FieldError[] {
  return [{ path: `/${IDEMPOTENCY_HEADER}`, in: 'header', message }]
}

export class InvalidIdempotencyKeyError extends ProblemError {
  constructor(message: string) {
    super(400, 'validation', 'Invalid request', `The headers are invalid: /${IDEMPOTENCY_HEADER}.`, headerError(message))
  }
}

export class IdempotencyKeyReusedError extends ProblemError {
  constructor(first: { method: string; path: string }, current: { method: string; path: string }) {
    const what = first.method === current.method && first.path === current.path ? 'with another body' : `for ${first.method} ${first.path}`
    super(
      422,
      'idempotency-key-reused',
      'Idempotency key reused',
      `This Idempotency-Key was first used ${what}. A new request needs a new key.`,
      headerError('was used for another request'),
    )
  }
}

export class IdempotencyKeyInFlightError extends ProblemError {
  constructor() {
    super(
      409,
      'idempotency-key-in-flight',
      'Request in progress',
      'The first request with this Idempotency-Key is still running. Retry once it has answered.',
      headerError('its first request is still running'),
    )
  }
}

/** The scope of a client's keys: a sha256 of its bearer token (or of the whole header), or "anonymous". */
export function idempotencyScope(authorization: string | undefined): string {
  if (authorization === undefined) return 'anonymous'
  const token = BEARER.exec(authorization)?.[1] ?? authorization
  return createHash('sha256').update(token).digest('hex')
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)
}

function isStream(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'pipe' in value && typeof value.pipe === 'function'
}

/** JSON.stringify's replacer: each object with its keys sorted (a copy only when they are not already). */
function sortKeys(_key: string, value: unknown): unknown {
  if (!isPlainObject(value)) return value
  const keys = Object.keys(value)
  let sorted = true
  for (let i = 1; i < keys.length && sorted; i++) sorted = (keys[i - 1] ?? '') < (keys[i] ?? '')
  if (sorted) return value
  keys.sort()
  // No prototype: a "__proto__" key is kept as a key.
  const copy: Record<string, unknown> = Object.create(null)
  for (const key of keys) copy[key] = value[key]
  return copy
}

/** JSON with every object's keys sorted: bodies that differ only in key order are one request. */
export function canonicalJson(value: unknown): string {
  let json: string | undefined
  try {
    json = JSON.stringify(value, sortKeys)
  } catch (err) {
    // JSON.parse reads arrays nested thousands deep; a recursive walk of them overflows the stack.
    if (err instanceof RangeError)
      throw new BadRequestError('The body is nested too deeply to be a Reckon request.', [
        { path: '', in: 'body', message: 'is nested too deeply' },
      ])
    throw err
  }
  return json ?? ''
}

function fingerprintHash(method: string, path: string, contentType: string | undefined): Hash {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return createHash('sha256').update(`${method}\n${path}\n${mediaType}\n`)
}

/** What makes two requests "the same": method, path with query string, media type, and the parsed body. */
export function requestFingerprint(method: string, path: string, contentType: string | undefined, body: unknown): string {
  const hash = fingerprintHash(method, path, contentType)
  if (isStream(body)) throw new Error('Idempotency-Key: a streamed request body cannot be fingerprinted')
  if (Buffer.isBuffer(body)) hash.update('buffer\n').update(body)
  else if (typeof body === 'string') hash.update('string\n').update(body)
  else hash.update('json\n').update(canonicalJson(body))
  return hash.digest('hex')
}

/** Rows of an array body written per slice (~4 ms of canonicalJson for bulk claims). */
export const FINGERPRINT_SLICE = 1000

/**
 * requestFingerprint, the same digest, for a body of any size: an array
 * longer than a slice is written a slice of rows at a time, the event loop
 * served between slices (a 20,000-row bulk body costs ~80 ms in one piece).
 * Its canonical JSON is `[` and the rows' own, joined by `,`, and `]`.
 */
export async function requestFingerprintSliced(
  method: string,
  path: string,
  contentType: string | undefined,
  body: unknown,
): Promise<string> {
  if (!Array.isArray(body) || body.length <= FINGERPRINT_SLICE) return requestFingerprint(method, path, contentType, body)
  const hash = fingerprintHash(method, path, contentType).update('json\n[')
  for (let from = 0; from < body.length; from += FINGERPRINT_SLICE) {
    if (from > 0) await nextTurn()
    // As JSON.stringify writes an array: a row it cannot write (undefined) is null.
    const rows = body.slice(from, from + FINGERPRINT_SLICE).map((row: unknown) => canonicalJson(row) || 'null')
    hash.update(`${from > 0 ? ',' : ''}${rows.join(',')}`)
  }
  return hash.update(']').digest('hex')
}

/** Adds the header and the 409 and 422 problem responses to a POST route's documentation. */
function documented(schema: FastifySchema): FastifySchema {
  const out: FastifySchema = { ...schema }
  if (out.headers === undefined) {
    out.headers = IdempotencyHeaders
  } else if (out.headers instanceof z.ZodObject && !(IDEMPOTENCY_HEADER in out.headers.shape)) {
    out.headers = out.headers.extend({ [IDEMPOTENCY_HEADER]: IdempotencyKeyHeader.optional() })
  }
  const response: Record<string, unknown> = isPlainObject(out.response) ? { ...out.response } : {}
  if (!('409' in response) && !('4xx' in response)) {
    response['409'] = { ...errors[409], description: 'The first request with this Idempotency-Key is still running.' }
  }
  if (!('422' in response) && !('4xx' in response)) {
    response['422'] = { ...errors[422], description: 'The Idempotency-Key was used for another request.' }
  }
  out.response = response
  return out
}

interface Claimed {
  scope: string
  key: string
}

function toArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}

function keptHeaders(reply: FastifyReply): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name of KEPT_HEADERS) {
    const value = reply.getHeader(name)
    if (typeof value === 'string') kept[name] = value
    else if (typeof value === 'number') kept[name] = String(value)
  }
  return kept
}

function replay(reply: FastifyReply, stored: StoredResponse): void {
  reply.code(stored.status).headers({ ...stored.headers, [REPLAYED_HEADER]: 'true' })
  if (stored.body === null) reply.send()
  else reply.send(stored.body)
}

export function idempotencyHooks(repo: IdempotencyRepository, writes: Pick<WriteGate, 'write'>) {
  /** Requests that hold a claimed key, until their response is kept or the key released. */
  const claims = new WeakMap<FastifyRequest, Claimed>()

  function claim(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const key = request.headers[IDEMPOTENCY_HEADER]
    if (key === undefined || request.method !== 'POST') return done()
    if (typeof key !== 'string') return done(new InvalidIdempotencyKeyError('must be sent once'))
    if (!KEY_PATTERN.test(key)) return done(new InvalidIdempotencyKeyError(KEY_RULE))

    const scope = idempotencyScope(request.headers.authorization)
    requestFingerprintSliced(request.method, request.url, request.headers['content-type'], request.body)
      .then((fingerprint) => writes.write(() => repo.claim({ scope, key, method: request.method, path: request.url, fingerprint })))
      .then(
        (outcome) => claimed(request, reply, done, { scope, key }, outcome),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      )
  }

  function claimed(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    held: Claimed,
    outcome: ClaimOutcome,
  ): void {
    switch (outcome.state) {
      case 'claimed':
        claims.set(request, held)
        return done()
      case 'mismatch':
        return done(new IdempotencyKeyReusedError(outcome, { method: request.method, path: request.url }))
      case 'in_flight':
        return done(new IdempotencyKeyInFlightError())
      case 'done':
        // Answered here: the route does not run again. done() is not called.
        return replay(reply, outcome.response)
    }
  }

  function keep(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (err: Error | null, payload?: unknown) => void,
  ): void {
    const claimed = request.headers[IDEMPOTENCY_HEADER] === undefined ? undefined : claims.get(request)
    if (claimed === undefined) return done(null, payload)
    claims.delete(request)
    // 5xx: not the request's answer but ours; a stream or buffer: nothing to keep.
    const keepable = reply.statusCode < 500 && (payload === undefined || payload === null || typeof payload === 'string')
    const release = () => repo.release(claimed.scope, claimed.key)
    void writes
      .write(() =>
        keepable
          ? repo.complete(claimed.scope, claimed.key, { status: reply.statusCode, headers: keptHeaders(reply), body: payload ?? null })
          : release(),
      )
      .catch((err: unknown) => {
        // The request has happened; failing to keep its answer must not turn it into an error. The key is
        // released, not left claimed: a retry would otherwise be told "still running" until the key expires.
        request.log.error({ err }, 'could not keep the response to an Idempotency-Key')
        return writes.write(release).catch((releaseErr: unknown) => {
          request.log.error({ err: releaseErr }, 'could not release an Idempotency-Key')
        })
      })
      .then(() => done(null, payload))
  }

  return { claim, keep }
}

function isPost(route: RouteOptions): boolean {
  return toArray(route.method).includes('POST')
}

export default fp(
  async function idempotencyPlugin(app: FastifyInstance) {
    const { claim, keep } = idempotencyHooks(createIdempotencyRepository(app.sql), app.writes)
    // Must be registered before the routes: it sees only the routes added after it.
    app.addHook('onRoute', (route) => {
      if (!isPost(route)) return
      route.preValidation = [claim, ...toArray(route.preValidation)]
      route.onSend = [...toArray(route.onSend), keep]
      if (route.schema !== undefined) route.schema = documented(route.schema)
    })
  },
  { name: 'idempotency' },
)
