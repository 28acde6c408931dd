/**
 * The store the suite runs on. `npm test`: SQLite, a fresh in-memory database
 * per app. `npm run test:postgres` (RECKON_TEST_STORE=postgres): PostgreSQL,
 * a fresh database per app, copied from a template this test file migrates
 * once (docs/postgresql.md); a file path a test gives stands for one
 * database, shared by the apps that open it, as a file is.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import tap from 'tap'
import { openPostgres } from '../src/db/pg/client.js'
import { adminUrl, onConnection } from './pg/throwaway.js'

/** The suite runs on PostgreSQL. */
export const ON_POSTGRES = process.env.RECKON_TEST_STORE === 'postgres'

/** Where an app keeps its data: buildApp's `dbPath` and `databaseUrl`. */
export interface StoreConfig {
  dbPath: string
  databaseUrl?: string
}

const prefix = `reckon_test_${process.pid}_${randomBytes(3).toString('hex')}`
let made = 0
/** The migrated template of this file's databases, once made. */
let template: Promise<string> | null = null
/** The database standing for each file path given. */
const byPath = new Map<string, Promise<string>>()

function urlOf(name: string): string {
  const url = new URL(adminUrl())
  url.pathname = `/${name}`
  return url.toString()
}

async function create(name: string, from: string): Promise<string> {
  await onConnection((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${from}`))
  tap.teardown(() => onConnection((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
  return name
}

function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `${prefix}_template`
    await onConnection((c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'und'`))
    tap.teardown(() => onConnection((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))
    const opened = await openPostgres(urlOf(name))
    await opened.close() // a template has no connections while it is copied
    return name
  })()
  return template
}

/** The store of a new app: a fresh database, or the one a file path stands for (`dbPath` other than ':memory:'). */
export async function testStore(dbPath = ':memory:'): Promise<StoreConfig> {
  if (!ON_POSTGRES) return { dbPath }
  const fresh = async () => create(`${prefix}_${++made}`, await migratedTemplate())
  let name: Promise<string>
  if (dbPath === ':memory:') name = fresh()
  else {
    name = byPath.get(dbPath) ?? fresh()
    byPath.set(dbPath, name)
  }
  return { dbPath, databaseUrl: urlOf(await name) }
}

/** A trigger that makes the store refuse a write, as a full disk or a broken constraint would: `when` is a condition on NEW. */
export async function refuse(
  app: FastifyInstance,
  trigger: { name: string; before: 'INSERT' | 'UPDATE'; table: string; when?: string; message: string },
): Promise<void> {
  const { name, before, table, when, message } = trigger
  const statements =
    app.sql.dialect === 'sqlite'
      ? [`CREATE TRIGGER ${name} BEFORE ${before} ON ${table} ${when ? `WHEN ${when}` : ''} BEGIN SELECT RAISE(ABORT, '${message}'); END`]
      : [
          `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$`,
          `CREATE TRIGGER ${name} BEFORE ${before} ON ${table} FOR EACH ROW ${when ? `WHEN (${when})` : ''} EXECUTE FUNCTION ${name}()`,
        ]
  // On the app's connection, so through its write gate, as every write of it.
  await app.writes.now(async () => {
    for (const statement of statements) await app.sql.run(statement)
  })
}
