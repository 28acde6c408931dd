/**
 * Opening the PostgreSQL store (#15, docs/postgresql.md): the URL checked,
 * a pool, one connection at start that says clearly why it failed, the
 * refusal of a database that a newer Reckon has migrated, and the migrations
 * applied under an advisory lock, so that replicas starting together take
 * turns. What SQLite's src/db/client.ts does for a file.
 */
import { fileURLToPath } from 'node:url'
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { DatabaseTooNewError, migrationJournal } from '../client.js'
import * as schema from './schema.js'

export type PgDb = NodePgDatabase<typeof schema> & { $client: pg.Pool }

export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations/postgres', import.meta.url))

/** The advisory lock every Reckon holds while it migrates a database: "RECKON" in ASCII. */
export const MIGRATION_LOCK_KEY = 0x5245434b4f4e

/** The least PostgreSQL Reckon runs on (docs/postgresql.md). */
const MIN_SERVER_VERSION = 150000

const URL_FORM = 'expected postgres://user:password@host:5432/database (or postgresql://…)'

export interface PostgresOptions {
  /**
   * Connections in the pool. 5 by default: about twice the cores of the
   * 2-core machines Reckon is sized for, beyond which queries queue in
   * PostgreSQL instead of in the pool.
   */
  poolSize?: number
  /** How long to wait for a connection, at start and after (ms, default 10,000). */
  connectTimeoutMs?: number
  /** An idle connection of the pool failed (the server restarted, the network dropped it): the pool replaces it. Default: a line on stderr. */
  onIdleError?: (err: Error) => void
}

export interface Postgres {
  pool: pg.Pool
  /** drizzle over the pool, with the PostgreSQL schema. */
  db: PgDb
  /** The database as messages name it: `"reckon" at host:5432 (user postgres)`, never the password. */
  target: string
  /** Ends the pool's connections; once, however often called. */
  close(): Promise<void>
}

/** RECKON_DATABASE_URL is not a PostgreSQL URL Reckon can use. */
export class PostgresUrlError extends Error {
  constructor(problem: string) {
    super(`RECKON_DATABASE_URL ${problem}: ${URL_FORM}.`)
    this.name = 'PostgresUrlError'
  }
}

/** The server could not be reached, or would not open the database. */
export class PostgresUnavailableError extends Error {
  constructor(target: string, reason: string, options?: { cause: unknown }) {
    super(`Cannot open the PostgreSQL database ${target}: ${reason}. Check RECKON_DATABASE_URL.`, options)
    this.name = 'PostgresUnavailableError'
  }
}

/** DatabaseTooNewError for a PostgreSQL database: `instanceof DatabaseTooNewError` holds for both stores. */
export class PostgresTooNewError extends DatabaseTooNewError {
  constructor(target: string, dbMigration: number, codeMigration: number) {
    super(target, dbMigration, codeMigration)
    this.message =
      `The PostgreSQL database ${target} was migrated by a newer version of Reckon ` +
      `(its latest migration is from ${new Date(dbMigration).toISOString()}, ` +
      `this code knows migrations up to ${new Date(codeMigration).toISOString()}). ` +
      'Upgrade Reckon, or point RECKON_DATABASE_URL at another database.'
  }
}

interface Target {
  host: string
  port: string
  database: string
  user: string
}

function describe(t: Target): string {
  return `"${t.database}" at ${t.host}:${t.port}${t.user === '' ? '' : ` (user ${t.user})`}`
}

/** The parts of the URL that messages name. Never the password, nor the URL itself, which may hold it. */
function parseUrl(url: string): Target {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new PostgresUrlError(url.trim() === '' ? 'is empty' : 'is not a valid URL')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PostgresUrlError(`has the scheme "${parsed.protocol.slice(0, 20)}"`)
  }
  let database: string
  let user: string
  try {
    database = decodeURIComponent(parsed.pathname.slice(1))
    user = decodeURIComponent(parsed.username)
  } catch {
    throw new PostgresUrlError('has a malformed %-escape')
  }
  if (database === '' || database.includes('/')) throw new PostgresUrlError('names no database')
  // A Unix socket is given as ?host=/run/postgresql, with no host before the path.
  const host = parsed.hostname || parsed.searchParams.get('host') || ''
  if (host === '') throw new PostgresUrlError('names no host')
  return { host, port: parsed.port || parsed.searchParams.get('port') || '5432', database, user }
}

/**
 * int8 (20) and numeric (1700) as JS numbers, and booleans as 1 and 0, so
 * that a row reads as it does from SQLite (better-sqlite3 answers 1 and 0 to
 * `SELECT a = b` or `SELECT EXISTS …`; no column is a PostgreSQL boolean).
 * Set in pg's global registry, for the whole process: drizzle's node-postgres
 * session looks parsers up there, not in the pool's (`types` of a query).
 */
function installTypeParsers(): void {
  pg.types.setTypeParser(pg.types.builtins.INT8, parseInt8)
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, parseNumeric)
  pg.types.setTypeParser(pg.types.builtins.BOOL, (text: string) => (text === 't' ? 1 : 0))
}

function tooBig(text: string): RangeError {
  return new RangeError(
    `PostgreSQL returned ${text}, beyond what a JavaScript number holds exactly (±${Number.MAX_SAFE_INTEGER}): refused rather than rounded`,
  )
}

/** Identity columns stop at Number.MAX_SAFE_INTEGER (schema.ts); a sum or a product could pass it, and is refused. */
function parseInt8(text: string): number {
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw tooBig(text)
  return n
}

/** numeric is what PostgreSQL makes of SUM(bigint), AVG() and decimal literals: a double, as SQLite's REAL. */
function parseNumeric(text: string): number {
  const n = Number(text)
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) throw tooBig(text)
  return n
}

/** Why a connection failed, in words, from the error pg or the socket gave. */
function reasonOf(err: unknown, t: Target, timeoutMs: number): string {
  // Node 20 tries each address of a name in turn and reports all of them in an AggregateError.
  const first = err instanceof AggregateError && err.errors.length > 0 ? (err.errors[0] as unknown) : err
  const e = (first ?? {}) as { code?: unknown; message?: unknown }
  const code =
    typeof e.code === 'string' ? e.code : typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : ''
  const message = typeof e.message === 'string' ? e.message : String(err)
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED): no PostgreSQL server listens on that host and port'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name ${t.host} does not resolve (${code})`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the server does not answer (${code})`
    case '3D000':
      return `the database does not exist; create it (createdb -h ${t.host} -p ${t.port} ${t.database}) or name another`
    case '28P01':
      return 'password authentication failed'
    case '28000':
    case '57P03':
      return message
  }
  if (/timeout/i.test(message))
    return `no connection within ${timeoutMs / 1000} s (is the host right, and does a firewall let the port through?)`
  return code === '' ? message : `${message} (${code})`
}

function latestKnownMigration(): number {
  return Math.max(0, ...migrationJournal(PG_MIGRATIONS_FOLDER).map((e) => e.when))
}

async function latestAppliedMigration(client: pg.PoolClient): Promise<number | null> {
  const present = await client.query<{ present: number }>("SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present")
  if (present.rows[0]?.present !== 1) return null
  const latest = await client.query<{ at: number | null }>('SELECT MAX(created_at) AS at FROM drizzle.__drizzle_migrations')
  return latest.rows[0]?.at ?? null
}

/** The server and the database are ones Reckon can store text in and run its SQL on. */
async function checkServer(client: pg.PoolClient, target: string): Promise<void> {
  const { rows } = await client.query<{ version: string; num: string; encoding: string }>(
    "SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num, pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()",
  )
  const row = rows[0]
  if (row === undefined) throw new PostgresUnavailableError(target, 'the server does not list the database it opened')
  if (Number(row.num) < MIN_SERVER_VERSION) {
    throw new PostgresUnavailableError(target, `the server runs PostgreSQL ${row.version}; Reckon needs 15 or later`)
  }
  if (row.encoding !== 'UTF8') {
    throw new PostgresUnavailableError(
      target,
      `the database's encoding is ${row.encoding}; Reckon stores Unicode text and needs UTF8 (createdb -E UTF8 -T template0 …)`,
    )
  }
}

/**
 * Under the advisory lock, on one connection: refuse a database newer than
 * the code, then apply what is missing (drizzle's migrator, one transaction).
 * A replica that waited for the lock finds the migrations applied.
 */
async function migrateLocked(client: pg.PoolClient, target: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
  try {
    const known = latestKnownMigration()
    const applied = await latestAppliedMigration(client)
    if (applied !== null && applied > known) throw new PostgresTooNewError(target, applied, known)
    await migrate(drizzle({ client, schema }), { migrationsFolder: PG_MIGRATIONS_FOLDER })
  } catch (err) {
    // The first failure says more. A connection that cannot unlock is destroyed (openPostgres), which unlocks.
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined)
    throw err
  }
  await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
}

/** The app's PostgreSQL store: validate the URL, connect once, refuse a newer database, migrate. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Postgres> {
  const t = parseUrl(url)
  const target = describe(t)
  const poolSize = options.poolSize ?? 5
  if (!Number.isInteger(poolSize) || poolSize < 1)
    throw new RangeError(`poolSize must be a whole number of connections, at least 1 (got ${poolSize})`)
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
  installTypeParsers()
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'reckon',
    keepAlive: true,
  })
  const onIdleError =
    options.onIdleError ??
    ((err: Error) => process.stderr.write(`reckon: an idle PostgreSQL connection to ${target} failed: ${err.message}\n`))
  pool.on('error', onIdleError)
  let ended: Promise<void> | undefined
  const close = () => (ended ??= pool.end())
  try {
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (err) {
      throw new PostgresUnavailableError(target, reasonOf(err, t, connectTimeoutMs), { cause: err })
    }
    // Lost between two queries, the connection would emit an error nothing listens to: the next query says why.
    const ignore = () => undefined
    client.on('error', ignore)
    let failure: unknown
    try {
      await checkServer(client, target)
      await migrateLocked(client, target)
    } catch (err) {
      failure = err
      throw err
    } finally {
      client.off('error', ignore)
      // A connection that failed mid-way may still hold the lock or a transaction: destroyed, not reused.
      client.release(failure instanceof Error ? failure : undefined)
    }
  } catch (err) {
    await close()
    throw err
  }
  return { pool, db: drizzle({ client: pool, schema }), target, close }
}
