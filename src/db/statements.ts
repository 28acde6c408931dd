/**
 * Prepared statements, one per database and SQL text: prepared on first use
 * and reused after. Hot paths (a claim's change-log row, a list page) and
 * statements built from a combination of filters all go through here, so
 * that "prepare once" is written once.
 */
import type Database from 'better-sqlite3'
import type { Db } from './client.js'

const byDatabase = new WeakMap<Db, Map<string, Database.Statement>>()

export function prepared(db: Db, sql: string): Database.Statement {
  let statements = byDatabase.get(db)
  if (statements === undefined) {
    statements = new Map()
    byDatabase.set(db, statements)
  }
  let statement = statements.get(sql)
  if (statement === undefined) {
    statement = db.$client.prepare(sql)
    statements.set(sql, statement)
  }
  return statement
}
