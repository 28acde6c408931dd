/** GET /events/{id}/history and GET /events/{id}/sources (§11: time and provenance). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { provenance } from '../../engine/provenance.js'
import { nowIso } from '../../lib/time.js'
import { IdParams, errorResponses } from '../../schemas/common.js'
import { History, HistoryItem, Provenance, ProvenanceQuery } from '../../schemas/provenance.js'

type Item = z.output<typeof HistoryItem>

const ORDER: Record<Item['type'], number> = { 'event.created': 0, 'event.updated': 1, 'claim.created': 2, 'claim.retracted': 3 }

function changedFields(before: Record<string, unknown> | null, after: Record<string, unknown>): string[] {
  return Object.keys(after).filter(
    (k) => k !== 'updated_at' && k !== 'created_at' && (before === null || JSON.stringify(before[k]) !== JSON.stringify(after[k])),
  )
}

const provenanceRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/:id/history',
    {
      config: { etag: 'event' },
      schema: {
        operationId: 'getEventHistory',
        summary: 'Everything ever recorded about an event, in order',
        description:
          'Every claim ever recorded for the event — retracted and superseded ones included, each with its status, what it supersedes and what superseded it — ' +
          'every retraction with its reason, and every edit of the event’s metadata with the fields it changed, in the order they were made.',
        tags: ['events'],
        params: IdParams,
        response: { 200: History, ...errorResponses(404) },
      },
    },
    async (request) => {
      const eventId = (await app.repos.events.require(request.params.id)).id
      const items: Item[] = []
      let previous: Record<string, unknown> | null = null
      for (const r of await app.repos.events.revisions(eventId)) {
        const snapshot = r.event as unknown as Record<string, unknown>
        items.push({
          type: r.type as 'event.created' | 'event.updated',
          at: r.at,
          event: r.event,
          changed: changedFields(previous, snapshot),
        })
        previous = snapshot
      }
      for (const claim of await app.repos.claims.allOfEvent(eventId)) {
        items.push({ type: 'claim.created', at: claim.recorded_at, claim })
        if (claim.retraction)
          items.push({ type: 'claim.retracted', at: claim.retraction.at, claim_id: claim.id, reason: claim.retraction.reason })
      }
      const idOf = (i: Item) => (i.type === 'claim.created' ? i.claim.id : i.type === 'claim.retracted' ? i.claim_id : '')
      items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : ORDER[a.type] - ORDER[b.type] || (idOf(a) < idOf(b) ? -1 : 1)))
      return { event_id: eventId, items }
    },
  )

  app.get(
    '/:id/sources',
    {
      config: { etag: 'event' },
      schema: {
        operationId: 'getEventProvenance',
        summary: 'Who stands behind an event’s figures',
        description:
          'Per origin source: its claims that count as of `as_of` and why the others do not (retracted, not yet stated, superseded, or replaced by its own later claim), ' +
          'and the relay chains they came through; per figure group, the independent origins behind it (relays never add one) and the relays.',
        tags: ['events'],
        params: IdParams,
        querystring: ProvenanceQuery,
        response: { 200: Provenance, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const eventId = (await app.repos.events.require(request.params.id)).id
      const asOf = request.query.as_of ?? nowIso()
      const claims = await app.repos.claims.forEngine(eventId)
      const ids = new Set(claims.flatMap((c) => [c.source_id, ...c.via]))
      const directory = { sources: await app.repos.sources.directory(ids), actors: await app.repos.actors.tree() }
      return { event_id: eventId, as_of: asOf, ...provenance(claims, asOf, directory) }
    },
  )
}

export default provenanceRoutes
