/**
 * ETags and conditional GETs (contract §12). A route opts in with
 * `config: { etag: 'event' }` (its representation depends on one event,
 * `params.id`) or `config: { etag: 'database' }` (it may show any record).
 * The tag is derived from revisions, never by hashing a response body:
 *   - event: the event's revision (bumped by every write to it or its
 *     claims) and the directory revision (source and actor edits change names);
 *   - database: the latest change-log sequence number (every write appends one).
 * Both include the URL, so each query has its own tag. A matching
 * If-None-Match is answered 304 before the handler runs.
 *
 * The tag is a 53-bit hash of those strings (tagHash), not a cryptographic
 * digest: it only has to change when they do, for one URL, and it costs a
 * fraction of a microsecond where SHA-1 cost ~3 µs of every summary read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { nowIso } from '../lib/time.js'
import type { NowState } from '../repositories/disputes-repository.js'

export type EtagScope = 'event' | 'database'

declare module 'fastify' {
  interface FastifyContextConfig {
    etag?: EtagScope
  }
  interface FastifyRequest {
    /**
     * For a view of one event "as of now": the event as the ETag was
     * computed from it, with its stored summary when that shows now — so
     * the handler sends the very state the tag names, with no second read.
     */
    eventNow: NowState | null
  }
}

/**
 * cyrb53 (public domain, bryc): a fast 53-bit string hash with good
 * dispersion, in base 36 (up to 11 characters). Two states of one URL share
 * a tag only by a 2^-53 chance.
 */
export function tagHash(text: string): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter.
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare)
}

/**
 * Responses kept in memory by their ETag, which names the representation
 * exactly: a dashboard polling the same list or summary is answered without
 * querying or serializing again. Only JSON-sized bodies (not exports, which
 * stream), and only where the body cannot go stale without a write: lists
 * (scope 'database') and event views pinned by `as_of` ("now" states its moment).
 */
const RESPONSE_CACHE_ENTRIES = 500
const RESPONSE_CACHE_MAX_BYTES = 256 * 1024

interface CachedResponse {
  body: string
  contentType: string
}

export default fp(async function cachingPlugin(app: FastifyInstance) {
  app.decorateRequest('eventNow', null)
  const sqlite = app.db.$client
  const responses = new Map<string, CachedResponse>()
  const cacheable = new WeakSet<FastifyRequest>()
  const latestChange = sqlite.prepare('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck()
  // The next claim to come due: when a claim stated in the future starts to count, lists change with no write.
  const nextDue = sqlite.prepare("SELECT COALESCE(MIN(stated_at), '') FROM claims WHERE stated_at > ?").pluck()

  function etagFor(request: FastifyRequest, scope: EtagScope): string | null {
    let revision: string
    if (scope === 'event') {
      const id = (request.params as { id?: string }).id
      if (id === undefined) return null
      const directory = `${app.repos.sources.revision()}:${app.repos.actors.revision()}`
      if ((request.query as { as_of?: string }).as_of === undefined) {
        // "As of now" moves without a write when a claim stated in the future comes due.
        const state = app.repos.disputes.nowState(id, nowIso())
        if (state === null) return null // unknown event: the handler answers 404
        request.eventNow = state
        revision = `${state.revision}:${directory}:${state.stated}`
      } else {
        const rev = app.repos.events.revisionOf(id)
        if (rev === undefined) return null
        revision = `${rev}:${directory}`
      }
    } else {
      revision = `${latestChange.get() as number}:${nextDue.get(new Date().toISOString()) as string}:${app.repos.disputes.catchUps()}`
    }
    // The Accept header chooses the format as ?format= does: it is part of the representation.
    // Weak: a summary "as of now" states a different as_of on each request, with the same meaning.
    return `W/"${tagHash(`${request.method} ${request.url} ${request.headers.accept ?? ''} ${revision}`)}"`
  }

  // Callback hooks (no promise per request): every GET of a tagged route runs them.
  app.addHook('onRequest', (request, reply, done) => {
    const scope = request.routeOptions.config.etag
    if (!scope || (request.method !== 'GET' && request.method !== 'HEAD')) return done()
    const etag = etagFor(request, scope)
    if (etag === null) return done()
    reply.header('etag', etag).header('cache-control', 'no-cache')
    if (matches(request.headers['if-none-match'], etag)) {
      reply.code(304).send()
      return
    }
    if (scope === 'event' && (request.query as { as_of?: string }).as_of === undefined) return done()
    cacheable.add(request)
    const hit = responses.get(etag)
    if (hit) {
      responses.delete(etag) // most recently used last
      responses.set(etag, hit)
      reply.type(hit.contentType).send(hit.body)
      return
    }
    done()
  })

  // Only on tagged routes: an error is not the representation the tag names, and a cacheable body is kept.
  app.addHook('onRoute', (route) => {
    if (!route.config?.etag) return
    const hooks = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend]
    route.onSend = [...hooks, onSend]
  })

  function onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
    if (reply.statusCode >= 400) {
      reply.removeHeader('etag')
      reply.removeHeader('cache-control')
    }
    const etag = reply.getHeader('etag')
    if (
      reply.statusCode === 200 &&
      cacheable.has(request) &&
      typeof etag === 'string' &&
      typeof payload === 'string' &&
      payload.length <= RESPONSE_CACHE_MAX_BYTES &&
      !responses.has(etag)
    ) {
      responses.set(etag, { body: payload, contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8') })
      if (responses.size > RESPONSE_CACHE_ENTRIES) responses.delete(responses.keys().next().value as string)
    }
    done(null, payload)
  }
})
