/**
 * Learning the track records (#16): every claim stated by a moment read and
 * run through engine/track-record — for 200,000 claims about 2.5 s of CPU and
 * 200 MB of claims held while it runs. On a large database that is done in a
 * worker thread (learning-worker), started for the one learning and ended
 * after it: the app's event loop keeps serving meanwhile, and the claims'
 * memory goes with the worker's heap rather than staying in the app's. What
 * crosses back is the learning alone (its records, echoes and model, a few
 * hundred kilobytes), as plain data: the relation of a source to a party is
 * rebuilt from the directory on this side. A small database (or ':memory:',
 * which no other thread can open) is learnt in the app: there it costs
 * milliseconds, less than starting a thread.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { spawnWorker } from '../lib/worker.js'
import { type Echo, type SourceModel, type SourceRecord, type TrackRecords, relationIn, trackRecords } from '../engine/track-record.js'
import type { ActorInfo, Directory, SourceInfo } from '../engine/types.js'
import type { Sql } from '../db/sql.js'
import type { Repositories } from './claims-service.js'

export interface Learnt extends TrackRecords {
  directory: Directory
}

/** Reads what the claims stated by `asOf` tell of every source, here. */
export async function learnHere(repos: Repositories, asOf: string, level: number): Promise<Learnt> {
  const claims = await repos.claims.allStatedBy(asOf)
  const directory: Directory = {
    sources: await repos.sources.directory(new Set(claims.map((c) => c.source_id))),
    actors: await repos.actors.tree(),
  }
  return { ...trackRecords(claims, asOf, directory, { level }), directory }
}

/** A learning as it crosses between threads (a structured clone keeps maps, not functions). */
export interface LearntWire {
  as_of: string
  records: SourceRecord[]
  echoes: Echo[]
  sources: Map<string, SourceModel>
  echoOf: Map<string, string>
  directory: { sources: Map<string, SourceInfo>; actors: Map<string, ActorInfo> }
}

export function learntToWire(learnt: Learnt): LearntWire {
  return {
    as_of: learnt.as_of,
    records: learnt.records,
    echoes: learnt.echoes,
    sources: new Map(learnt.model.sources),
    echoOf: new Map(learnt.model.echoOf),
    directory: { sources: new Map(learnt.directory.sources), actors: new Map(learnt.directory.actors) },
  }
}

export function learntFromWire(wire: LearntWire): Learnt {
  return {
    as_of: wire.as_of,
    records: wire.records,
    echoes: wire.echoes,
    model: { sources: wire.sources, echoOf: wire.echoOf, relation: relationIn(wire.directory) },
    directory: wire.directory,
  }
}

/** From how many claims a database is learnt in a worker (at 20,000 the learning costs ~0.25 s; the thread's start ~0.05 s). */
export const WORKER_FROM_CLAIMS = 20_000

export type Learner = (repos: Repositories, asOf: string, level: number) => Promise<Learnt>

/**
 * How the app learns: in a worker when it can open the database there (`store`: a file or a PostgreSQL URL; null for
 * ':memory:') and the database holds at least `fromClaims` claims, else here.
 */
export function learner(sql: Sql, store: LearningStore | null, fromClaims = WORKER_FROM_CLAIMS): Learner {
  return async (repos, asOf, level) => {
    const claims = store === null ? 0 : Number(await sql.value<number>('SELECT COUNT(*) FROM claims'))
    return store !== null && claims >= fromClaims ? learnInWorker({ store, asOf, level }) : learnHere(repos, asOf, level)
  }
}

/** Where the worker opens the database: the SQLite file, or the PostgreSQL URL. */
export type LearningStore = { dbPath: string } | { databaseUrl: string }

/** What the worker is given. */
export interface LearningTask {
  store: LearningStore
  asOf: string
  level: number
}

/** The worker's answer. */
export type LearningReply = { ok: true; learnt: LearntWire } | { ok: false; message: string; stack: string | undefined }

/** The worker's entry beside this file: compiled JavaScript in a build, TypeScript under tsx and tap. */
const WORKER_ENTRY = new URL(`./learning-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

/** Learns in a worker thread of its own, ended once it has answered. */
export async function learnInWorker(task: LearningTask): Promise<Learnt> {
  const worker = spawnWorker(WORKER_ENTRY, task)
  try {
    const reply = await new Promise<LearningReply>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`the learning worker exited (code ${code}) without an answer`)))
    })
    if (!reply.ok) {
      const err = new Error(`learning the track records failed: ${reply.message}`)
      if (reply.stack !== undefined) err.stack = reply.stack
      throw err
    }
    return learntFromWire(reply.learnt)
  } finally {
    await worker.terminate()
  }
}
