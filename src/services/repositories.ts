/** The repositories of one connection, as the services use them: the app's (app.ts), and the bulk-claims worker's, per batch. */
import type { Sql } from '../db/sql.js'
import { createActorsRepository } from '../repositories/actors-repository.js'
import { createClaimsRepository } from '../repositories/claims-repository.js'
import { createDisputesRepository } from '../repositories/disputes-repository.js'
import { createEventsRepository } from '../repositories/events-repository.js'
import { createSourcesRepository } from '../repositories/sources-repository.js'
import type { Repositories } from './claims-service.js'
import { withDisputeRefresh } from './with-dispute-refresh.js'

export function createRepositories(sql: Sql): Repositories {
  const sources = createSourcesRepository(sql)
  const claims = createClaimsRepository(sql)
  const actors = createActorsRepository(sql)
  const disputes = createDisputesRepository(sql, { claims, sources, actors })
  return {
    sources,
    actors: withDisputeRefresh(sql, actors, disputes),
    events: createEventsRepository(sql, disputes),
    claims,
    disputes,
  }
}
