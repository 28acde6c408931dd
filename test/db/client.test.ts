import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { DatabaseTooNewError, MIGRATIONS_FOLDER, openDatabase } from '../../src/db/client.js'
import { tempDir } from '../helper.js'

t.test('opening creates the folder, applies migrations, and is repeatable', async (t) => {
  const path = join(tempDir(t, 'db'), 'a', 'b', 'reckon.db')
  const db = openDatabase(path)
  const tables = db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
  t.ok(['actors', 'claims', 'events', 'retractions', 'sources', 'changes', 'aliases'].every((n) => tables.some((r) => r.name === n)))
  t.equal(db.$client.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.$client.pragma('foreign_keys', { simple: true }), 1)
  db.$client.close()
  const again = openDatabase(path)
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
  const applied = (again.$client.prepare('SELECT COUNT(*) AS n FROM __drizzle_migrations').get() as { n: number }).n
  t.equal(applied, journal.entries.length, 'every migration applied once, none twice')
  again.$client.close()
})

t.test('a database migrated by a newer Reckon is refused with a clear message', async (t) => {
  const path = join(tempDir(t, 'db'), 'reckon.db')
  openDatabase(path).$client.close()
  const raw = new Database(path)
  raw.prepare('INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)').run('future', Date.now() + 365 * 86_400_000)
  raw.close()
  t.throws(() => openDatabase(path), DatabaseTooNewError)
  t.throws(() => openDatabase(path), /migrated by a newer version of Reckon/)
})
