/**
 * The learning worker thread (services/learning): one learning of the track
 * records, on a connection of its own to the app's database, answered and
 * ended. See learning.ts for why.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { connect } from '../db/client.js'
import { openPostgres } from '../db/pg/client.js'
import { PostgresSql } from '../db/pg/sql.js'
import { type Sql, SqliteSql } from '../db/sql.js'
import { type LearningReply, type LearningTask, learnHere, learntToWire } from './learning.js'
import { createRepositories } from './repositories.js'

const port = parentPort
if (port === null) throw new Error('learning-worker runs as a worker thread')
const task = workerData as LearningTask

async function open(): Promise<Sql> {
  if ('dbPath' in task.store) return new SqliteSql(connect(task.store.dbPath))
  return new PostgresSql((await openPostgres(task.store.databaseUrl, { poolSize: 1 })).pool)
}

let reply: LearningReply
let sql: Sql | undefined
try {
  sql = await open()
  reply = { ok: true, learnt: learntToWire(await learnHere(createRepositories(sql), task.asOf, task.level)) }
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err))
  reply = { ok: false, message: e.message, stack: e.stack }
} finally {
  await sql?.close()
}
port.postMessage(reply)
