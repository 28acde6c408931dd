/**
 * The PostgreSQL store behind db/sql.ts's Sql (#15): the same SQL text as on
 * SQLite, its `?` and `@name` parameters numbered for PostgreSQL
 * (sql-text.ts), each statement prepared once per connection under a name
 * derived from its text.
 *
 * A unit of work takes a connection of the pool for itself (BEGIN … COMMIT);
 * the calls made inside it — followed through their awaits by
 * AsyncLocalStorage — run on that connection, every other call on any
 * connection of the pool, so readers never wait for a writer and never see
 * what it has not committed.
 *
 * An ordered unit (the default, db/sql.ts UnitOptions) takes WRITE_LOCK_KEY,
 * a transaction-level advisory lock, in the round trip of its BEGIN, before
 * any row lock: the replicas' writers run one at a time, in one order, as
 * SQLite's do. Without it, two transactions could draw change-log seqs 5 and
 * 6 and commit 6 first; a follower reading "seq > 4" in between would pass 5
 * for ever. Taken first, it cannot close a cycle of waits with row locks.
 * Readers take nothing and never wait.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { createHash } from 'node:crypto'
import type pg from 'pg'
import type { Params, Sql, UnitOptions } from '../sql.js'
import { type Numbered, numbered } from './sql-text.js'

interface Unit {
  owner: PostgresSql
  client: pg.PoolClient
  depth: number
  ended: Array<(committed: boolean) => void>
}

const units = new AsyncLocalStorage<Unit>()

/**
 * Units open on any PostgreSQL store of the process. The context is followed
 * only while one is: Node 20's async_hooks cost every promise of the process
 * otherwise (as on SQLite, db/sql.ts), and most requests are reads outside any.
 */
let openUnits = 0

/** The advisory lock of ordered units: "WRITES" in ASCII (migrations hold "RECKON", pg/client.ts). */
export const WRITE_LOCK_KEY = 0x575249544553
const BEGIN_ORDERED = `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY})`

/** A statement as PostgreSQL takes it: its numbered text and the name it is prepared under. */
interface Prepared extends Numbered {
  name: string
}

export class PostgresSql implements Sql {
  readonly dialect = 'postgres'
  readonly #pool: pg.Pool
  readonly #prepared = new Map<string, Prepared>()

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  /** The pool, for what is PostgreSQL's alone (LISTEN, advisory locks, db:copy). */
  get pool(): pg.Pool {
    return this.#pool
  }

  #statement(text: string): Prepared {
    let statement = this.#prepared.get(text)
    if (statement === undefined) {
      // The name is the text's: the same name never stands for two texts on a connection.
      statement = { ...numbered(text), name: `r${createHash('sha1').update(text).digest('base64url').slice(0, 20)}` }
      this.#prepared.set(text, statement)
    }
    return statement
  }

  /** The connection of the caller's unit of work, or the pool. */
  #runner(): pg.Pool | pg.PoolClient {
    const unit = units.getStore()
    return unit !== undefined && unit.owner === this ? unit.client : this.#pool
  }

  async #query(text: string, params: Params | undefined, rowMode?: 'array'): Promise<pg.QueryResult> {
    const statement = this.#statement(text)
    const config = { name: statement.name, text: statement.text, values: statement.values(params) }
    const runner = this.#runner()
    return rowMode === undefined ? runner.query(config) : runner.query({ ...config, rowMode } satisfies pg.QueryArrayConfig)
  }

  async all<T extends object>(text: string, params?: Params): Promise<T[]> {
    return (await this.#query(text, params)).rows as T[]
  }

  async get<T extends object>(text: string, params?: Params): Promise<T | undefined> {
    return (await this.#query(text, params)).rows[0] as T | undefined
  }

  async rows<T extends readonly unknown[]>(text: string, params?: Params): Promise<T[]> {
    return (await this.#query(text, params, 'array')).rows as unknown as T[]
  }

  async value<T>(text: string, params?: Params): Promise<T | undefined> {
    const row = (await this.#query(text, params, 'array')).rows[0] as unknown as unknown[] | undefined
    return row?.[0] as T | undefined
  }

  async values<T>(text: string, params?: Params): Promise<T[]> {
    return ((await this.#query(text, params, 'array')).rows as unknown as unknown[][]).map((row) => row[0] as T)
  }

  async run(text: string, params?: Params): Promise<number> {
    return (await this.#query(text, params)).rowCount ?? 0
  }

  get inTransaction(): boolean {
    return units.getStore()?.owner === this
  }

  get unit(): object | null {
    const unit = units.getStore()
    return unit !== undefined && unit.owner === this ? unit : null
  }

  async transaction<T>(fn: () => Promise<T>, options?: UnitOptions): Promise<T> {
    const inside = units.getStore()
    if (inside !== undefined && inside.owner === this) return this.#savepoint(inside, fn)
    const client = await this.#pool.connect()
    const unit: Unit = { owner: this, client, depth: 0, ended: [] }
    let committed = false
    let broken: Error | undefined
    openUnits++
    try {
      await client.query(options?.ordered === false ? 'BEGIN' : BEGIN_ORDERED)
      const result = await units.run(unit, fn)
      await client.query('COMMIT')
      committed = true
      return result
    } catch (err) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr)) // the connection is not reused
      }
      throw err
    } finally {
      if (--openUnits === 0) units.disable()
      client.release(broken)
      for (const end of unit.ended.splice(0)) end(committed)
    }
  }

  /** A unit inside the open one: a savepoint, rolled back alone when `fn` throws. */
  async #savepoint<T>(unit: Unit, fn: () => Promise<T>): Promise<T> {
    const name = `unit_${++unit.depth}`
    await unit.client.query(`SAVEPOINT ${name}`)
    try {
      const result = await fn()
      await unit.client.query(`RELEASE SAVEPOINT ${name}`)
      return result
    } catch (err) {
      await unit.client.query(`ROLLBACK TO SAVEPOINT ${name}`)
      await unit.client.query(`RELEASE SAVEPOINT ${name}`)
      throw err
    } finally {
      unit.depth--
    }
  }

  onTransactionEnd(fn: (committed: boolean) => void): boolean {
    const unit = units.getStore()
    if (unit === undefined || unit.owner !== this) {
      fn(true)
      return false
    }
    unit.ended.push(fn)
    return true
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }
}
