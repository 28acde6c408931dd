/**
 * The actors repository as the app uses it: a new parent of an actor changes
 * the attribution status of the events that name it or a descendant (§5
 * walks ancestors), so it refreshes their dispute blocks at once, in the
 * write's transaction.
 */
import type { Db } from '../db/client.js'
import type { ActorsRepository } from '../repositories/actors-repository.js'
import type { DisputesRepository } from '../repositories/disputes-repository.js'
import { inTransaction } from '../repositories/records.js'

/**
 * The actors repository, with a new parent refreshing the disputes it
 * changes, in the same transaction (PATCH /actors/{id} and POST /actors/bulk).
 */
export function withDisputeRefresh(db: Db, actors: ActorsRepository, disputes: DisputesRepository): ActorsRepository {
  return {
    ...actors,
    update(id, patch) {
      return inTransaction(db, () => {
        const before = actors.get(id)
        const after = actors.update(id, patch)
        if (before !== null && before.parent_id !== after.parent_id) disputes.refreshNaming(id)
        return after
      })
    },
  }
}
