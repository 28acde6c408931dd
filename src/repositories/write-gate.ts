/**
 * One writer at a time (#14). A bulk claim write runs in a worker thread on a
 * connection of its own (services/bulk-claims-writer); while its transaction
 * is open, SQLite lets no other connection write, and a write on the app's
 * connection would wait for it synchronously (busy_timeout: the event loop
 * blocked for up to 5 s) and then fail. So every write of the app's
 * connection, and every write made for it elsewhere, goes through this gate:
 * a FIFO mutex, whose holder is
 *   - a synchronous write on the app's connection (`write`, `now`): it runs
 *     whole when its turn comes, and the reply that follows it reads it back;
 *   - a write made on another connection (`hold`): the gate stays held until
 *     it has committed or rolled back.
 * Reads never wait: in WAL mode they see what is committed.
 *
 * guardWrites makes the gate impossible to forget: on the app's connection, a
 * statement that writes throws unless a `write` or `now` is running.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type Database from 'better-sqlite3'
import type { Db } from '../db/client.js'

/** The write the running code is inside, followed through its awaits (requests run interleaved); disabled between writes, as db/sql.ts's units are. */
const inside = new AsyncLocalStorage<object>()
/** Writes running on any gate of the process. */
let running = 0

export class WriteGate {
  /** Held by a write, running or handed on to the next in line. */
  #held = false
  /** The writes waiting for the gate, in arrival order. */
  readonly #waiting: Array<() => void> = []
  /** The `write` or `now` running on the app's connection, if any (the guard lets its statements through). */
  #writing: object | null = null

  /** True while a write holds the gate (others wait for it). */
  get busy(): boolean {
    return this.#held
  }

  /** True when the running code is inside the write that holds the gate. */
  #within(): boolean {
    return this.#writing !== null && inside.getStore() === this.#writing
  }

  /**
   * Runs `write`, which writes on the app's connection, once every write
   * before it has ended (at once when none holds the gate); resolves with what
   * it returns, once it has committed.
   */
  async write<T>(write: () => T | Promise<T>): Promise<T> {
    if (this.#within()) throw new Error('the write gate is not reentrant: a write inside a write runs in it, without write()')
    await this.#acquire()
    try {
      return await this.#run(write)
    } finally {
      this.#release()
    }
  }

  /**
   * Runs `write` at once, when no write holds the gate (throws otherwise): at
   * start-up, in tests, and where a write can wait for another round (the
   * background refresher checks `busy` first). Inside a write, it runs within it.
   */
  async now<T>(write: () => T | Promise<T>): Promise<T> {
    if (this.#within()) return write()
    if (this.#held) throw new Error('the write gate is held by another write')
    this.#held = true
    try {
      return await this.#run(write)
    } finally {
      this.#release()
    }
  }

  /**
   * Holds the gate until `work` settles: a write made on another connection
   * (the bulk-claims worker's), during which the app's connection writes
   * nothing.
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    await this.#acquire()
    try {
      return await work()
    } finally {
      this.#release()
    }
  }

  /** Throws unless the running code is inside a `write` or `now`: guardWrites calls it before each write statement of the app's connection. */
  assertWriting(): void {
    if (this.#within()) return
    throw new Error(
      this.#held
        ? 'a write on the database while another write holds the write gate (the bulk-claims worker): go through app.writes'
        : 'a write on the database outside the write gate: go through app.writes (src/repositories/write-gate.ts)',
    )
  }

  async #run<T>(write: () => T | Promise<T>): Promise<T> {
    const token = {}
    this.#writing = token
    running++
    try {
      return await inside.run(token, write)
    } finally {
      this.#writing = null
      if (--running === 0) inside.disable()
    }
  }

  #acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  /** Hands the gate to the next write in line, or frees it. */
  #release(): void {
    const next = this.#waiting.shift()
    if (next) next()
    else this.#held = false
  }
}

type Method = 'run' | 'get' | 'all' | 'iterate'
const EXECUTE: readonly Method[] = ['run', 'get', 'all', 'iterate']

/**
 * Makes every write statement of the app's connection ask the gate first
 * (WriteGate.assertWriting): statements prepared from now on that are not
 * read-only (SQLite's sqlite3_stmt_readonly: INSERT, UPDATE, DELETE, DDL),
 * and exec(). Reads pay nothing; a write pays one check. Transactions'
 * BEGIN and COMMIT are read-only and pass.
 */
export function guardWrites(db: Db, gate: WriteGate): void {
  const sqlite = db.$client
  const prepare = sqlite.prepare.bind(sqlite) as (source: string) => Database.Statement
  const exec = sqlite.exec.bind(sqlite)
  const guarded = (source: string): Database.Statement => {
    const statement = prepare(source)
    if (statement.readonly) return statement
    const target = statement as unknown as Record<Method, (...args: unknown[]) => unknown>
    for (const method of EXECUTE) {
      const execute = target[method]
      target[method] = function (this: unknown, ...args: unknown[]) {
        gate.assertWriting()
        return execute.apply(this, args)
      }
    }
    return statement
  }
  sqlite.prepare = guarded as Database.Database['prepare']
  sqlite.exec = (source: string) => {
    gate.assertWriting()
    return exec(source)
  }
}
