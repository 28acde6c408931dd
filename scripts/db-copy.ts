/**
 * npm run db:copy: moves a SQLite database (RECKON_DB) into an empty
 * PostgreSQL database (RECKON_DATABASE_URL), every row of every table as it
 * is — ids, recorded_at, the change log's seq, the rowid of claims and
 * retractions, keys, idempotency records and the derived tables — so that a
 * Reckon started on PostgreSQL afterwards answers as it did on SQLite
 * (#15, docs/postgresql.md).
 *
 *   RECKON_DB=data/reckon.db RECKON_DATABASE_URL=postgres://… npm run db:copy
 *
 * The source is read in one read transaction (a consistent snapshot, even
 * while a server writes to it) and never written; it must be migrated to
 * this Reckon's schema, no more and no less. The target is migrated
 * (openPostgres) and must hold no rows. Every table is copied in one
 * PostgreSQL transaction, all or nothing, in multi-row INSERTs; identity
 * values are kept (OVERRIDING SYSTEM VALUE) and each identity restarts past
 * the largest copied, so new writes continue the seq.
 *
 * The tables and columns are those of the two drizzle schemas
 * (src/db/schema.ts, src/db/pg/schema.ts), checked to match.
 */
import { existsSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { is } from 'drizzle-orm'
import { PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core'
import { SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core'
import type pg from 'pg'
import { loadConfig } from '../src/config.js'
import { DatabaseTooNewError, MIGRATIONS_FOLDER } from '../src/db/client.js'
import { openPostgres } from '../src/db/pg/client.js'
import * as pgSchema from '../src/db/pg/schema.js'
import * as sqliteSchema from '../src/db/schema.js'
import { isEntryPoint } from './entry-point.js'

const USAGE = 'usage: RECKON_DB=<file> RECKON_DATABASE_URL=postgres://user:password@host:5432/database npm run db:copy'

/** The command was called wrongly (exit 2). */
export class UsageError extends Error {}

/** The copy was refused or failed, with a message for the operator (exit 1). */
export class CopyError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options)
    this.name = 'CopyError'
  }
}

export interface CopiedTable {
  name: string
  rows: number
  ms: number
}

export interface CopyReport {
  source: string
  /** The PostgreSQL database as messages name it (never the password). */
  target: string
  /** In the order copied. */
  tables: CopiedTable[]
  rows: number
  /** From opening the source to the commit. */
  ms: number
}

export interface CopyOptions {
  /** The SQLite file (RECKON_DB). */
  from: string
  /** The PostgreSQL URL (RECKON_DATABASE_URL). */
  to: string
  /** Rows per INSERT, at most; fewer where the table's columns would pass PostgreSQL's 65,535 parameters. Default 1,000. */
  rowsPerInsert?: number
  /** Called as each table is copied (not yet committed). */
  onTable?: (table: CopiedTable) => void
}

/** PostgreSQL's limit on the parameters of one statement. */
const MAX_PARAMETERS = 65_535

/** A table as the copy reads and writes it. */
interface Plan {
  name: string
  /** The PostgreSQL columns, in the schema's order. */
  columns: string[]
  /** The SQLite SELECT giving those columns in that order, parents before children. */
  select: string
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

function tablesOf<T>(module: object, isTable: (v: unknown) => v is T, nameOf: (t: T) => string): Map<string, T> {
  return new Map((Object.values(module) as unknown[]).filter(isTable).map((table) => [nameOf(table), table] as const))
}

const sqliteTables = tablesOf(
  sqliteSchema,
  (v): v is SQLiteTable => is(v, SQLiteTable),
  (t) => sqliteTableConfig(t).name,
)
const pgTables = tablesOf(
  pgSchema,
  (v): v is PgTable => is(v, PgTable),
  (t) => pgTableConfig(t).name,
)

/**
 * The tables in an order that inserts every row after the rows it
 * references in other tables, with the columns each side has. The schemas
 * must match table for table and column for column; the one column
 * PostgreSQL may add is `rowid`, SQLite's implicit one made explicit.
 */
function tablePlans(): Array<{ name: string; columns: string[]; selfReferences: Array<[column: string, key: string]> }> {
  const onlySqlite = [...sqliteTables.keys()].filter((name) => !pgTables.has(name))
  const onlyPg = [...pgTables.keys()].filter((name) => !sqliteTables.has(name))
  if (onlySqlite.length > 0 || onlyPg.length > 0) {
    throw new Error(
      `the SQLite and PostgreSQL schemas differ: tables only in SQLite: ${onlySqlite.join(', ') || 'none'}; only in PostgreSQL: ${onlyPg.join(', ') || 'none'}`,
    )
  }
  const plans = new Map<string, { name: string; columns: string[]; selfReferences: Array<[string, string]>; after: Set<string> }>()
  for (const [name, pgTable] of pgTables) {
    const pgConfig = pgTableConfig(pgTable)
    const liteColumns = sqliteTableConfig(sqliteTables.get(name) as SQLiteTable).columns.map((c) => c.name)
    const columns = pgConfig.columns.map((c) => c.name)
    const missing = liteColumns.filter((c) => !columns.includes(c))
    const extra = columns.filter((c) => !liteColumns.includes(c) && c !== 'rowid')
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `the SQLite and PostgreSQL schemas differ on ${name}: columns only in SQLite: ${missing.join(', ') || 'none'}; only in PostgreSQL: ${extra.join(', ') || 'none'}`,
      )
    }
    const after = new Set<string>()
    const selfReferences: Array<[string, string]> = []
    for (const fk of pgConfig.foreignKeys) {
      const ref = fk.reference()
      const foreign = pgTableConfig(ref.foreignTable).name
      if (foreign !== name) after.add(foreign)
      else if (ref.columns.length === 1 && ref.foreignColumns.length === 1)
        selfReferences.push([(ref.columns[0] as { name: string }).name, (ref.foreignColumns[0] as { name: string }).name])
      else throw new Error(`${name}: a self-reference of several columns, which db:copy does not order`)
    }
    plans.set(name, { name, columns, selfReferences, after })
  }
  // Referenced tables first (Kahn's algorithm), in schema order otherwise.
  const ordered: Array<{ name: string; columns: string[]; selfReferences: Array<[string, string]> }> = []
  const done = new Set<string>()
  while (ordered.length < plans.size) {
    const next = [...plans.values()].find((p) => !done.has(p.name) && [...p.after].every((a) => done.has(a)))
    if (next === undefined)
      throw new Error('the PostgreSQL schema has a cycle of foreign keys between tables, which db:copy does not order')
    done.add(next.name)
    ordered.push({ name: next.name, columns: next.columns, selfReferences: next.selfReferences })
  }
  return ordered
}

/**
 * The SQLite SELECT of a table: its rows in insertion order (rowid), or in
 * primary-key order for a WITHOUT ROWID table. A table whose rows reference
 * rows of the same table (an actor's parent, the claim a claim supersedes)
 * keeps insertion order if every reference points to an earlier row (claims
 * always do: they are never updated), and otherwise goes parents first.
 */
function selectOf(lite: Database.Database, plan: ReturnType<typeof tablePlans>[number]): string {
  const table = quote(plan.name)
  const hasRowid =
    (lite.prepare('SELECT wr FROM pragma_table_list WHERE schema = ? AND name = ?').pluck().get('main', plan.name) as
      number | undefined) === 0
  const columns = plan.columns.map((c) => (c === 'rowid' ? 't.rowid' : `t.${quote(c)}`)).join(', ')
  if (plan.selfReferences.length === 0) return `SELECT ${columns} FROM ${table} AS t${hasRowid ? ' ORDER BY t.rowid' : ''}`
  const [reference, ...more] = plan.selfReferences
  if (!hasRowid || reference === undefined || more.length > 0)
    throw new Error(`${plan.name}: db:copy orders one self-reference of a rowid table only`)
  const [column, key] = [quote(reference[0]), quote(reference[1])]
  const forward = lite
    .prepare(`SELECT EXISTS (SELECT 1 FROM ${table} AS c JOIN ${table} AS p ON p.${key} = c.${column} WHERE p.rowid > c.rowid)`)
    .pluck()
    .get()
  if (forward === 0) return `SELECT ${columns} FROM ${table} AS t ORDER BY t.rowid`
  return `WITH RECURSIVE tree(k, depth) AS (
      SELECT ${key}, 0 FROM ${table} WHERE ${column} IS NULL
      UNION ALL SELECT c.${key}, tree.depth + 1 FROM ${table} AS c JOIN tree ON c.${column} = tree.k)
    SELECT ${columns} FROM ${table} AS t JOIN tree ON t.${key} = tree.k ORDER BY tree.depth, t.rowid`
}

/** The source is a Reckon database migrated exactly to this code's schema: not older (missing columns), not newer (unknown ones). */
function checkSource(lite: Database.Database, path: string): void {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as { entries: Array<{ when: number }> }
  const known = journal.entries.map((e) => e.when)
  const newestKnown = Math.max(0, ...known)
  const present = lite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get()
  if (present === undefined) throw new CopyError(`${path} is not a Reckon database (it has no migrations table): nothing to copy.`)
  const applied = new Set(lite.prepare('SELECT created_at FROM __drizzle_migrations').pluck().all() as number[])
  const newest = Math.max(0, ...applied)
  if (newest > newestKnown) throw new DatabaseTooNewError(path, newest, newestKnown)
  const missing = known.filter((when) => !applied.has(when))
  if (missing.length > 0) {
    throw new CopyError(
      `The database ${path} is not migrated to this Reckon's schema (${known.length - missing.length} of its ${known.length} migrations applied): ` +
        'start this version of Reckon on it once (it migrates at start), stop it, then copy.',
    )
  }
}

function insertText(table: string, columns: string[], identity: boolean, rows: number): string {
  const tuples: string[] = []
  for (let r = 0, n = 0; r < rows; r++) tuples.push(`(${columns.map(() => `$${++n}`).join(', ')})`)
  return `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) ${identity ? 'OVERRIDING SYSTEM VALUE ' : ''}VALUES ${tuples.join(', ')}`
}

/** Copies one table's rows on `client` (inside the transaction); returns how many. */
async function copyTable(
  client: pg.PoolClient,
  lite: Database.Database,
  plan: Plan,
  identity: boolean,
  rowsPerInsert: number,
): Promise<number> {
  const perInsert = Math.max(1, Math.min(rowsPerInsert, Math.floor(MAX_PARAMETERS / plan.columns.length)))
  const full = { name: `db_copy_${plan.name}_${perInsert}`, text: insertText(plan.name, plan.columns, identity, perInsert) }
  let inserted = 0
  // One INSERT runs while the next chunk is read from SQLite and sent (pg queues it on the connection): two at most.
  let inFlight: Promise<pg.QueryResult> | undefined
  for (const [values, rows] of chunks(lite.prepare(plan.select), perInsert)) {
    const next =
      rows === perInsert
        ? client.query({ ...full, values })
        : client.query({ text: insertText(plan.name, plan.columns, identity, rows), values })
    next.catch(() => undefined) // awaited below; meanwhile its failure is not an unhandled rejection
    if (inFlight !== undefined) inserted += (await inFlight).rowCount ?? 0
    inFlight = next
  }
  if (inFlight !== undefined) inserted += (await inFlight).rowCount ?? 0
  return inserted
}

/** The rows of a SELECT, `perChunk` at a time, as one flat array of values each (integers exact: BigInts as text). */
function* chunks(select: Database.Statement, perChunk: number): Generator<[values: unknown[], rows: number]> {
  let values: unknown[] = []
  let rows = 0
  for (const row of select.raw(true).safeIntegers(true).iterate() as IterableIterator<unknown[]>) {
    for (const v of row) values.push(typeof v === 'bigint' ? v.toString() : v)
    if (++rows === perChunk) {
      yield [values, rows]
      values = []
      rows = 0
    }
  }
  if (rows > 0) yield [values, rows]
}

/** Copies the SQLite database `from` into the empty PostgreSQL database `to` (see the top of this file). */
export async function copyDatabase(options: CopyOptions): Promise<CopyReport> {
  const { from, to, rowsPerInsert = 1000, onTable } = options
  const started = performance.now()
  if (from === ':memory:') throw new CopyError('RECKON_DB is :memory:: there is no database on disk to copy.')
  if (!existsSync(from)) throw new CopyError(`No database at ${from}: set RECKON_DB to the SQLite file to copy.`)
  const lite = new Database(from, { readonly: true, fileMustExist: true })
  try {
    lite.pragma('busy_timeout = 5000')
    checkSource(lite, from)
    const ordered = tablePlans()
    // One read transaction: every table as of one moment, even while a server writes to the file.
    lite.exec('BEGIN')
    const plans: Plan[] = ordered.map((p) => ({ name: p.name, columns: p.columns, select: selectOf(lite, p) }))
    const counts = new Map(
      plans.map(
        (p) =>
          [
            p.name,
            Number(
              lite
                .prepare(`SELECT COUNT(*) FROM ${quote(p.name)}`)
                .pluck()
                .get(),
            ),
          ] as const,
      ),
    )
    // The largest key each AUTOINCREMENT table (changes) has handed out, which may pass its largest row's.
    const autoincrement = new Map(
      lite.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get() === undefined
        ? []
        : (lite.prepare('SELECT name, seq FROM sqlite_sequence').raw(true).all() as Array<[string, number]>),
    )

    const store = await openPostgres(to, { poolSize: 1 })
    try {
      const client = await store.pool.connect()
      let broken: Error | undefined
      let tables: CopiedTable[]
      try {
        await client.query('BEGIN')
        try {
          tables = await copyTables(client, lite, plans, { counts, autoincrement, target: store.target, rowsPerInsert, onTable })
          await client.query('COMMIT')
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
            broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr)) // the connection is not reused
          })
          throw err
        }
        // Fresh statistics for the planner, which would otherwise plan on empty tables until autovacuum comes by. Not the copy's: a failure is ignored.
        await client.query(`ANALYZE ${plans.map((p) => quote(p.name)).join(', ')}`).catch(() => undefined)
      } finally {
        client.release(broken)
      }
      lite.exec('COMMIT')
      return { source: from, target: store.target, tables, rows: tables.reduce((n, t) => n + t.rows, 0), ms: performance.now() - started }
    } finally {
      await store.close()
    }
  } finally {
    lite.close()
  }
}

/** Inside the PostgreSQL transaction: the target checked empty, then every table copied and its identities restarted. */
async function copyTables(
  client: pg.PoolClient,
  lite: Database.Database,
  plans: Plan[],
  context: {
    counts: Map<string, number>
    autoincrement: Map<string, number>
    target: string
    rowsPerInsert: number
    onTable: ((table: CopiedTable) => void) | undefined
  },
): Promise<CopiedTable[]> {
  // No one else writes to the tables until the copy commits; readers may go on.
  await client.query(`LOCK TABLE ${plans.map((p) => quote(p.name)).join(', ')} IN EXCLUSIVE MODE`)
  const holding = await client.query<{ name: string }>(
    plans.map((p) => `SELECT '${p.name}' AS name WHERE EXISTS (SELECT 1 FROM ${quote(p.name)})`).join(' UNION ALL '),
  )
  if (holding.rows.length > 0) {
    throw new CopyError(
      `The PostgreSQL database ${context.target} already holds data (in ${holding.rows.map((r) => r.name).join(', ')}): ` +
        'db:copy copies into an empty database only; point RECKON_DATABASE_URL at a new one (createdb) and copy again.',
    )
  }
  const identities = await client.query<{ table: string; column: string }>(
    `SELECT table_name AS table, column_name AS column FROM information_schema.columns
     WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name, column_name`,
  )
  const tables: CopiedTable[] = []
  for (const plan of plans) {
    const t0 = performance.now()
    const identity = identities.rows.filter((r) => r.table === plan.name).map((r) => r.column)
    let rows: number
    try {
      rows = await copyTable(client, lite, plan, identity.length > 0, context.rowsPerInsert)
    } catch (err) {
      throw new CopyError(`Copying ${plan.name} failed, so nothing was copied: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      })
    }
    const read = context.counts.get(plan.name)
    if (rows !== read) throw new CopyError(`Copying ${plan.name} failed, so nothing was copied: ${rows} rows inserted of ${read} read`)
    for (const column of identity) {
      // New rows continue after the copied ones (and after any SQLite AUTOINCREMENT handed out): RESTART is transactional, as setval() is not.
      const max = await client.query<{ max: number | null }>(`SELECT MAX(${quote(column)}) AS max FROM ${quote(plan.name)}`)
      const next = Math.max(max.rows[0]?.max ?? 0, context.autoincrement.get(plan.name) ?? 0) + 1
      await client.query(`ALTER TABLE ${quote(plan.name)} ALTER COLUMN ${quote(column)} RESTART WITH ${next}`)
    }
    const copied = { name: plan.name, rows, ms: performance.now() - t0 }
    tables.push(copied)
    context.onTable?.(copied)
  }
  return tables
}

const count = (n: number, what: string) => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
}

/** The command: RECKON_DB and RECKON_DATABASE_URL from the environment; returns what to print at the end. */
export async function runCopy(argv: readonly string[], env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<string> {
  if (argv.length > 0) throw new UsageError('db:copy takes no arguments: it reads RECKON_DB and RECKON_DATABASE_URL')
  const config = loadConfig(env)
  if (config.databaseUrl === undefined)
    throw new UsageError('RECKON_DATABASE_URL is not set: it names the PostgreSQL database to copy into')
  print(`copying ${config.dbPath} …`)
  const width = Math.max(...[...pgTables.keys()].map((n) => n.length))
  const report = await copyDatabase({
    from: config.dbPath,
    to: config.databaseUrl,
    onTable: (t) =>
      print(
        `  ${t.name.padEnd(width)}  ${t.rows.toLocaleString('en-US').padStart(11)} ${t.rows === 1 ? 'row ' : 'rows'}  ${seconds(t.ms)}`,
      ),
  })
  const rate = Math.round(report.rows / (report.ms / 1000))
  return `copied ${count(report.rows, 'row')} from ${report.source} to the PostgreSQL database ${report.target} in ${seconds(report.ms)} (${rate.toLocaleString('en-US')} rows/s)`
}

if (isEntryPoint(import.meta.url)) {
  try {
    console.log(await runCopy(process.argv.slice(2), process.env, (line) => console.log(line)))
  } catch (err) {
    if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`)
    else console.error(err instanceof Error ? err.message : String(err))
    process.exit(err instanceof UsageError ? 2 : 1)
  }
}
