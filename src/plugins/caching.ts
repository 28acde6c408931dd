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
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
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
    const digest = createHash('sha1')
      .update(`${request.method} ${request.url} ${request.headers.accept ?? ''} ${revision}`)
      .digest('base64url')
      .slice(0, 22)
    // Weak: a summary "as of now" states a different as_of on each request, with the same meaning.
    return `W/"${digest}"`
  }

  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config.etag
    if (!scope || (request.method !== 'GET' && request.method !== 'HEAD')) return
    const etag = etagFor(request, scope)
    if (etag === null) return
    reply.header('etag', etag).header('cache-control', 'no-cache')
    if (matches(request.headers['if-none-match'], etag)) {
      return reply.code(304).send()
    }
    if (scope === 'event' && (request.query as { as_of?: string }).as_of === undefined) return
    cacheable.add(request)
    const hit = responses.get(etag)
    if (hit) {
      responses.delete(etag) // most recently used last
      responses.set(etag, hit)
      return reply.type(hit.contentType).send(hit.body)
    }
  })

  // An error is not the representation the tag names.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && request.routeOptions.config.etag) {
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
    return payload
  })
})
