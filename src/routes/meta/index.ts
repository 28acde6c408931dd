import type { FastifyBaseLogger } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { MIGRATIONS_FOLDER, migrationJournal } from '../../db/client.js'
import { PG_MIGRATIONS_FOLDER } from '../../db/pg/client.js'
import type { Dialect, Sql } from '../../db/sql.js'
import { ProblemError } from '../../errors.js'
import { errors } from '../../schemas/common.js'

/** How long GET /health waits for the database before it answers 503: a load balancer's check must not hang. */
export const HEALTH_TIMEOUT_MS = 2000

/** Seconds a client is asked to wait after the database did not answer. */
const HEALTH_RETRY_AFTER = 5

const Health = z
  .object({
    status: z.literal('ok'),
    store: z.enum(['sqlite', 'postgres']).meta({
      description:
        '`sqlite`: the file RECKON_DB names (one process); `postgres`: the database RECKON_DATABASE_URL names (replicas may share it).',
    }),
    store_version: z.string().meta({
      description: "The store's version: SQLite's library (`3.53.2`), or the PostgreSQL server's (`15.20 (Debian 15.20-0+deb12u1)`).",
      example: '3.53.2',
    }),
    schema: z
      .string()
      .nullable()
      .meta({
        description:
          'The newest migration applied to the database, by its name in `migrations/` (`migrations/postgres/` on PostgreSQL). ' +
          "`null`: one this replica's code does not know, so a newer Reckon has migrated the database since this replica started: upgrade it.",
        example: '0008_long_histories',
      }),
  })
  .meta({ id: 'Health' })

type HealthOut = z.output<typeof Health>

/** The one query of a health check per store: its newest migration (the journal's `when`, stored as `created_at`) and its version. */
const CHECK: Record<Dialect, string> = {
  sqlite: 'SELECT (SELECT MAX(created_at) FROM __drizzle_migrations) AS applied, sqlite_version() AS version',
  postgres: "SELECT (SELECT MAX(created_at) FROM drizzle.__drizzle_migrations) AS applied, current_setting('server_version') AS version",
}

const STORE_NAME: Record<Dialect, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' }

function unavailable(dialect: Dialect, why: string): ProblemError {
  return new ProblemError(
    503,
    'store-unavailable',
    'Service unavailable',
    `The ${STORE_NAME[dialect]} database ${why}: this replica cannot answer requests that read or write it. Retry after ${HEALTH_RETRY_AFTER} seconds.`,
    undefined,
    { 'retry-after': String(HEALTH_RETRY_AFTER) },
  )
}

/** What a failed check may say of its cause: a code (ECONNREFUSED, a SQLSTATE), never a message, which could name the host or worse. */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? ` (${code})` : ''
}

/**
 * The health check: one query, bounded by HEALTH_TIMEOUT_MS. Checks that
 * arrive while one is under way share it, so a poll storm costs the
 * database one query at a time.
 */
function healthCheck(sql: Sql, log: FastifyBaseLogger): () => Promise<HealthOut> {
  const tags = new Map(migrationJournal(sql.dialect === 'sqlite' ? MIGRATIONS_FOLDER : PG_MIGRATIONS_FOLDER).map((e) => [e.when, e.tag]))
  let underWay: Promise<HealthOut> | null = null
  const query = async (): Promise<HealthOut> => {
    try {
      const row = await sql.get<{ applied: number | null; version: string }>(CHECK[sql.dialect])
      const applied = row?.applied ?? null
      return {
        status: 'ok',
        store: sql.dialect,
        store_version: row?.version ?? '',
        schema: applied === null ? null : (tags.get(Number(applied)) ?? null),
      }
    } catch (err) {
      log.warn({ err }, 'health check: the database failed')
      throw unavailable(sql.dialect, `failed to answer${codeOf(err)}`)
    }
  }
  const start = (): Promise<HealthOut> => {
    const started: Promise<HealthOut> = query().finally(() => {
      if (underWay === started) underWay = null
    })
    underWay = started
    return started
  }
  return async () => {
    const shared = underWay ?? start()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A query that hangs (a connection the network dropped silently) is not shared by the next checks: they ask anew.
        if (underWay === shared) underWay = null
        log.warn({ timeoutMs: HEALTH_TIMEOUT_MS }, 'health check: the database did not answer in time')
        reject(unavailable(sql.dialect, `did not answer within ${HEALTH_TIMEOUT_MS / 1000} s`))
      }, HEALTH_TIMEOUT_MS)
    })
    try {
      return await Promise.race([shared, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

const metaRoutes: FastifyPluginAsyncZod = async (app) => {
  const check = healthCheck(app.sql, app.log)
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness and database check',
        description:
          'Answers 200 `{"status":"ok", …}` once the database is open and answering, with the store, its version and the ' +
          `newest migration applied to it; 503 when the database fails or does not answer within ${HEALTH_TIMEOUT_MS / 1000} s. ` +
          'One query a check; checks that arrive together share it. For load balancers and monitors (docs/operators.md).',
        tags: ['meta'],
        response: {
          200: Health,
          503: {
            ...errors[503],
            description: `The database failed or did not answer within ${HEALTH_TIMEOUT_MS / 1000} s (or the server sheds load). Retry after \`Retry-After\` seconds.`,
          },
        },
      },
    },
    async () => check(),
  )

  app.get(
    '/openapi.json',
    {
      config: { public: true },
      schema: {
        operationId: 'getOpenApi',
        summary: 'This API, described in OpenAPI 3.1',
        description: 'The same document as openapi/openapi.json in the repository; Swagger UI at /docs reads it.',
        tags: ['meta'],
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  )
}

export default metaRoutes
