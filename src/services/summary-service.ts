/** GET /events/{id}/summary: load, hand to the engine, shape (contract §6). */
import { summarizeEvent } from '../engine/event-summary.js'
import type { Claim } from '../engine/types.js'
import { nowIso } from '../lib/time.js'
import type { Repositories } from './claims-service.js'
import type { EventSummaryOut } from '../schemas/summary.js'

function referencedSources(claims: Claim[]): Set<string> {
  const ids = new Set<string>()
  for (const c of claims) {
    ids.add(c.source_id)
    for (const v of c.via) ids.add(v)
  }
  return ids
}

export function createSummaryService(repos: Repositories) {
  return {
    summarize(eventId: string, asOf: string = nowIso()): EventSummaryOut {
      const event = repos.events.require(eventId)
      const claims = repos.claims.forEngine(eventId)
      const directory = { sources: repos.sources.directory(referencedSources(claims)), actors: repos.actors.tree() }
      return {
        event: { id: event.id, title: event.title, occurred_on: event.occurred_on, location: event.location ?? {} },
        as_of: asOf,
        ...summarizeEvent(claims, asOf, directory),
      }
    },
  }
}

export type SummaryService = ReturnType<typeof createSummaryService>
