/**
 * A PostgreSQL database of the test's own: created empty from the admin URL
 * in RECKON_TEST_DATABASE_URL, dropped at teardown (docs/postgresql.md).
 * Names are unique per process and call, and CREATE DATABASE from template0
 * takes no lock another test file waits on, so tap's parallel files each
 * have theirs.
 *
 * Each database sorts text linguistically by default (ICU's root locale:
 * 'a' < 'B'), unlike a bytewise "C" database: a column or an expression that
 * escapes COLLATE "C" then answers differently from SQLite, and a test sees it.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Teardown } from '../helper.js'

export interface ThrowawayDatabase {
  /** reckon_test_<pid>_<random>: leftovers of a killed run are easy to find (docs/postgresql.md). */
  name: string
  /** The admin URL with the database replaced: same host, port, user and password. */
  url: string
}

/** RECKON_TEST_DATABASE_URL, or an error that says how to set it. */
export function adminUrl(): string {
  const url = process.env.RECKON_TEST_DATABASE_URL
  if (url === undefined || url === '') {
    throw new Error(
      'RECKON_TEST_DATABASE_URL is not set. The PostgreSQL tests create and drop databases of their own through it: ' +
        'give the URL of a role that may CREATE DATABASE, e.g. ' +
        'RECKON_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:pg',
    )
  }
  return url
}

/** One statement on a connection of its own to `url` (the admin URL unless given). */
export async function onConnection<T>(fn: (client: pg.Client) => Promise<T>, url = adminUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'reckon-tests' })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A fresh, empty database (UTF8, ICU root as its default collation), dropped with its connections at teardown. */
export async function throwawayDatabase(t: Teardown): Promise<ThrowawayDatabase> {
  const admin = adminUrl()
  const name = `reckon_test_${process.pid}_${randomBytes(6).toString('hex')}`
  await onConnection(
    (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'und'`),
    admin,
  )
  t.teardown(() => onConnection((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), admin))
  const url = new URL(admin)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}
