/**
 * Where POST /claims/bulk's batches are written (#14). A batch of 20,000
 * claims costs about a second of CPU — validation, references, fingerprints,
 * the transaction — and on the event loop that second would be everyone's
 * wait. So on a file database a worker thread (bulk-claims-worker) does it
 * all, on a connection of its own to the same file (WAL: the app's readers
 * see the batch once it has committed, whole, and never part of it), with
 * the same service code. The app only hands over the body's rows and gets
 * the outcome or the error back, and holds its write gate while the batch
 * writes (repositories/write-gate). A ':memory:' database cannot be shared
 * with another thread: its batches run in the app, through the gate, as any
 * other write.
 *
 * A worker that dies (an uncaught error, an exit) fails the batches it had
 * with a server error — its transaction rolls back with its connection — and
 * the next batch starts another.
 */
import { once } from 'node:events'
import { extname } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { spawnWorker } from '../lib/worker.js'
import type { WriteGate } from '../repositories/write-gate.js'
import { type BulkClaimsTask, type TaskReply, type WorkerMessage, errorOf, recordBulk } from './bulk-claims.js'
import type { BatchOutcome, ClaimsService } from './claims-service.js'

export interface BulkClaimsWriter {
  /** Where batches are written: a worker thread (a file database) or the app's own thread (':memory:'). */
  readonly runsIn: 'worker' | 'app'
  /** Validates and records a batch; rejects with what the errors plugin answers (a problem, a validation error, a server error). */
  record(task: BulkClaimsTask): Promise<BatchOutcome>
  /** Milliseconds since a batch last wrote claims (the background refresher lets such writes settle). */
  sinceLastWrite(): number
  /** Starts the worker now rather than with the first batch (the server does once it listens): that batch need not wait for it. */
  warm(): void
  /** Lets the batches under way finish, then stops the worker. */
  close(): Promise<void>
}

export interface BulkClaimsWriterOptions {
  /** The SQLite file the worker opens; null (PostgreSQL, whose writes do not hold the loop) or ':memory:' (no file to share): batches are written in the app. */
  dbPath: string | null
  writes: WriteGate
  /** The app's claims service: the batches of a ':memory:' database are recorded with it. */
  claims: Pick<ClaimsService, 'recordAll'>
  /** Called after the worker committed a batch that wrote: what the app keeps of events in memory must look at the change log. */
  wroteElsewhere?: () => void
  /** The worker's entry (default: bulk-claims-worker, beside this file). */
  workerEntry?: URL
}

/** The worker's entry beside this file: compiled JavaScript in a build, TypeScript under tsx and tap. */
const WORKER_ENTRY = new URL(`./bulk-claims-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/** How long a worker asked to stop may take before it is terminated. */
const CLOSE_TIMEOUT_MS = 5000

export function createBulkClaimsWriter(options: BulkClaimsWriterOptions): BulkClaimsWriter {
  let lastWrite = 0
  const wrote = (task: BulkClaimsTask, outcome: BatchOutcome): BatchOutcome => {
    if (!task.dryRun && outcome.inserted > 0) lastWrite = Date.now()
    return outcome
  }
  const sinceLastWrite = () => Date.now() - lastWrite

  if (options.dbPath === null || options.dbPath === ':memory:') {
    return {
      runsIn: 'app',
      record: (task) => options.writes.write(async () => wrote(task, await recordBulk(options.claims, task))),
      sinceLastWrite,
      warm: () => undefined,
      close: async () => undefined,
    }
  }

  const thread = new BulkClaimsThread(options.dbPath, options.workerEntry ?? WORKER_ENTRY)
  /** Every batch taken and not answered yet: close() waits for them. */
  const underWay = new Set<Promise<unknown>>()
  let closed = false
  const write = async (task: BulkClaimsTask): Promise<BatchOutcome> => {
    // A dry run writes nothing: writes on the app's connection need not wait for it.
    const outcome = task.dryRun ? await thread.run(task) : await options.writes.hold(() => thread.run(task))
    if (!task.dryRun && outcome.inserted > 0) options.wroteElsewhere?.()
    return wrote(task, outcome)
  }
  return {
    runsIn: 'worker',
    record(task) {
      if (closed) return Promise.reject(new Error('the app is closing: the bulk-claims worker takes no more batches'))
      const answer = write(task)
      const settled = answer.then(
        () => undefined,
        () => undefined,
      )
      underWay.add(settled)
      void settled.then(() => underWay.delete(settled))
      return answer
    },
    sinceLastWrite,
    warm() {
      if (!closed) thread.warm()
    },
    async close() {
      closed = true
      await Promise.all(underWay)
      await thread.stop()
    },
  }
}

interface Pending {
  worker: Worker
  resolve(outcome: BatchOutcome): void
  reject(error: Error): void
}

/** The worker thread, started on the first batch, and the batches handed to it. */
class BulkClaimsThread {
  #worker: Worker | null = null
  readonly #pending = new Map<number, Pending>()
  #nextId = 1

  constructor(
    readonly dbPath: string,
    readonly entry: URL,
  ) {}

  async run(task: BulkClaimsTask): Promise<BatchOutcome> {
    // The body was parsed in this turn of the event loop; its copy to the worker (a structured clone, ~20 ms for
    // 20,000 rows) waits for the next, so that the two never hold the loop together.
    await nextTurn()
    const worker = this.#worker ?? this.#start()
    const id = this.#nextId++
    let resolve: (outcome: BatchOutcome) => void = () => undefined
    let reject: (error: Error) => void = () => undefined
    const answer = new Promise<BatchOutcome>((yes, no) => {
      resolve = yes
      reject = no
    })
    this.#pending.set(id, { worker, resolve, reject })
    worker.ref()
    try {
      worker.postMessage({ type: 'task', id, task } satisfies WorkerMessage)
    } catch (err) {
      this.#settle(id)
      throw err
    }
    return answer
  }

  /** Starts the worker if none runs: it opens its connection and loads its code before the first batch comes. */
  warm(): void {
    this.#worker ??= this.#start()
  }

  /** Asks the worker to close its connection and end (it has no batch left: see close() above), or ends it. */
  async stop(): Promise<void> {
    const worker = this.#worker
    if (worker === null) return
    const exited = once(worker, 'exit')
    worker.ref() // until it has ended
    worker.postMessage({ type: 'close' } satisfies WorkerMessage)
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  #start(): Worker {
    const worker = spawnWorker(this.entry, { dbPath: this.dbPath })
    worker.on('message', (reply: TaskReply) => {
      const pending = this.#settle(reply.id)
      if (pending === undefined) return
      if (reply.ok) pending.resolve(reply.outcome)
      else pending.reject(errorOf(reply.failure))
    })
    worker.on('error', (err) => this.#stopped(worker, err))
    worker.on('messageerror', (err) => {
      this.#stopped(worker, err)
      void worker.terminate()
    })
    worker.on('exit', (code) => this.#stopped(worker, new Error(`the bulk-claims worker stopped (exit code ${code}) before it answered`)))
    worker.unref() // until it has a batch: an idle worker keeps no process alive
    this.#worker = worker
    return worker
  }

  /** The batch `id` has its answer: it is no longer pending, and an idle worker keeps no process alive. */
  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id)
    this.#pending.delete(id)
    if (pending !== undefined && ![...this.#pending.values()].some((p) => p.worker === pending.worker)) pending.worker.unref()
    return pending
  }

  /** The worker died or can no longer answer: each of its batches fails with `error`, and the next batch starts another. */
  #stopped(worker: Worker, error: Error): void {
    if (this.#worker === worker) this.#worker = null
    for (const [id, pending] of this.#pending) {
      if (pending.worker !== worker) continue
      this.#settle(id)
      pending.reject(error)
    }
  }
}
