/**
 * The background refresher (services/dispute-refresher.ts) and the write
 * gate: a round that finds the gate held by a bulk batch does nothing and
 * comes back later; a batch written by the worker counts as a write under
 * way, like one written in the app, so the queue waits for the load to settle.
 */
import { join } from 'node:path'
import t from 'tap'
import { ON_POSTGRES, testStore } from '../store.js'
import { buildApp } from '../../src/app.js'
import { createRefresher } from '../../src/services/dispute-refresher.js'
import { build, countRows, figureRow, post, tempDir } from '../helper.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a round that finds the write gate held skips its work until the gate is free', async (t) => {
  const app = await build(t)
  const calls: string[] = []
  let held = true
  let looks = 0
  const gate = {
    get busy() {
      looks++
      return held
    },
    now: async <T>(write: () => T | Promise<T>): Promise<T> => write(),
  }
  const disputes = {
    sinceLastQueued: () => Number.POSITIVE_INFINITY,
    refreshSomeQueued: async () => {
      calls.push('queue')
      return 0
    },
    directoryStamp: async () => 'sources-1|actors-1',
    refreshStale: async () => {
      calls.push('walk')
      return null
    },
    refreshDue: async () => {
      calls.push('due')
      return 0
    },
  }
  const refresher = createRefresher(disputes, app.log, { intervalMs: 1, slice: 5, budgetMs: 10, settleMs: 0 }, gate)
  t.teardown(() => refresher.stop())
  for (let i = 0; i < 500 && looks < 3; i++) await sleep(2)
  t.ok(looks >= 3, `rounds came (${looks})`)
  t.strictSame(calls, [], 'and did nothing while a write held the gate')
  held = false
  for (let i = 0; i < 500 && !calls.includes('due'); i++) await sleep(2)
  t.strictSame(calls.slice(0, 3), ['queue', 'walk', 'queue'], 'then the work goes on')
})

t.test("the worker's batches are writes under way: the queue they leave waits for them to settle", async (t) => {
  const dbPath = join(tempDir(t, 'refresher-settle'), 'reckon.db')
  const app = await buildApp({
    config: { ...(await testStore(dbPath)), apiKeys: [], logLevel: 'silent' },
    logger: false,
    backgroundRefresh: { intervalMs: 5, slice: 50, budgetMs: 10, settleMs: 60_000 },
  })
  t.teardown(() => app.close())
  // A source and an event: neither queues a refresh (a new event has its empty block).
  await post(app, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' })
  await post(app, '/events', { id: 'khan-shaykhun', title: 'Khan Shaykhun', occurred_on: '2017-04-04' })
  t.equal(await countRows(app, 'dispute_queue'), 0)
  t.equal((await post(app, '/claims/bulk', [figureRow(), figureRow({ value: 90 })])).statusCode, 201)
  // The worker thread is SQLite's (a connection of its own to the file); on PostgreSQL the app's pool writes the batch.
  t.equal(app.bulkClaims.runsIn, ON_POSTGRES ? 'app' : 'worker')
  t.equal(await countRows(app, 'dispute_queue'), 1, 'the batch queued its event (on the connection that wrote it)')
  // Every round asks how long writes have paused: count the rounds.
  let rounds = 0
  const sinceLastWrite = app.bulkClaims.sinceLastWrite.bind(app.bulkClaims)
  app.bulkClaims.sinceLastWrite = () => {
    rounds++
    return sinceLastWrite()
  }
  for (let i = 0; i < 500 && rounds < 5; i++) await sleep(5)
  t.ok(rounds >= 5, `rounds came (${rounds})`)
  t.equal(await countRows(app, 'dispute_queue'), 1, 'the queue waits: the batch is a recent write')
})
