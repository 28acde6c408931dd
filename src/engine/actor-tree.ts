import type { ActorInfo } from './types.js'

/**
 * An actor and all its ancestors (the actor itself first). The API refuses parent cycles,
 * but the walk stops at one anyway, and at a parent it does not know.
 */
export function lineage(actorId: string, actors: ReadonlyMap<string, ActorInfo>): Set<string> {
  const seen = new Set<string>()
  let id: string | null | undefined = actorId
  while (id != null && !seen.has(id)) {
    seen.add(id)
    id = actors.get(id)?.parent_id
  }
  return seen
}

/** `lineage` remembered per actor, for the many look-ups of one summary. */
export function lineages(actors: ReadonlyMap<string, ActorInfo>): (actorId: string) => Set<string> {
  const known = new Map<string, Set<string>>()
  return (actorId) => {
    let found = known.get(actorId)
    if (!found) {
      found = lineage(actorId, actors)
      known.set(actorId, found)
    }
    return found
  }
}
