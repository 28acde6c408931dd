/**
 * The bulk-claims worker thread (services/bulk-claims-writer starts it, for a
 * file database): POST /claims/bulk's batches validated, checked and written
 * here, on a connection of its own to the same file, by the same service code
 * as the app's (bulk-claims recordBulk), so that a batch of 20,000 claims
 * never holds the app's event loop. One batch at a time, in arrival order;
 * the app holds its write gate while a batch that writes is here.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { connect } from '../db/client.js'
import { SqliteSql } from '../db/sql.js'
import { type BulkClaimsTask, type TaskReply, type WorkerMessage, failureOf, recordBulk } from './bulk-claims.js'
import { createClaimsService } from './claims-service.js'
import { createRepositories } from './repositories.js'

const port = parentPort
if (port === null) throw new Error('bulk-claims-worker runs as a worker thread')
const sql = new SqliteSql(connect((workerData as { dbPath: string }).dbPath))

async function run(id: number, task: BulkClaimsTask): Promise<TaskReply> {
  try {
    // Repositories of this batch alone: nothing a batch read and kept (the source and actor directories) outlives it, as
    // the app's connection writes sources and actors between batches.
    const claims = createClaimsService(sql, createRepositories(sql))
    return { id, ok: true, outcome: await recordBulk(claims, task) }
  } catch (err) {
    return { id, ok: false, failure: failureOf(err) }
  }
}

/** The batches one after another, in arrival order: each is a transaction of the one connection. */
let queue: Promise<void> = Promise.resolve()

port.on('message', (message: WorkerMessage) => {
  queue = queue.then(async () => {
    if (message.type === 'close') {
      await sql.close()
      port.close()
      return
    }
    port.postMessage(await run(message.id, message.task))
  })
})
