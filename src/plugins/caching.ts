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

export type EtagScope = 'event' | 'database'

declare module 'fastify' {
  interface FastifyContextConfig {
    etag?: EtagScope
  }
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  // Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not matter.
  const bare = etag.replace(/^W\//, '')
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === bare)
}

export default fp(async function cachingPlugin(app: FastifyInstance) {
  const sqlite = app.db.$client
  const latestChange = sqlite.prepare('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck()

  function etagFor(request: FastifyRequest, scope: EtagScope): string | null {
    let revision: string
    if (scope === 'event') {
      const id = (request.params as { id?: string }).id
      const rev = id === undefined ? undefined : app.repos.events.revisionOf(id)
      if (rev === undefined) return null // unknown event: the handler answers 404
      revision = `${rev}:${app.repos.sources.revision()}:${app.repos.actors.revision()}`
      // "As of now" moves without a write when a claim stated in the future comes due.
      if ((request.query as { as_of?: string }).as_of === undefined) revision += `:${app.repos.claims.countStatedBy(id as string, new Date().toISOString())}`
    } else {
      revision = String(latestChange.get() as number)
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
  })

  // An error is not the representation the tag names.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && request.routeOptions.config.etag) {
      reply.removeHeader('etag')
      reply.removeHeader('cache-control')
    }
    return payload
  })
})
