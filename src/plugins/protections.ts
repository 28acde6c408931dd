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
 *     client address without one), then a 429 with Retry-After.
 * Every refusal is a problem document (contract §7).
 */
import cors from '@fastify/cors'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import helmet, { type HelmetOptions } from 'helmet'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
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

export const rateLimitPlugin = fp(
  async function rateLimitPlugin(app: FastifyInstance, opts: { perMinute: number }) {
    if (opts.perMinute === 0) return
    await app.register(rateLimit, {
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
    })
    app.addHook('onRequest', app.rateLimit())
  },
  { name: 'rate-limit' },
)
