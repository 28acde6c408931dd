/** buildApp(options) → a ready-to-listen Fastify instance; server.ts only listens. */
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import { problemType } from './errors.js'
import { type Db, openDatabase } from './db/client.js'
import { openPostgres } from './db/pg/client.js'
import { PostgresSql } from './db/pg/sql.js'
import { type Sql, SqliteSql } from './db/sql.js'
import { enforcePlugin, identifyPlugin } from './plugins/auth.js'
import { corsPlugin, protectionsPlugin, rateLimitPlugin } from './plugins/protections.js'
import cachingPlugin from './plugins/caching.js'
import errorsPlugin, { frameworkErrors } from './plugins/errors.js'
import idempotencyPlugin from './plugins/idempotency.js'
import lingeringClosePlugin, { type LingerLimits } from './plugins/lingering-close.js'
import swaggerPlugin from './plugins/swagger.js'
import { type KeysRepository, createKeysRepository } from './repositories/keys-repository.js'
import { WriteGate, guardWrites } from './repositories/write-gate.js'
import { type KeptDatabaseState, keptDatabaseState } from './repositories/changes-repository.js'
import { STORED_RECHECK_MS } from './repositories/disputes-repository.js'
import actorsRoutes from './routes/actors/index.js'
import changesRoutes from './routes/changes/index.js'
import claimsRoutes from './routes/claims/index.js'
import bulkClaimsRoutes from './routes/claims/bulk.js'
import claimsListRoutes from './routes/claims/list.js'
import eventsRoutes from './routes/events/index.js'
import keysRoutes from './routes/keys/index.js'
import landingRoutes from './routes/landing.js'
import metaRoutes from './routes/meta/index.js'
import sourcesRoutes from './routes/sources/index.js'
import summariesRoutes from './routes/summaries/index.js'
import { draftsRoutes } from './routes/drafts.js'
import { draftsScriptRoutes } from './routes/drafts-page.js'
import { trackRecordsRoutes } from './routes/track-records/index.js'
import { type BulkClaimsWriter, createBulkClaimsWriter } from './services/bulk-claims-writer.js'
import { type ClaimsService, type Repositories, createClaimsService } from './services/claims-service.js'
import { REFRESHER_DEFAULTS, type RefresherOptions, createRefresher } from './services/dispute-refresher.js'
import { createRepositories } from './services/repositories.js'
import { type SummaryService, createSummaryService } from './services/summary-service.js'
import { validatorCompiler } from './schemas/validator.js'
import { learner } from './services/learning.js'
import { type TrackRecordService, createTrackRecordService } from './services/track-record-service.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The SQLite connection; null on PostgreSQL (RECKON_DATABASE_URL). */
    db: Db | null
    /** The store, as the repositories reach it (db/sql): SQLite or PostgreSQL. */
    sql: Sql
    /** Every write of `db` goes through it (repositories/write-gate): one writer at a time, the bulk-claims worker included. */
    writes: WriteGate
    repos: Repositories
    /** The whole database's state (latest change, next claim due), kept between requests: whole-database ETags and learnings. */
    databaseState: KeptDatabaseState
    claimsService: ClaimsService
    /** POST /claims/bulk's batches: written in a worker thread on a file database (services/bulk-claims-writer). */
    bulkClaims: BulkClaimsWriter
    summaryService: SummaryService
    /** #16: sources' track records, learnt from the claims, and the events' bias-aware estimates. */
    trackRecords: TrackRecordService
    keys: KeysRepository
  }
}

/** What a request log line shows of the URL: the value of any token-like query parameter masked (tokens are refused in URLs, but the line is written first). */
export function loggedUrl(url: string): string {
  return url.replace(/([?&](?:access_token|api_key|apikey|token|key)=)[^&#]*/gi, '$1[redacted]')
}

/** Node's own refusals (a request not arrived whole in time, bytes that are not HTTP), written on the socket as problem documents. */
function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) return
  const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
  const status = timeout ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const body = JSON.stringify({
    type: problemType(timeout ? 'request-timeout' : 'bad-request'),
    title: timeout ? 'Request timeout' : 'Bad request',
    status,
    detail: timeout ? 'The request did not arrive whole in time.' : 'The request is not valid HTTP.',
  })
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/** Limits and protections; each defaults to off here (tests), and loadConfig gives the server's defaults. */
type Protections = 'readsNeedKey' | 'rateLimit' | 'redis' | 'corsOrigins' | 'trustProxy' | 'requestTimeoutMs' | 'maxEventLoopDelayMs'

export interface AppOptions {
  config: Pick<Config, 'dbPath' | 'apiKeys' | 'logLevel'> & Partial<Pick<Config, Protections | 'databaseUrl'>>
  /** Fastify's logger; false in tests. */
  logger?: boolean
  /** Where log lines go (default: standard output); a test reads them here. */
  logStream?: { write(line: string): void }
  /** Refresh dispute blocks and stored summaries in the background (the server does; tests call it when they mean to). */
  backgroundRefresh?: boolean | RefresherOptions
  /** How long and how much of an unread body is discarded after an early answer (default LINGER_DEFAULTS). */
  lingering?: Partial<LingerLimits>
  /** From how many claims track records are learnt in a worker thread (default services/learning WORKER_FROM_CLAIMS). */
  learnInWorkerFrom?: number
}

/** Fastify's trustProxy for RECKON_TRUST_PROXY: the proxies' addresses, or the nearest `hops` addresses of a request, whoever they are. */
function trustedProxies(trust: number | string[]): string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: config.logLevel,
            ...(options.logStream ? { stream: options.logStream } : {}),
            // Tokens never reach the logs: the header is masked wherever a serializer puts it, and so are URL parameters.
            redact: {
              paths: ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization'],
              censor: '[redacted]',
            },
            serializers: {
              req: (request: FastifyRequest) => ({
                method: request.method,
                url: loggedUrl(request.url),
                host: request.host,
                remoteAddress: request.ip,
              }),
            },
          },
    // Behind a load balancer (RECKON_TRUST_PROXY): the client's address from X-Forwarded-For, for rate limits and logs.
    ...(config.trustProxy === undefined ? {} : { trustProxy: trustedProxies(config.trustProxy) }),
    // `/events/` and `/events` are the same list.
    // Path ids may be 200 characters (IdParams): the router must let them through for the schema to judge.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Bodies up to 1 MiB (the bulk routes take more: lib/bulk-body); a request must arrive whole in time.
    bodyLimit: 1024 * 1024,
    requestTimeout: config.requestTimeoutMs ?? 0,
    // Node checks for timed-out requests every 30 s by default: as often as half the timeout instead.
    ...(config.requestTimeoutMs ? { http: { connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.requestTimeoutMs / 2)) } } : {}),
    // The router's own errors (a malformed URL, an overlong parameter): problem documents too.
    frameworkErrors,
    // A request Node refuses before Fastify sees it (too slow, malformed): a problem document all the same.
    clientErrorHandler: clientError,
  }).withTypeProvider<ZodTypeProvider>()
  // Bodies are JSON; a text/plain body is a 415, not a string for zod to reject.
  app.removeContentTypeParser('text/plain')
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)

  const writes = new WriteGate()
  let db: Db | null = null
  let sql: Sql
  if (config.databaseUrl === undefined) {
    db = openDatabase(config.dbPath)
    guardWrites(db, writes)
    sql = new SqliteSql(db)
  } else {
    sql = new PostgresSql((await openPostgres(config.databaseUrl)).pool)
  }
  const repos = createRepositories(sql)
  const { disputes } = repos
  // Summaries seek claims through their lanes: index the claims of a database that lacks them (migrated, or written by other means).
  if (await writes.now(() => repos.claims.reindexIfIncomplete())) app.log.info('indexed the lanes and tallies of claims that had none')
  // Every event has its dispute block (GET /events): compute those a database lacks (one written by other means).
  const backfilled = await writes.now(async () => (await disputes.backfill()) + (await disputes.refreshQueued()))
  if (backfilled > 0) app.log.info({ events: backfilled }, 'computed the dispute blocks of events that had none')
  const claimsService = createClaimsService(sql, repos)
  // The whole database's state, kept: read again on this process's writes, and every STORED_RECHECK_MS for the others'.
  const state = keptDatabaseState(sql, STORED_RECHECK_MS)
  const bulkClaims = createBulkClaimsWriter({
    dbPath: db === null ? null : config.dbPath,
    writes,
    claims: claimsService,
    wroteElsewhere: () => {
      repos.disputes.wroteElsewhere()
      state.wroteElsewhere()
    },
  })
  app.decorate('db', db)
  app.decorate('sql', sql)
  app.decorate('writes', writes)
  app.decorate('repos', repos)
  app.decorate('databaseState', state)
  app.decorate('claimsService', claimsService)
  app.decorate('bulkClaims', bulkClaims)
  app.decorate('summaryService', createSummaryService(repos))
  app.decorate(
    'trackRecords',
    createTrackRecordService(
      repos,
      (moment) => state.get(moment),
      learner(
        sql,
        config.databaseUrl !== undefined
          ? { databaseUrl: config.databaseUrl }
          : config.dbPath === ':memory:'
            ? null
            : { dbPath: config.dbPath },
        options.learnInWorkerFrom,
      ),
    ),
  )
  if (options.backgroundRefresh) {
    const refresher = createRefresher(
      {
        refreshSomeQueued: (limit) => disputes.refreshSomeQueued(limit),
        refreshStale: (after, limit) => disputes.refreshStale(after, limit),
        refreshDue: () => disputes.refreshDue(),
        directoryStamp: () => disputes.directoryStamp(),
        // The worker's batches queue their events on its own connection: they count as writes under way too.
        sinceLastQueued: () => Math.min(disputes.sinceLastQueued(), app.bulkClaims.sinceLastWrite()),
      },
      app.log,
      options.backgroundRefresh === true ? REFRESHER_DEFAULTS : options.backgroundRefresh,
      writes,
    )
    app.addHook('onClose', async () => refresher.stop())
  }
  // A server starts the bulk-claims worker as it starts listening, so that its first batch does not wait for it.
  app.addHook('onListen', async () => app.bulkClaims.warm())
  app.addHook('onClose', async () => {
    await app.bulkClaims.close()
    await sql.close()
  })

  const keys = createKeysRepository(sql, config.apiKeys)
  app.decorate('keys', keys)

  await app.register(lingeringClosePlugin, options.lingering ?? {})
  await app.register(errorsPlugin)
  // CORS first, so that every answer (a 401, 429 or 503 too) carries its headers for an allowed origin.
  await app.register(corsPlugin, { origins: config.corsOrigins ?? [] })
  await app.register(protectionsPlugin, { maxEventLoopDelayMs: config.maxEventLoopDelayMs ?? 0 })
  await app.register(swaggerPlugin, { readsNeedKey: config.readsNeedKey ?? false })
  const auth = { keys, readsNeedKey: config.readsNeedKey ?? false }
  await app.register(identifyPlugin, auth)
  await app.register(rateLimitPlugin, { perMinute: config.rateLimit ?? 0, redis: config.redis })
  await app.register(enforcePlugin, auth)
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
  await app.register(trackRecordsRoutes, { prefix: '/track-records' })
  await app.register(draftsRoutes, { prefix: '/drafts' })
  await app.register(draftsScriptRoutes)
  await app.register(changesRoutes, { prefix: '/changes' })
  await app.register(keysRoutes, { prefix: '/keys' })
  await app.register(landingRoutes)
  return app
}
