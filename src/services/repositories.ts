/** The repositories of one connection, as the services use them: the app's (app.ts), and the bulk-claims worker's, per batch. */
import type { Db } from '../db/client.js'
import { createActorsRepository } from '../repositories/actors-repository.js'
import { createClaimsRepository } from '../repositories/claims-repository.js'
import { createDisputesRepository } from '../repositories/disputes-repository.js'
import { createEventsRepository } from '../repositories/events-repository.js'
import { createSourcesRepository } from '../repositories/sources-repository.js'
import type { Repositories } from './claims-service.js'
import { withDisputeRefresh } from './with-dispute-refresh.js'

export function createRepositories(db: Db): Repositories {
  const sources = createSourcesRepository(db)
  const claims = createClaimsRepository(db)
  const actors = createActorsRepository(db)
  const disputes = createDisputesRepository(db, { claims, sources, actors })
  return {
    sources,
    actors: withDisputeRefresh(db, actors, disputes),
    events: createEventsRepository(db, disputes),
    claims,
    disputes,
  }
}
