/**
 * The store a benchmark runs on (BENCH_STORE=sqlite|postgres|both, default
 * sqlite) and, for PostgreSQL, the databases it creates for itself through
 * the admin URL in BENCH_DATABASE_URL (a role that may CREATE DATABASE, e.g.
 * postgres://postgres@127.0.0.1:5432/postgres): reckon_bench_<pid>_<random>,
 * created as the PostgreSQL tests create theirs (test/pg/throwaway.ts) and
 * dropped at the end.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export type Store = 'sqlite' | 'postgres'

/** The stores BENCH_STORE names, SQLite first. */
export function benchStores(): Store[] {
  const value = process.env.BENCH_STORE ?? 'sqlite'
  switch (value) {
    case 'sqlite':
      return ['sqlite']
    case 'postgres':
      return ['postgres']
    case 'both':
      return ['sqlite', 'postgres']
    default:
      throw new Error(`BENCH_STORE is "${value}": expected sqlite (the default), postgres or both`)
  }
}

/** BENCH_DATABASE_URL, or an error that says how to set it. */
export function adminUrl(): string {
  const url = process.env.BENCH_DATABASE_URL
  if (url === undefined || url === '') {
    throw new Error(
      'BENCH_DATABASE_URL is not set. On PostgreSQL the benchmarks create and drop databases of their own through it: ' +
        'give the URL of a role that may CREATE DATABASE, e.g. BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres',
    )
  }
  return url
}

/** The admin URL with the database replaced: same host, port, user and password. */
export function databaseUrl(name: string, admin = adminUrl()): string {
  const url = new URL(admin)
  url.pathname = `/${name}`
  return url.toString()
}

/** A name for a database of this run's own. */
export function benchDatabaseName(): string {
  return `reckon_bench_${process.pid}_${randomBytes(4).toString('hex')}`
}

/** Database names are interpolated into SQL: only what needs no quoting. */
function checked(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`"${name}" is not a database name the benchmarks use: [a-z_][a-z0-9_]*`)
  return name
}

async function onAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), application_name: 'reckon-bench' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export async function databaseExists(name: string): Promise<boolean> {
  return onAdmin(async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1)
}

/** A fresh, empty database (UTF8, ICU root as its default collation: Reckon's columns are COLLATE "C" whatever it is). Returns its URL. */
export async function createDatabase(name: string): Promise<string> {
  await onAdmin((c) => c.query(`CREATE DATABASE ${checked(name)} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'und'`))
  return databaseUrl(name)
}

/** Drops the database, cutting the connections still open to it. */
export async function dropDatabase(name: string): Promise<void> {
  await onAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${checked(name)} WITH (FORCE)`))
}
