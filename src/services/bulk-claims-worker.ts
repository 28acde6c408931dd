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
import { type BulkClaimsTask, type TaskReply, type WorkerMessage, failureOf, recordBulk } from './bulk-claims.js'
import { createClaimsService } from './claims-service.js'
import { createRepositories } from './repositories.js'

const port = parentPort
if (port === null) throw new Error('bulk-claims-worker runs as a worker thread')
const db = connect((workerData as { dbPath: string }).dbPath)

function run(id: number, task: BulkClaimsTask): TaskReply {
  try {
    // Repositories of this batch alone: nothing a batch read and kept (the source and actor directories) outlives it, as
    // the app's connection writes sources and actors between batches.
    const claims = createClaimsService(db, createRepositories(db))
    return { id, ok: true, outcome: recordBulk(claims, task) }
  } catch (err) {
    return { id, ok: false, failure: failureOf(err) }
  }
}

port.on('message', (message: WorkerMessage) => {
  if (message.type === 'close') {
    db.$client.close()
    port.close()
    return
  }
  port.postMessage(run(message.id, message.task))
})
