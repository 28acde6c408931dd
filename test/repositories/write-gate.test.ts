/**
 * The write gate (repositories/write-gate.ts): one writer at a time, in
 * arrival order, and a guard that refuses any write of the app's connection
 * made outside it — while a bulk batch holds it above all.
 */
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import { WriteGate, guardWrites } from '../../src/repositories/write-gate.js'
import { build, countRows } from '../helper.js'

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

t.test('writes take their turn in arrival order; a hold keeps the others waiting until it settles', async (t) => {
  const gate = new WriteGate()
  const order: string[] = []
  const released = deferred()
  const holding = gate.hold(async () => {
    order.push('hold begins')
    await released.promise
    order.push('hold ends')
    return 'held'
  })
  t.equal(gate.busy, true, 'held')
  const first = gate.write(() => order.push('first write'))
  const second = gate.write(() => order.push('second write'))
  await new Promise((resolve) => setImmediate(resolve))
  t.strictSame(order, ['hold begins'], 'the writes wait for the hold')
  await t.rejects(
    gate.now(() => order.push('now')),
    { message: 'the write gate is held by another write' },
    'now() does not wait',
  )
  released.resolve()
  t.equal(await holding, 'held', 'the hold resolves with what its work resolved with')
  await Promise.all([first, second])
  t.strictSame(order, ['hold begins', 'hold ends', 'first write', 'second write'])
  t.equal(gate.busy, false, 'free again')
  t.equal(await gate.now(() => 'at once'), 'at once', 'free: now() runs at once')
})

t.test('a write that throws rejects and frees the gate; a failed hold frees it too', async (t) => {
  const gate = new WriteGate()
  await t.rejects(
    gate.write(() => {
      throw new Error('refused')
    }),
    { message: 'refused' },
  )
  await t.rejects(
    gate.hold(async () => {
      throw new Error('crashed')
    }),
    { message: 'crashed' },
  )
  t.equal(gate.busy, false)
  t.equal(await gate.write(() => 'next'), 'next')
})

t.test('inside a write, now() runs within it and write() is refused (it would wait for itself)', async (t) => {
  const gate = new WriteGate()
  const inner = await gate.write(() => gate.now(() => 'inner'))
  t.equal(inner, 'inner')
  let nested: Promise<unknown> = Promise.resolve()
  await gate.write(() => {
    nested = gate.write(() => 'never')
  })
  await t.rejects(nested, { message: 'the write gate is not reentrant: a write inside a write runs in it, without write()' })
})

t.test("the guard: the app's connection writes only inside write() or now()", async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.$client.close())
  db.$client.exec('CREATE TABLE box (v INTEGER)')
  const gate = new WriteGate()
  guardWrites(db, gate)
  const insert = db.$client.prepare('INSERT INTO box (v) VALUES (1)')
  const count = db.$client.prepare('SELECT COUNT(*) FROM box').pluck()
  const outside = 'a write on the database outside the write gate: go through app.writes (src/repositories/write-gate.ts)'
  t.throws(() => insert.run(), { message: outside }, 'run() of a write statement')
  t.throws(() => db.$client.exec('DELETE FROM box'), { message: outside }, 'exec()')
  t.equal(count.get(), 0, 'reads pass, and nothing was written')
  await gate.now(() => insert.run())
  t.equal(count.get(), 1, 'inside now(): written')

  const released = deferred()
  const holding = gate.hold(() => released.promise)
  t.throws(
    () => insert.run(),
    {
      message: 'a write on the database while another write holds the write gate (the bulk-claims worker): go through app.writes',
    },
    'while a hold is on, the message says who holds it',
  )
  t.equal(count.get(), 1, 'reads pass while it is held')
  released.resolve()
  await holding
})

t.test('every write of the app goes through the gate: a write route, a keyed POST, the events list', async (t) => {
  const app = await build(t)
  const released = deferred()
  const holding = app.writes.hold(() => released.promise)
  const statuses: number[] = []
  const sent = [
    app.inject({ method: 'POST', url: '/sources', payload: { id: 'a', name: 'A', kind: 'media' } }),
    app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'idempotency-key': 'k-1' },
      payload: { id: 'e', title: 'E', occurred_on: '2020' },
    }),
    app.inject({ method: 'GET', url: '/events' }),
  ].map((res) => res.then((r) => statuses.push(r.statusCode)))
  const read = await app.inject({ method: 'GET', url: '/sources' })
  t.equal(read.statusCode, 200, 'a read is answered while the gate is held')
  t.strictSame(statuses, [], 'the writes wait')
  t.equal(await countRows(app, 'sources'), 0)
  released.resolve()
  await holding
  await Promise.all(sent)
  t.strictSame(
    statuses.sort((a, b) => a - b),
    [200, 201, 201],
    'then each is answered',
  )
  t.equal(await countRows(app, 'sources'), 1)
  t.equal(await countRows(app, 'events'), 1)
})
