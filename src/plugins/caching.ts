/**
 * ETags and conditional GETs (contract §12). A route opts in with
 * `config: { etag: 'event' }` (its representation depends on one event,
 * `params.id`) or `config: { etag: 'database' }` (it may show any record).
 * The tag is derived from revisions, never by hashing a response body:
 *   - event: the event's revision (bumped by every write to it or its
 *     claims) and the directory revision (source and actor edits change names);
 *   - database: the latest change-log sequence number (every write appends one).
 * Both include the canonical request (the path, and the query in a stable
 * order) and the representation sent (json, ndjson, csv, csv+hxl on routes
 * that answer several formats; the route's one type otherwise), and nothing
 * else: `?format=csv` and `Accept: text/csv` name the same CSV and share a
 * tag, as do `Accept: application/json`, a wildcard Accept, none and `?format=json`.
 * A matching If-None-Match is answered 304 before the handler runs.
 *
 * The tag is a 53-bit hash of those strings (tagHash), not a cryptographic
 * digest: it only has to change when they do, for one URL, and it costs a
 * fraction of a microsecond where SHA-1 cost ~3 µs of every summary read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import { nextLink, representationOf, varyOn } from '../lib/formats.js'
import { nowIso } from '../lib/time.js'
import { type DatabaseState, databaseState } from '../repositories/changes-repository.js'
import type { NowState } from '../repositories/disputes-repository.js'
import { hasControlCharacter } from '../schemas/common.js'

export type EtagScope = 'event' | 'database'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Or, when it depends on the query, a function of the request (run before validation: it reads the raw query). */
    etag?: EtagScope | ((request: FastifyRequest) => EtagScope)
    /**
     * A whole-database tag read from the state kept between requests (app.databaseState): this process's writes
     * change it at once, other replicas' within STORED_RECHECK_MS, as for summaries. Without it (the change feed,
     * the lists) every request reads the state.
     */
    keptState?: boolean
    /** Without `as_of` the answer is stamped with the moment of the request (GET /summaries): never replayed from memory then. */
    stampsNow?: boolean
    /**
     * Set by this plugin on tagged routes: true when the route answers
     * several formats (by `format` and Accept); otherwise its one media type.
     */
    representation?: true | string
  }
  interface FastifyRequest {
    /**
     * For a view of one event "as of now": the event as the ETag was
     * computed from it, with its stored summary when that shows now — so
     * the handler sends the very state the tag names, with no second read.
     */
    eventNow: NowState | null
    /** For a view of the whole database: its state as the ETag was computed from it (a learning is stamped with it). */
    databaseNow: DatabaseState | null
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

/** Whether url[from, to) is a key that chooses the representation (`format`, `hxl`), which the tag names by itself. */
function choosesFormat(url: string, from: number, to: number): boolean {
  return (to - from === 6 && url.startsWith('format', from)) || (to - from === 3 && url.startsWith('hxl', from))
}

/** url[a0, a1) against url[b0, b1), by UTF-16 code units as `<` compares strings. */
function compareRanges(url: string, a0: number, a1: number, b0: number, b1: number): number {
  for (let a = a0, b = b0; a < a1 && b < b1; a++, b++) {
    const d = url.charCodeAt(a) - url.charCodeAt(b)
    if (d !== 0) return d
  }
  return a1 - a0 - (b1 - b0)
}

/** True when the query from `start` is canonical already: keys in order, no empty parameter, nothing to take out. No allocation: the usual case. */
function inCanonicalOrder(url: string, start: number, negotiated: boolean): boolean {
  let previous = -1
  let previousEnd = -1
  for (let i = start; i <= url.length;) {
    let next = url.indexOf('&', i)
    if (next === -1) next = url.length
    if (next === i) return false
    let keyEnd = url.indexOf('=', i)
    if (keyEnd === -1 || keyEnd > next) keyEnd = next
    if (negotiated && choosesFormat(url, i, keyEnd)) return false
    if (previous !== -1 && compareRanges(url, previous, previousEnd, i, keyEnd) > 0) return false
    previous = i
    previousEnd = keyEnd
    i = next + 1
  }
  return true
}

/**
 * The request as the tag names it: the path without a trailing slash (the
 * router ignores it), and the query's parameters in key order (a stable sort:
 * a repeated key keeps its values' order), without empty ones, nor `format`
 * and `hxl` where they choose the representation.
 */
export function canonicalRequest(url: string, negotiated: boolean): string {
  const at = url.indexOf('?')
  const pathEnd = at === -1 ? url.length : at
  const trailing = pathEnd > 1 && url.charCodeAt(pathEnd - 1) === 47 // '/'
  if (at === -1) return trailing ? url.slice(0, -1) : url
  if (!trailing && inCanonicalOrder(url, at + 1, negotiated)) return url
  const path = url.slice(0, trailing ? pathEnd - 1 : pathEnd)
  const params = url
    .slice(at + 1)
    .split('&')
    .filter((segment) => segment !== '')
    .map((segment) => {
      const eq = segment.indexOf('=')
      return { key: eq === -1 ? segment : segment.slice(0, eq), segment }
    })
    .filter((p) => !(negotiated && (p.key === 'format' || p.key === 'hxl')))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return params.length === 0 ? path : `${path}?${params.map((p) => p.segment).join('&')}`
}

/** What a tagged route sends: several formats (true) when its 200 response declares CSV, else its one media type. */
function representationOfRoute(route: RouteOptions): true | string {
  const ok = (route.schema?.response as Record<string, unknown> | undefined)?.['200']
  const content = ok !== null && typeof ok === 'object' && 'content' in ok ? (ok.content as Record<string, unknown>) : undefined
  if (content === undefined) return 'application/json'
  const types = Object.keys(content)
  return types.includes('text/csv') ? true : types.join(',')
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

/**
 * The headers a handler sets that belong to its representation, replayed with
 * the body: without them a replayed landing page had the API's CSP (which
 * refuses its inline style), a chart lost its own, a CSV page its file name.
 */
const REPLAYED_HEADERS = ['content-type', 'content-security-policy', 'x-content-type-options', 'content-disposition'] as const

interface CachedResponse {
  body: string
  headers: Record<string, string>
  /** The URL answered and its `Link: rel="next"`, if any: a page's Link is part of the answer. */
  url: string
  link: string | undefined
}

/** A cached page's Link for another URL of the same representation (the query in another order, `format` or not): the next cursor on this request's URL. */
function linkFor(url: string, hit: CachedResponse): string | undefined {
  if (hit.link === undefined || url === hit.url) return hit.link
  const target = /^<([^>]*)>/.exec(hit.link)?.[1] ?? ''
  const cursor = new URLSearchParams(target.slice(target.indexOf('?') + 1)).get('cursor')
  return cursor === null ? hit.link : nextLink(url, cursor)
}

export default fp(async function cachingPlugin(app: FastifyInstance) {
  app.decorateRequest('eventNow', null)
  app.decorateRequest('databaseNow', null)
  const responses = new Map<string, CachedResponse>()
  const cacheable = new WeakSet<FastifyRequest>()

  async function etagFor(request: FastifyRequest, scope: EtagScope): Promise<string | null> {
    let revision: string
    if (scope === 'event') {
      const id = (request.params as { id?: string }).id
      // Not validated yet (this runs on request): an id no event can have is the handler's 400, not a query.
      if (id === undefined || hasControlCharacter(id)) return null
      // The sources' and actors' revisions, read once: the ETag and the stored summary's check both use them.
      const directory = await app.repos.disputes.directoryStamp()
      if ((request.query as { as_of?: string }).as_of === undefined) {
        // "As of now" moves without a write when a claim stated in the future comes due.
        const state = await app.repos.disputes.nowState(id, nowIso(), directory)
        if (state === null) return null // unknown event: the handler answers 404
        request.eventNow = state
        revision = `${state.revision}:${directory}:${state.through ?? ''}`
      } else {
        const rev = await app.repos.events.revisionOf(id)
        if (rev === undefined) return null
        revision = `${rev}:${directory}`
      }
    } else {
      // Any write, and the next claim to come due: when a claim stated in the future starts to count, lists change with no write.
      const state =
        request.routeOptions.config.keptState === true ? await app.databaseState.get(nowIso()) : await databaseState(app.sql, nowIso())
      request.databaseNow = state
      revision = `${state.latest}:${state.due}:${app.repos.disputes.catchUps()}`
    }
    // The representation actually sent, not the Accept header that asked for it (§ the module comment).
    // Weak: a summary "as of now" states a different as_of on each request, with the same meaning.
    const fixed = request.routeOptions.config.representation ?? 'application/json'
    const negotiated = fixed === true
    const query = request.query as { format?: unknown; hxl?: unknown }
    const representation = negotiated ? representationOf(query.format, query.hxl, request.headers.accept) : fixed
    return `W/"${tagHash(`${canonicalRequest(request.url, negotiated)} ${representation} ${revision}`)}"`
  }

  // Every GET of a tagged route runs it.
  app.addHook('onRequest', async (request, reply) => {
    const configured = request.routeOptions.config.etag
    if (!configured || (request.method !== 'GET' && request.method !== 'HEAD')) return
    const scope = typeof configured === 'function' ? configured(request) : configured
    const etag = await etagFor(request, scope)
    if (etag === null) return
    reply.header('etag', etag).header('cache-control', 'no-cache')
    // A 304 and a cached answer vary as the handler's answer does.
    if (request.routeOptions.config.representation === true) varyOn(reply, 'Accept')
    if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send()
    const config = request.routeOptions.config
    if ((scope === 'event' || config.stampsNow === true) && (request.query as { as_of?: string }).as_of === undefined) return
    cacheable.add(request)
    const hit = responses.get(etag)
    if (hit) {
      responses.delete(etag) // most recently used last
      responses.set(etag, hit)
      const link = linkFor(request.url, hit)
      if (link !== undefined) reply.header('link', link)
      return reply.headers(hit.headers).send(hit.body)
    }
  })

  // Only on tagged routes: an error is not the representation the tag names, and a cacheable body is kept.
  app.addHook('onRoute', (route) => {
    if (!route.config?.etag) return
    route.config = { ...route.config, representation: representationOfRoute(route) }
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
      const link = reply.getHeader('link')
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' }
      for (const name of REPLAYED_HEADERS) {
        const value = reply.getHeader(name)
        if (typeof value === 'string') headers[name] = value
      }
      responses.set(etag, {
        body: payload,
        headers,
        url: request.url,
        link: typeof link === 'string' ? link : undefined,
      })
      if (responses.size > RESPONSE_CACHE_ENTRIES) responses.delete(responses.keys().next().value as string)
    }
    done(null, payload)
  }
})
