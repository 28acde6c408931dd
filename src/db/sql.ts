/**
 * The one way the repositories reach the database (#15): SQL text written
 * once, run on either store, every call asynchronous.
 *
 * - Parameters are positional (`?`) or named (`@name`, bound from an object);
 *   SQLite takes the text as it is, PostgreSQL as numbered `$n` (sql-text.ts).
 * - `all` and `get` give rows as objects keyed by column name, `rows` as
 *   arrays (half the cost for the engine's wide rows), `value` and `values`
 *   the first column; `run` the number of rows it changed.
 * - `transaction(fn)` is the unit of work: everything `fn` writes lands, or
 *   nothing does. A transaction inside another is a savepoint of it; only the
 *   outermost commits. `onTransactionEnd` tells what waits for that end
 *   whether it committed (caches drop what a commit made stale).
 * - Units that record something run one at a time, in one order for the
 *   whole store, however many processes share it (`UnitOptions.ordered`):
 *   SQLite has one writer at a time by itself; PostgreSQL takes a
 *   transaction-level advisory lock first (pg/sql.ts). The change log's
 *   `seq` then commits in order — a reader that sees a seq sees every lower
 *   one — and what a unit decides from what is recorded (an external_id
 *   replay, an idempotency key, an id) holds when it commits.
 *
 * Every statement is prepared once per connection and text, and reused.
 *
 * SQLite (better-sqlite3) runs each call synchronously and hands back a
 * settled promise. Its one connection belongs to the open unit of work, if
 * any: requests run interleaved (each await lets another go on), so a call
 * made from outside the unit — told apart by AsyncLocalStorage, which follows
 * the unit's own awaits — waits for it to end. No read ever sees what a unit
 * has written before it commits, and two units never mix on the connection.
 * Writes go through the write gate (write-gate.ts) as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type Database from 'better-sqlite3'
import type { Db } from './client.js'

export type Params = readonly unknown[] | object
export type Dialect = 'sqlite' | 'postgres'

export interface UnitOptions {
  /**
   * True (the default): the unit runs in the store's one order of writes,
   * after every ordered unit that began before it has ended — any unit that
   * may append to the change log or decide from what is recorded. False: a
   * unit that only reads, or only recomputes derived rows (dispute blocks,
   * stored summaries), and so need not wait for the writers.
   */
  ordered?: boolean
}

export interface Sql {
  readonly dialect: Dialect
  all<T extends object>(text: string, params?: Params): Promise<T[]>
  get<T extends object>(text: string, params?: Params): Promise<T | undefined>
  /** Rows as arrays of their columns, in the order of the SELECT. */
  rows<T extends readonly unknown[]>(text: string, params?: Params): Promise<T[]>
  /** The first column of the first row; undefined for no row. */
  value<T>(text: string, params?: Params): Promise<T | undefined>
  /** The first column of every row. */
  values<T>(text: string, params?: Params): Promise<T[]>
  /** Runs a statement that writes; resolves with how many rows it changed. */
  run(text: string, params?: Params): Promise<number>
  /** The unit of work (see above); options apply to the outermost unit. */
  transaction<T>(fn: () => Promise<T>, options?: UnitOptions): Promise<T>
  /** True inside a unit of work of this caller. */
  readonly inTransaction: boolean
  /** The caller's unit of work, the same object for every call inside it; null outside one. */
  readonly unit: object | null
  /**
   * Calls `fn` when the open unit of work ends, with whether it committed,
   * and returns true; outside one, calls it at once, as committed, and
   * returns false.
   */
  onTransactionEnd(fn: (committed: boolean) => void): boolean
  close(): Promise<void>
}

type Mode = 'object' | 'array' | 'pluck'

/** better-sqlite3 binds an object for named parameters, spread values for positional ones. */
function bind(params: Params | undefined): unknown[] {
  if (params === undefined) return []
  return Array.isArray(params) ? params : [params]
}

/** A unit of work holding a SQLite connection: how deep its savepoints go, and what waits for its end. */
interface Unit {
  owner: SqliteSql
  depth: number
  ended: Array<(committed: boolean) => void>
}

/**
 * The unit of work the running code is inside, followed through its awaits.
 * Disabled whenever no unit is open: following contexts costs every promise
 * of the process something (async_hooks on Node 20), and reads, the hot
 * path, run with no unit open.
 */
const units = new AsyncLocalStorage<Unit>()
/** Open units of any SQLite connection of the process (the app's; a test may open more). */
let openUnits = 0

/** The SQLite store: one better-sqlite3 connection (client.ts). */
export class SqliteSql implements Sql {
  readonly dialect = 'sqlite'
  readonly #db: Db
  readonly #statements = new Map<string, Database.Statement>()
  /** The unit of work that holds the connection, if any. */
  #open: Unit | null = null
  /** Callers from outside the open unit, waiting for its end. */
  readonly #waiting: Array<() => void> = []

  constructor(db: Db) {
    this.#db = db
  }

  /** The drizzle instance and its better-sqlite3 connection, for what is SQLite's alone (migrations, backups, the bulk worker). */
  get db(): Db {
    return this.#db
  }

  #statement(text: string, mode: Mode): Database.Statement {
    const key = mode === 'object' ? text : `${mode}\0${text}`
    let statement = this.#statements.get(key)
    if (statement === undefined) {
      statement = this.#db.$client.prepare(text)
      if (mode === 'array') statement.raw(true)
      else if (mode === 'pluck') statement.pluck(true)
      this.#statements.set(key, statement)
    }
    return statement
  }

  /** True when the caller must wait: a unit of work it is not inside holds the connection. */
  #mustWait(): boolean {
    return this.#open !== null && units.getStore() !== this.#open
  }

  /** Resolves once no unit of work the caller is not inside holds the connection. */
  async #turn(): Promise<void> {
    while (this.#mustWait()) await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  async all<T extends object>(text: string, params?: Params): Promise<T[]> {
    if (this.#mustWait()) await this.#turn()
    return this.#statement(text, 'object').all(...bind(params)) as T[]
  }

  async get<T extends object>(text: string, params?: Params): Promise<T | undefined> {
    if (this.#mustWait()) await this.#turn()
    return this.#statement(text, 'object').get(...bind(params)) as T | undefined
  }

  async rows<T extends readonly unknown[]>(text: string, params?: Params): Promise<T[]> {
    if (this.#mustWait()) await this.#turn()
    return this.#statement(text, 'array').all(...bind(params)) as T[]
  }

  async value<T>(text: string, params?: Params): Promise<T | undefined> {
    if (this.#mustWait()) await this.#turn()
    return this.#statement(text, 'pluck').get(...bind(params)) as T | undefined
  }

  async values<T>(text: string, params?: Params): Promise<T[]> {
    if (this.#mustWait()) await this.#turn()
    return this.#statement(text, 'pluck').all(...bind(params)) as T[]
  }

  async run(text: string, params?: Params): Promise<number> {
    if (this.#mustWait()) await this.#turn()
    return this.#statement(text, 'object').run(...bind(params)).changes
  }

  get inTransaction(): boolean {
    return this.#open !== null && units.getStore() === this.#open
  }

  get unit(): object | null {
    return this.inTransaction ? this.#open : null
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const inside = units.getStore()
    if (inside !== undefined && inside === this.#open) return this.#savepoint(inside, fn)
    const unit: Unit = { owner: this, depth: 0, ended: [] }
    // Checked and taken in one step: no other caller runs in between.
    while (this.#open !== null) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    this.#open = unit
    openUnits++
    let committed = false
    try {
      this.#exec('BEGIN')
      const result = await units.run(unit, fn)
      this.#exec('COMMIT')
      committed = true
      return result
    } catch (err) {
      // A failed COMMIT has rolled back already: nothing is left open to roll back.
      if (this.#db.$client.inTransaction) this.#exec('ROLLBACK')
      throw err
    } finally {
      this.#open = null
      if (--openUnits === 0) units.disable()
      for (const end of unit.ended.splice(0)) end(committed)
      for (const wake of this.#waiting.splice(0)) wake()
    }
  }

  /** A unit inside the open one: a savepoint, rolled back alone when `fn` throws. */
  async #savepoint<T>(unit: Unit, fn: () => Promise<T>): Promise<T> {
    const name = `unit_${++unit.depth}`
    this.#exec(`SAVEPOINT ${name}`)
    try {
      const result = await fn()
      this.#exec(`RELEASE ${name}`)
      return result
    } catch (err) {
      this.#exec(`ROLLBACK TO ${name}; RELEASE ${name}`)
      throw err
    } finally {
      unit.depth--
    }
  }

  /** BEGIN, COMMIT and savepoints: through prepared statements, which the write guard lets through (they do not write). */
  #exec(text: string): void {
    for (const part of text.split('; ')) this.#statement(part, 'object').run()
  }

  onTransactionEnd(fn: (committed: boolean) => void): boolean {
    const unit = units.getStore()
    if (unit === undefined || unit !== this.#open) {
      fn(true)
      return false
    }
    unit.ended.push(fn)
    return true
  }

  async close(): Promise<void> {
    this.#db.$client.close()
  }
}
