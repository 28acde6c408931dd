/**
 * Opening the database: pragmas, migrations, and the refusal to run against
 * a database that a newer Reckon has migrated (contract §0).
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.js'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url))

export class DatabaseTooNewError extends Error {
  constructor(path: string, dbMigration: number, codeMigration: number) {
    super(
      `The database ${path} was migrated by a newer version of Reckon ` +
        `(its latest migration is from ${new Date(dbMigration).toISOString()}, ` +
        `this code knows migrations up to ${new Date(codeMigration).toISOString()}). ` +
        'Upgrade Reckon, or point RECKON_DB at another file.',
    )
    this.name = 'DatabaseTooNewError'
  }
}

/** A migration as drizzle-kit's journal lists it: `when` is what the migrator stores as its `created_at`. */
export interface JournalEntry {
  when: number
  tag: string
}

/** The migrations of a folder (this one, or PostgreSQL's), oldest first. */
export function migrationJournal(folder: string): JournalEntry[] {
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as { entries: JournalEntry[] }
  return journal.entries.map(({ when, tag }) => ({ when, tag }))
}

function latestKnownMigration(): number {
  return Math.max(0, ...migrationJournal(MIGRATIONS_FOLDER).map((e) => e.when))
}

function latestAppliedMigration(sqlite: Database.Database): number | null {
  const table = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get()
  if (!table) return null
  const row = sqlite.prepare('SELECT MAX(created_at) AS at FROM __drizzle_migrations').get() as {
    at: number | null
  }
  return row.at
}

/**
 * A connection to the database as every connection of this process has it:
 * the file (WAL), the pragmas and the functions. The bulk-claims worker
 * (services/bulk-claims-worker) opens its own with this, beside the app's.
 */
export function connect(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path)
  try {
    if (path !== ':memory:') sqlite.pragma('journal_mode = WAL')
    // FULL: every commit is on disk (the WAL fsynced) before the write is
    // acknowledged, so a power cut loses no acknowledged write; NORMAL would
    // lose the last commits then (a process crash loses none either way).
    // Measured here: 0.5 ms a commit against 0.09 — one commit per request
    // or bulk batch, never per claim. README: Durability.
    sqlite.pragma('synchronous = FULL')
    sqlite.pragma('foreign_keys = ON')
    sqlite.pragma('busy_timeout = 5000')
    // 64 MiB of page cache (SQLite's default is 2 MiB): the indexes and upper pages of the tables
    // a summary or a list reads stay in memory, so a random event costs one page read, not several.
    // Measured on 100,000 events: 90 µs of CPU a random summary against 130, RSS 195 MiB against 145.
    sqlite.pragma('cache_size = -65536')
    // SQLite's lower() folds A–Z only; searches must fold É and Н as well.
    sqlite.function('unicode_lower', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? text.toLowerCase() : text))
    return drizzle({ client: sqlite, schema })
  } catch (err) {
    sqlite.close()
    throw err
  }
}

/** The app's connection: connect, refuse a database newer than the code, and apply the migrations. */
export function openDatabase(path: string): Db {
  const db = connect(path)
  const sqlite = db.$client
  try {
    const known = latestKnownMigration()
    const applied = latestAppliedMigration(sqlite)
    if (applied !== null && applied > known) throw new DatabaseTooNewError(path, applied, known)
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
    return db
  } catch (err) {
    sqlite.close()
    throw err
  }
}
