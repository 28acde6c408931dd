/**
 * The bulk-claims writer (services/bulk-claims-writer.ts) when its worker
 * fails: the batch it had fails with a server error (a 500 problem, never a
 * hang), the write gate is free again, and the next batch starts another
 * worker. On close, a batch under way finishes first.
 */
import { join } from 'node:path'
import t from 'tap'
import { WriteGate } from '../../src/repositories/write-gate.js'
import { createBulkClaimsWriter } from '../../src/services/bulk-claims-writer.js'
import { build, figureRow, json, post, tempDir } from '../helper.js'

const FAILING = new URL('./fixtures/failing-bulk-worker.ts', import.meta.url)

function writer(t: Parameters<typeof tempDir>[0], writes = new WriteGate()) {
  const bulk = createBulkClaimsWriter({
    dbPath: join(tempDir(t, 'bulk-writer'), 'reckon.db'),
    writes,
    claims: { recordAll: async () => ({ inserted: 0, existing: 0, ids: [] }) },
    workerEntry: FAILING,
  })
  t.teardown(() => bulk.close())
  return bulk
}

t.test('a worker that exits or throws fails its batch; the next batch gets a new worker', async (t) => {
  const writes = new WriteGate()
  const bulk = writer(t, writes)
  t.equal(bulk.runsIn, 'worker')
  t.strictSame(await bulk.record({ rows: [], dryRun: false }), { inserted: 0, existing: 0, ids: [] })
  await t.rejects(bulk.record({ rows: 'exit', dryRun: false }), {
    message: 'the bulk-claims worker stopped (exit code 3) before it answered',
  })
  t.equal(writes.busy, false, 'the gate is free again')
  t.strictSame(await bulk.record({ rows: [], dryRun: true }), { inserted: 0, existing: 0, ids: [] }, 'a new worker answers')
  await t.rejects(bulk.record({ rows: 'throw', dryRun: false }), { message: 'the worker failed' })
  t.equal(writes.busy, false)
  t.strictSame(await bulk.record({ rows: [], dryRun: false }), { inserted: 0, existing: 0, ids: [] })
})

t.test('closing lets the batch under way finish, then refuses more', async (t) => {
  const bulk = writer(t)
  const underWay = bulk.record({ rows: [], dryRun: false })
  await bulk.close()
  t.strictSame(await underWay, { inserted: 0, existing: 0, ids: [] })
  await t.rejects(bulk.record({ rows: [], dryRun: false }), {
    message: 'the app is closing: the bulk-claims worker takes no more batches',
  })
})

t.test('POST /claims/bulk when the worker dies: a 500 problem, and the app writes on', async (t) => {
  const dbPath = join(tempDir(t, 'bulk-crash'), 'reckon.db')
  const app = await build(t, { dbPath })
  const real = app.bulkClaims
  app.bulkClaims = createBulkClaimsWriter({ dbPath, writes: app.writes, claims: app.claimsService, workerEntry: FAILING })
  t.teardown(() => real.close())
  const res = await app.inject({
    method: 'POST',
    url: '/claims/bulk',
    payload: JSON.stringify('exit'),
    headers: { 'content-type': 'application/json' },
  })
  t.equal(res.statusCode, 500)
  t.strictSame(json(res), {
    type: 'urn:reckon:problem:internal',
    title: 'Internal server error',
    status: 500,
    detail: 'Something went wrong on our side. It has been logged.',
    instance: '/claims/bulk',
  })
  t.equal((await post(app, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' })).statusCode, 201, 'the gate is free')
  app.bulkClaims = real
  await post(app, '/events', { id: 'khan-shaykhun', title: 'Khan Shaykhun', occurred_on: '2017-04-04' })
  const batch = await app.inject({ method: 'POST', url: '/claims/bulk', payload: [figureRow()] })
  t.equal(batch.statusCode, 201, 'the real worker writes')
})

t.test('a listening server starts its worker before the first batch; a warm writer writes as a cold one', async (t) => {
  const app = await build(t, { dbPath: join(tempDir(t, 'bulk-warm'), 'reckon.db') })
  let warmed = 0
  const warm = app.bulkClaims.warm.bind(app.bulkClaims)
  app.bulkClaims.warm = () => {
    warmed++
    warm()
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal(warmed, 1, 'started as the server listens')
  await post(app, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' })
  await post(app, '/events', { id: 'khan-shaykhun', title: 'Khan Shaykhun', occurred_on: '2017-04-04' })
  t.equal((await app.inject({ method: 'POST', url: '/claims/bulk', payload: [figureRow()] })).statusCode, 201)
  app.bulkClaims.warm() // already running: nothing new
  t.equal((await app.inject({ method: 'POST', url: '/claims/bulk', payload: [figureRow({ value: 90 })] })).statusCode, 201)
})

t.test('warm() on a closed writer, or on one that writes in the app, does nothing', async (t) => {
  const bulk = writer(t)
  bulk.warm()
  t.strictSame(await bulk.record({ rows: [], dryRun: false }), { inserted: 0, existing: 0, ids: [] })
  await bulk.close()
  bulk.warm()
  await t.rejects(bulk.record({ rows: [], dryRun: false }), { message: 'the app is closing: the bulk-claims worker takes no more batches' })
  const app = await build(t)
  t.equal(app.bulkClaims.runsIn, 'app')
  app.bulkClaims.warm()
  t.strictSame(await app.bulkClaims.record({ rows: [], dryRun: false }), { inserted: 0, existing: 0, ids: [] })
})
