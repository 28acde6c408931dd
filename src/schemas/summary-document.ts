/**
 * An event's summary document (contract §6) from its claims, and the same
 * document serialized for storage: GET /events/{id}/summary computes it live
 * (summary-service) and the dispute refresh stores it for "now"
 * (disputes-repository), through these functions, so both send the same bytes.
 * With the schemas: the document is the EventSummary schema's, and is
 * serialized through it.
 */
import type { CountedSet } from '../engine/counting.js'
import { summarizeCounted } from '../engine/event-summary.js'
import type { ActorInfo, Claim, Directory, SourceInfo } from '../engine/types.js'
import { summaryWarnings } from '../engine/warnings.js'
import { EventSummary, type EventSummaryOut } from './summary.js'

/** What the summary shows of its event. */
export interface SummaryEvent {
  id: string
  title: string
  occurred_on: string
  location: EventSummaryOut['event']['location'] | null
}

/** The sources named by the claims, as origins or relays. */
export function referencedSources(claims: readonly Claim[]): Set<string> {
  const ids = new Set<string>()
  for (const c of claims) {
    ids.add(c.source_id)
    for (const v of c.via) ids.add(v)
  }
  return ids
}

/** The directory the engine needs for these claims: the sources they name, and the actor tree. */
export async function directoryFor(
  claims: readonly Claim[],
  sources: { directory(ids: Iterable<string>): Promise<Map<string, SourceInfo>> },
  actors: ReadonlyMap<string, ActorInfo>,
): Promise<Directory> {
  return { sources: await sources.directory(referencedSources(claims)), actors }
}

/**
 * `set`: what the summary as of `asOf` shows (as the database holds it, or
 * held it at `knownAt`); `total`: how many claims the event had then.
 */
export function summaryDocument(
  event: SummaryEvent,
  set: CountedSet,
  total: number,
  asOf: string,
  knownAt: string | null,
  directory: Directory,
): EventSummaryOut {
  return {
    event: { id: event.id, title: event.title, occurred_on: event.occurred_on, location: event.location ?? {} },
    as_of: asOf,
    known_at: knownAt,
    ...summarizeCounted(set.counted, total, directory),
    warnings: summaryWarnings(set),
  }
}

/** A serialized summary split around the value of `as_of`: head + as_of + tail is the document. */
export interface StoredSummary {
  head: string
  tail: string
}

/**
 * The document as the route's serializer writes it (zod's encode, then
 * JSON.stringify: validated here, once), split around `as_of` so that it can
 * be sent as of a later moment that counts the same claims.
 */
export function storeSummary(doc: EventSummaryOut): StoredSummary {
  const encoded = EventSummary.encode(doc)
  const body = JSON.stringify(encoded)
  // `event` comes first, then `as_of` (the schema's order): the head is everything before as_of's value.
  const head = JSON.stringify({ event: encoded.event, as_of: '' }).slice(0, -2)
  if (!body.startsWith(`${head}${doc.as_of}"`)) throw new Error('a serialized summary does not start with its event and as_of')
  return { head, tail: body.slice(head.length + doc.as_of.length) }
}

/** The stored document, stating `asOf`. */
export function summaryText(stored: StoredSummary, asOf: string): string {
  return stored.head + asOf + stored.tail
}
