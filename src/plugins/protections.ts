/**
 * What stands between the API and a hostile or overloaded world:
 *   - CORS for the configured origins only (a newsroom's dashboard on
 *     another host), with the headers a script needs to read;
 *   - helmet's security headers and a Content-Security-Policy (Swagger UI
 *     and the landing page set their own, looser for their inline code).
 *     helmet itself, run once: its headers depend on the options only, so
 *     they are taken from one run and added to every reply. (@fastify/helmet
 *     13 builds helmet's middleware anew on every request: ~30 µs here, a
 *     third of a small request's CPU, for the same headers.) HTML pages get
 *     all of them; API responses (JSON, CSV, NDJSON, SVG) the ones that mean
 *     something there, as OWASP's REST Security Cheat Sheet lists them — the
 *     others (opener policy, DNS prefetch, IE download and XSS filters, Flash
 *     policies, agent clusters) act on documents a browser shows, and each
 *     header costs every reply time on both ends of the connection;
 *   - @fastify/under-pressure: a 503 with Retry-After while the event loop
 *     lags, instead of answering everyone late;
 *   - @fastify/rate-limit: so many requests a minute per API key (per
 *     client address without one), then a 429 with Retry-After; counted by
 *     each replica, or by all of them together in Redis (RECKON_REDIS_URL).
 * Every refusal is a problem document (contract §7).
 */
import cors from '@fastify/cors'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import helmet, { type HelmetOptions } from 'helmet'
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { type RedisConfig, redactRedisUrl } from '../config.js'
import { ProblemError } from '../errors.js'

/** Headers a browser script may read beyond the safelisted ones. */
const EXPOSED = [
  'ETag',
  'Link',
  'Location',
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'WWW-Authenticate',
]

export const corsPlugin = fp(
  async function corsPlugin(app: FastifyInstance, opts: { origins: readonly string[] }) {
    if (opts.origins.length === 0) return // no CORS headers: browsers keep other origins out
    const allowed = new Set(opts.origins)
    await app.register(cors, {
      origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-None-Match', 'Accept'],
      exposedHeaders: EXPOSED,
      maxAge: 600,
      strictPreflight: true,
    })
  },
  { name: 'cors-allow-list' },
)

/** helmet's headers that act only on HTML documents: sent with pages (the landing page, Swagger UI), not with API responses. */
export const PAGE_ONLY_HEADERS: ReadonlySet<string> = new Set([
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
])

/** The headers helmet sets with these options, from one run on a response that goes nowhere. */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const response = new ServerResponse(new IncomingMessage(new Socket()))
  let failed: unknown = null
  helmet(options)(response.req, response, (err?: unknown) => {
    failed = err ?? null
  })
  if (failed !== null) throw failed instanceof Error ? failed : new Error(String(failed))
  return Object.fromEntries(Object.entries(response.getHeaders()).map(([name, value]) => [name, String(value)]))
}

/** Seconds a client is asked to wait when the server sheds load. */
export const PRESSURE_RETRY_AFTER = 5

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An HTML page (the landing page; Swagger UI's, marked by plugins/swagger): every helmet header. */
    page?: boolean
  }
}

export const protectionsPlugin = fp(
  async function protectionsPlugin(app: FastifyInstance, opts: { maxEventLoopDelayMs: number; sampleIntervalMs?: number }) {
    const headers = helmetHeaders({
      // JSON, CSV and SVG: nothing on these responses needs more than the API's own origin.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'base-uri': ["'self'"],
          'form-action': ["'self'"],
          'frame-ancestors': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'object-src': ["'none'"],
          'script-src': ["'self'"],
          'style-src': ["'self'"],
        },
      },
      // Charts are made to be embedded in other sites' pages.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      // Behind TLS a deployment adds HSTS at its proxy; on plain HTTP the header means nothing.
      strictTransportSecurity: false,
    })
    const api = Object.fromEntries(Object.entries(headers).filter(([name]) => !PAGE_ONLY_HEADERS.has(name)))
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(request.routeOptions.config.page === true ? headers : api)
      done()
    })
    if (opts.maxEventLoopDelayMs > 0) {
      await app.register(underPressure, {
        maxEventLoopDelay: opts.maxEventLoopDelayMs,
        retryAfter: PRESSURE_RETRY_AFTER,
        ...(opts.sampleIntervalMs === undefined ? {} : { sampleInterval: opts.sampleIntervalMs }),
        // A rejected promise: under-pressure passes it to the error handler, which writes the problem document.
        pressureHandler: (_request, _reply, type, value) =>
          Promise.reject(
            new ProblemError(
              503,
              'overloaded',
              'Service unavailable',
              `The server is overloaded (${type} at ${Math.round(Number(value))}) and sheds requests for now: retry after ${PRESSURE_RETRY_AFTER} seconds.`,
              undefined,
              { 'retry-after': String(PRESSURE_RETRY_AFTER) },
            ),
          ),
      })
    }
  },
  { name: 'protections' },
)

/** How long a start waits for Redis to answer (it may be starting beside the replicas) before giving up. */
export const REDIS_START_TIMEOUT_MS = 5000
/** A rate-limit check that Redis has not answered in this long is counted by the replica instead. */
export const REDIS_COMMAND_TIMEOUT_MS = 500
/** After Redis failed a check, the replica counts alone for this long before it asks Redis again. */
export const REDIS_RETRY_MS = 1000

/** The connection to the Redis that counts for every replica, answering (or the start fails, saying why). */
async function connectRedis(redis: RedisConfig, log: FastifyBaseLogger, withinMs: number): Promise<Redis> {
  const client = new Redis(redis.url, {
    lazyConnect: true,
    // Its name in CLIENT LIST: which deployment holds the connection.
    connectionName: `${redis.prefix}rate-limit`,
    // @fastify/rate-limit advises against ioredis's defaults (10 s to connect; a command waits
    // through 20 reconnections): a check must fail fast, so that the replica counts instead.
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // While disconnected a check fails at once rather than waiting in a queue. ioredis reconnects
    // by itself, forever, at most every 2 s (its default retryStrategy).
    enableOfflineQueue: false,
  })
  let lastError: Error | null = null
  client.on('error', (err: Error) => {
    lastError = err
    log.debug({ err: err.message }, 'Redis connection error')
  })
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), withinMs)
    client.once('ready', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
  // A failed attempt rejects here; ioredis goes on trying, and 'error' says why it failed.
  client.connect().catch(() => undefined)
  if (await ready) return client
  client.disconnect()
  const why = ((lastError as Error | null)?.message ?? 'no answer').replace(/\.$/, '')
  throw new Error(
    `RECKON_REDIS_URL: could not use Redis at ${redactRedisUrl(redis.url)} within ${withinMs / 1000} s (${why}). ` +
      'Start Redis or correct the URL (host, port, password); without RECKON_REDIS_URL each replica counts its own rate limits.',
  )
}

async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // no answer to QUIT: cut the connection below
    }
  }
  client.disconnect()
}

export interface RateLimitOptions {
  /** Requests a minute per key (or client address); 0: no limit. */
  perMinute: number
  /** Count in this Redis, for every replica together; absent: this replica counts alone. */
  redis?: RedisConfig
  /** How long a start waits for Redis (REDIS_START_TIMEOUT_MS). */
  redisStartTimeoutMs?: number
}

export const rateLimitPlugin = fp(
  async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitOptions) {
    if (opts.perMinute === 0) return
    const limits: RateLimitPluginOptions = {
      // One hook for every request, here (between identifying the key and checking it), rather than
      // per route: per-route hooks would run after the response cache, which answers before routes.
      global: false,
      max: opts.perMinute,
      timeWindow: 60_000,
      // Per key: a newsroom's scripts share an address; the auth plugin identified the key already.
      keyGenerator: (request: FastifyRequest) => (request.apiKey ? `key:${request.apiKey.id}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ProblemError(
          429,
          'rate-limited',
          'Too many requests',
          `This API key (or, without one, this client) may make ${context.max} requests a minute: retry in ${context.after}.`,
          undefined,
          { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
        ),
    }
    if (opts.redis === undefined) {
      await app.register(rateLimit, limits)
      app.addHook('onRequest', app.rateLimit())
      return
    }
    await sharedRateLimit(app, limits, opts.redis, opts.redisStartTimeoutMs ?? REDIS_START_TIMEOUT_MS)
  },
  { name: 'rate-limit' },
)

/** @fastify/rate-limit's check of a request: headers on the reply, a thrown 429 over the limit, or the store's error. */
type RateLimitCheck = ReturnType<FastifyInstance['rateLimit']>

/**
 * Rate limits counted in Redis, under the deployment's prefix, for every replica together.
 * While Redis does not answer, each replica counts on its own, as without Redis, rather than
 * refusing every request (Redis would take the API down with it) or limiting none (a client
 * would have no limit at all): the same headers and 429s, at the limit per replica.
 */
async function sharedRateLimit(
  app: FastifyInstance,
  limits: RateLimitPluginOptions,
  redis: RedisConfig,
  startTimeoutMs: number,
): Promise<void> {
  const client = await connectRedis(redis, app.log, startTimeoutMs)
  app.addHook('onClose', () => closeRedis(client))
  // The replica's own count, registered in a scope of its own: @fastify/rate-limit decorates the
  // instance with one limiter, and a scope's decorators stay in the scope.
  let perReplica: RateLimitCheck | undefined
  await app.register(async function perReplicaRateLimit(scope) {
    await scope.register(rateLimit, limits)
    perReplica = scope.rateLimit()
  })
  // skipOnError false: a failed check reaches the hook below, which counts on the replica instead.
  await app.register(rateLimit, { ...limits, redis: client, nameSpace: `${redis.prefix}rate-limit:`, skipOnError: false })
  const shared: RateLimitCheck = app.rateLimit()
  const local = perReplica
  if (local === undefined) throw new Error('the per-replica rate limiter was not registered')

  let failedSince: number | null = null // when Redis stopped answering; null while it answers
  let askAgainAt = 0 // before then, the replica counts without asking Redis
  client.on('ready', () => (askAgainAt = 0)) // reconnected: ask at once
  app.addHook('onRequest', async function rateLimitCheck(request, reply) {
    if (Date.now() >= askAgainAt) {
      try {
        await shared.call(this, request, reply)
        if (failedSince !== null) {
          app.log.info(
            { after_s: Math.round((Date.now() - failedSince) / 1000) },
            'Redis answers again: rate limits are shared by the replicas again',
          )
          failedSince = null
        }
        return
      } catch (err) {
        if (err instanceof ProblemError) throw err // the 429
        askAgainAt = Date.now() + REDIS_RETRY_MS
        if (failedSince === null) {
          failedSince = Date.now()
          app.log.warn(
            { err: err instanceof Error ? err.message : String(err), redis: redactRedisUrl(redis.url) },
            'Redis does not answer: each replica counts its own rate limits until it does',
          )
        }
      }
    }
    await local.call(this, request, reply)
  })
}
