/**
 * npm run backup -- <file>: a consistent copy of the database (RECKON_DB),
 * taken with SQLite's online backup API while the server keeps serving.
 * Restore: stop the server, put the file in place of RECKON_DB (and delete
 * any -wal/-shm files beside it), start the server.
 */
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { loadConfig } from '../src/config.js'
import { isEntryPoint } from './entry-point.js'

export async function backup(source: string, target: string): Promise<{ pages: number; integrity: string }> {
  if (source === ':memory:') throw new Error('RECKON_DB is :memory:: there is nothing on disk to back up')
  if (!existsSync(source)) throw new Error(`no database at ${source}`)
  const db = new Database(source, { fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    // Copies in steps, so writers are held up for one step at a time, not the whole copy.
    const result = await db.backup(target, { progress: () => 1000 })
    const copy = new Database(target, { readonly: true })
    try {
      return { pages: result.totalPages, integrity: String(copy.pragma('integrity_check', { simple: true })) }
    } finally {
      copy.close()
    }
  } finally {
    db.close()
  }
}

if (isEntryPoint(import.meta.url)) {
  const target = process.argv[2]
  if (!target) {
    console.error('usage: npm run backup -- <file>')
    process.exit(2)
  }
  try {
    const { pages, integrity } = await backup(loadConfig().dbPath, target)
    console.log(`backed up ${pages} pages to ${target}; integrity_check: ${integrity}`)
    if (integrity !== 'ok') process.exit(1)
  } catch (err) {
    console.error(err instanceof Error ? err.message : err)
    process.exit(1)
  }
}
