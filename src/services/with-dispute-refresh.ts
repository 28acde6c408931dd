/**
 * The actors repository as the app uses it: a new parent of an actor changes
 * the attribution status of the events that name it or a descendant (§5
 * walks ancestors), so it refreshes their dispute blocks at once, in the
 * write's transaction.
 */
import type { Sql } from '../db/sql.js'
import type { ActorsRepository } from '../repositories/actors-repository.js'
import type { DisputesRepository } from '../repositories/disputes-repository.js'

/**
 * The actors repository, with a new parent refreshing the disputes it
 * changes, in the same transaction (PATCH /actors/{id} and POST /actors/bulk).
 */
export function withDisputeRefresh(sql: Sql, actors: ActorsRepository, disputes: DisputesRepository): ActorsRepository {
  return {
    ...actors,
    update(id, patch) {
      return sql.transaction(async () => {
        const before = await actors.get(id)
        const after = await actors.update(id, patch)
        if (before !== null && before.parent_id !== after.parent_id) await disputes.refreshNaming(id)
        return after
      })
    },
  }
}
