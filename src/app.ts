/** buildApp(options) → a ready-to-listen Fastify instance; server.ts only listens. */
import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import { type Db, openDatabase } from './db/client.js'
import authPlugin from './plugins/auth.js'
import cachingPlugin from './plugins/caching.js'
import errorsPlugin from './plugins/errors.js'
import idempotencyPlugin from './plugins/idempotency.js'
import swaggerPlugin from './plugins/swagger.js'
import { createActorsRepository } from './repositories/actors-repository.js'
import { createClaimsRepository } from './repositories/claims-repository.js'
import { createDisputesRepository, withDisputeRefresh } from './repositories/disputes-repository.js'
import { createEventsRepository } from './repositories/events-repository.js'
import { createSourcesRepository } from './repositories/sources-repository.js'
import actorsRoutes from './routes/actors/index.js'
import changesRoutes from './routes/changes/index.js'
import claimsRoutes from './routes/claims/index.js'
import bulkClaimsRoutes from './routes/claims/bulk.js'
import claimsListRoutes from './routes/claims/list.js'
import eventsRoutes from './routes/events/index.js'
import landingRoutes from './routes/landing.js'
import metaRoutes from './routes/meta/index.js'
import sourcesRoutes from './routes/sources/index.js'
import summariesRoutes from './routes/summaries/index.js'
import { type ClaimsService, type Repositories, createClaimsService } from './services/claims-service.js'
import { REFRESHER_DEFAULTS, type RefresherOptions, createRefresher } from './services/dispute-refresher.js'
import { type SummaryService, createSummaryService } from './services/summary-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
    repos: Repositories
    claimsService: ClaimsService
    summaryService: SummaryService
  }
}

export interface AppOptions {
  config: Pick<Config, 'dbPath' | 'apiKeys' | 'logLevel'>
  /** Fastify's logger; false in tests. */
  logger?: boolean
  /** Refresh dispute blocks and stored summaries in the background (the server does; tests call it when they mean to). */
  backgroundRefresh?: boolean | RefresherOptions
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel },
    // `/events/` and `/events` are the same list.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>()
  // Bodies are JSON; a text/plain body is a 415, not a string for zod to reject.
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  const db = openDatabase(config.dbPath)
  const sources = createSourcesRepository(db)
  const claims = createClaimsRepository(db)
  const actors = createActorsRepository(db)
  const disputes = createDisputesRepository(db, { claims, sources, actors })
  const repos: Repositories = {
    sources,
    actors: withDisputeRefresh(db, actors, disputes),
    events: createEventsRepository(db),
    claims,
    disputes,
  }
  // Every event has its dispute block (GET /events): compute those a database lacks (one written by other means).
  const backfilled = disputes.backfill() + disputes.refreshQueued()
  if (backfilled > 0) app.log.info({ events: backfilled }, 'computed the dispute blocks of events that had none')
  app.decorate('db', db)
  app.decorate('repos', repos)
  app.decorate('claimsService', createClaimsService(db, repos))
  app.decorate('summaryService', createSummaryService(repos))
  if (options.backgroundRefresh) {
    const refresher = createRefresher(disputes, app.log, options.backgroundRefresh === true ? REFRESHER_DEFAULTS : options.backgroundRefresh)
    app.addHook('onClose', async () => refresher.stop())
  }
  app.addHook('onClose', async () => {
    db.$client.close()
  })

  await app.register(errorsPlugin)
  await app.register(swaggerPlugin)
  await app.register(authPlugin, { apiKeys: config.apiKeys })
  await app.register(idempotencyPlugin)
  await app.register(cachingPlugin)

  await app.register(metaRoutes)
  await app.register(sourcesRoutes, { prefix: '/sources' })
  await app.register(actorsRoutes, { prefix: '/actors' })
  await app.register(eventsRoutes, { prefix: '/events' })
  await app.register(claimsRoutes, { prefix: '/claims' })
  await app.register(bulkClaimsRoutes, { prefix: '/claims' })
  await app.register(claimsListRoutes, { prefix: '/claims' })
  await app.register(summariesRoutes, { prefix: '/summaries' })
  await app.register(changesRoutes, { prefix: '/changes' })
  await app.register(landingRoutes)
  return app
}
