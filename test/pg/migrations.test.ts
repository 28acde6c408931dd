/** openPostgres on a fresh database: the migrations, once, under the advisory lock; a database newer than the code is refused. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { getTableConfig } from 'drizzle-orm/pg-core'
import t from 'tap'
import { DatabaseTooNewError } from '../../src/db/client.js'
import { MIGRATION_LOCK_KEY, PG_MIGRATIONS_FOLDER, PostgresTooNewError, openPostgres, type Postgres } from '../../src/db/pg/client.js'
import * as pgSchema from '../../src/db/pg/schema.js'
import { type Teardown } from '../helper.js'
import { onConnection, throwawayDatabase } from './throwaway.js'

const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
  entries: Array<{ when: number; tag: string }>
}
const newestKnown = Math.max(...journal.entries.map((e) => e.when))

async function open(t: Teardown, url: string): Promise<Postgres> {
  const store = await openPostgres(url)
  t.teardown(() => store.close())
  return store
}

async function appliedMigrations(store: Postgres): Promise<Array<{ hash: string; created_at: number }>> {
  return (
    await store.pool.query<{ hash: string; created_at: number }>('SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id')
  ).rows
}

async function publicTables(store: Postgres): Promise<string[]> {
  const { rows } = await store.pool.query<{ name: string }>(
    'SELECT tablename AS name FROM pg_tables WHERE schemaname = \'public\' ORDER BY tablename COLLATE "C"',
  )
  return rows.map((r) => r.name)
}

const schemaTables = Object.values(pgSchema)
  .map((table) => getTableConfig(table).name)
  .sort()

t.test('the migrations apply on an empty database, and opening again applies nothing', async (t) => {
  const { url } = await throwawayDatabase(t)
  const store = await open(t, url)
  t.strictSame(await publicTables(store), schemaTables, 'every table of the schema, and no other')
  t.strictSame(
    (await appliedMigrations(store)).map((m) => m.created_at),
    journal.entries.map((e) => e.when),
    'each migration of the journal applied, in order',
  )
  const fn = await store.pool.query<{ volatility: string }>("SELECT provolatile AS volatility FROM pg_proc WHERE proname = 'unicode_lower'")
  t.strictSame(fn.rows, [{ volatility: 'i' }], 'unicode_lower exists, immutable')
  await store.close()

  const again = await open(t, url)
  t.equal((await appliedMigrations(again)).length, journal.entries.length, 'none applied twice')
  t.strictSame(await publicTables(again), schemaTables)
})

t.test('three replicas opening one fresh database at once all start, and each migration is applied once', async (t) => {
  const { url } = await throwawayDatabase(t)
  const stores = await Promise.all([1, 2, 3].map(() => open(t, url)))
  t.equal(stores.length, 3)
  const applied = await appliedMigrations(stores[0] as Postgres)
  t.strictSame(
    applied.map((m) => m.created_at),
    journal.entries.map((e) => e.when),
  )
  t.equal(new Set(applied.map((m) => m.hash)).size, journal.entries.length, 'no migration recorded twice')
  for (const store of stores) t.strictSame(await publicTables(store), schemaTables)
})

t.test('openPostgres waits for the migration lock another replica holds', async (t) => {
  const { url } = await throwawayDatabase(t)
  await onConnection(async (holder) => {
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    let opened = false
    const opening = openPostgres(url).then((store) => {
      opened = true
      t.teardown(() => store.close())
      return store
    })
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.equal(opened, false, 'not open while the lock is held')
    const tables = await holder.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")
    t.strictSame(tables.rows, [{ n: 0 }], 'and nothing migrated')
    await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    const store = await opening
    t.strictSame(await publicTables(store), schemaTables, 'migrated once the lock is free')
  }, url)
})

t.test('a database migrated by a newer Reckon is refused with a clear message that hides the password', async (t) => {
  const { url } = await throwawayDatabase(t)
  await (await openPostgres(url)).close()
  const newer = newestKnown + 365 * 86_400_000
  await onConnection((c) => c.query('INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)', ['future', newer]), url)
  const withPassword = new URL(url)
  withPassword.password = 'sw0rdfish'
  const err = await openPostgres(withPassword.toString()).then(
    () => null,
    (e: unknown) => e,
  )
  t.ok(err instanceof PostgresTooNewError, 'a PostgresTooNewError')
  t.ok(err instanceof DatabaseTooNewError, 'which is a DatabaseTooNewError, as on SQLite')
  const message = (err as Error).message
  t.match(
    message,
    /^The PostgreSQL database "reckon_test_\w+" at 127\.0\.0\.1:5432 \(user postgres\) was migrated by a newer version of Reckon/,
  )
  t.match(message, new Date(newer).toISOString())
  t.match(message, new Date(newestKnown).toISOString())
  t.match(message, /Upgrade Reckon, or point RECKON_DATABASE_URL at another database\./)
  t.notMatch(message, /sw0rdfish/)
  const rows = await onConnection((c) => c.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations'), url)
  t.strictSame(rows.rows, [{ n: journal.entries.length + 1 }], 'nothing applied')
  const locks = await onConnection(
    (c) =>
      c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      ),
    url,
  )
  t.strictSame(locks.rows, [{ n: 0 }], 'and the lock released')
})
