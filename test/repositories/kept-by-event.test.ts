/**
 * keptByEvent (#15): what is read "as of now" per event is kept between
 * requests, and a write is seen — by this process when its unit commits, by
 * every other one (whose writes reach this one only through the change log)
 * within the look-again interval — and nothing read across a drop is kept.
 * On either store (npm test, npm run test:postgres).
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { Sql } from '../../src/db/sql.js'
import { type KeptByEvent, type KeptByEventOptions, keptByEvent } from '../../src/repositories/kept-by-event.js'
import { recordChange, recordChanges } from '../../src/repositories/records.js'
import { build } from '../helper.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A kept-by-event over reads that count themselves and answer "<event>#<n>" (n: the event's reads so far), or nothing for 'none'. */
function counted(sql: Sql, options: Partial<KeptByEventOptions<string>> = {}) {
  const kept = keptByEvent<string>(sql, { everyMs: 1e9, maxWeight: 1e9, idleMs: 1e9, weigh: (row) => row.length, ...options })
  const reads = new Map<string, number>()
  const read = (eventId: string) => async () => {
    const n = (reads.get(eventId) ?? 0) + 1
    reads.set(eventId, n)
    return eventId === 'none' ? undefined : `${eventId}#${n}`
  }
  return { kept, get: (eventId: string) => kept.get(eventId, read(eventId)), reads: (eventId: string) => reads.get(eventId) ?? 0 }
}

/** A write as another replica makes it: in the change log only, with nothing said to this process. */
async function writtenElsewhere(app: FastifyInstance, eventId: string): Promise<void> {
  await app.writes.now(() => recordChange(app.sql, 'claim.created', `c-${eventId}-${Math.random()}`, eventId))
}

t.test('a row is read once and kept; an absent one is not kept', async (t) => {
  const app = await build(t)
  const { get, reads } = counted(app.sql)
  t.equal(await get('e1'), 'e1#1')
  t.equal(await get('e1'), 'e1#1')
  t.equal(reads('e1'), 1)
  t.equal(await get('none'), undefined)
  t.equal(await get('none'), undefined)
  t.equal(reads('none'), 2)
})

t.test("another process's write drops the event's row at the next look, within the interval, and only that event's", async (t) => {
  const app = await build(t)
  const { get } = counted(app.sql, { everyMs: 150 })
  t.equal(await get('e1'), 'e1#1')
  t.equal(await get('e2'), 'e2#1')
  await writtenElsewhere(app, 'e1')
  t.equal(await get('e1'), 'e1#1', 'kept until the interval is up')
  await sleep(200)
  t.equal(await get('e1'), 'e1#2', 'read again after the look')
  t.equal(await get('e2'), 'e2#1', 'another event stays kept')
})

t.test('wroteElsewhere: the next read looks at the change log at once', async (t) => {
  const app = await build(t)
  const { kept, get } = counted(app.sql)
  t.equal(await get('e1'), 'e1#1')
  await writtenElsewhere(app, 'e1')
  t.equal(await get('e1'), 'e1#1', 'no look before the interval')
  kept.wroteElsewhere()
  t.equal(await get('e1'), 'e1#2')
  t.equal(await get('e1'), 'e1#2')
})

t.test("written: the events' rows go when the unit commits, not when it rolls back, nor before it ends", async (t) => {
  const app = await build(t)
  const { kept, get } = counted(app.sql)
  t.equal(await get('e1'), 'e1#1')
  await t.rejects(
    app.sql.transaction(async () => {
      kept.written(['e1'])
      throw new Error('rolled back')
    }),
    /rolled back/,
  )
  t.equal(await get('e1'), 'e1#1', 'kept after a rollback')
  let inside: string | undefined
  await app.sql.transaction(async () => {
    kept.written(['e1'])
    inside = await get('e1')
    t.equal(await get('e1'), 'e1#3', 'read afresh inside the unit, every time')
  })
  t.equal(inside, 'e1#2', 'a read inside the unit is not the kept one')
  t.equal(await get('e1'), 'e1#4', 'dropped at the commit; what the unit read was not kept')
  t.equal(await get('e1'), 'e1#4')
})

t.test('a row read while a commit drops the event is used, not kept', async (t) => {
  const app = await build(t)
  const { kept } = counted(app.sql)
  let reads = 0
  const read = async () => {
    reads++
    if (reads === 1) await app.sql.transaction(async () => kept.written(['e1'])) // commits while this read is under way
    return `e1#${reads}`
  }
  t.equal(await kept.get('e1', read), 'e1#1')
  t.equal(await kept.get('e1', read), 'e1#2', 'read again')
  t.equal(await kept.get('e1', read), 'e1#2', 'and kept now')
})

t.test('a row read while a look drops events is used, not kept', async (t) => {
  const app = await build(t)
  const kept: KeptByEvent<string> = keptByEvent<string>(app.sql, { everyMs: 1e9, maxWeight: 1e9, idleMs: 1e9, weigh: () => 1 })
  await kept.get('e0', async () => 'e0') // the first look: where the change log stands
  let reads = 0
  const read = async () => {
    reads++
    if (reads === 1) {
      await writtenElsewhere(app, 'e1')
      kept.wroteElsewhere()
      await kept.get('e2', async () => 'e2') // looks, and drops e1 (not kept yet)
    }
    return `e1#${reads}`
  }
  t.equal(await kept.get('e1', read), 'e1#1')
  t.equal(await kept.get('e1', read), 'e1#2', 'read again')
  t.equal(await kept.get('e1', read), 'e1#2')
})

t.test('once full, a row read is used and not kept (no row is put out for it); rows unused for a while go at the next look', async (t) => {
  const app = await build(t)
  const { kept, get, reads } = counted(app.sql, { maxWeight: 10, idleMs: 150 }) // rows weigh 4 ("eN#1"): two fit
  await get('e1')
  await get('e2')
  await get('e3') // full: read, not kept
  await get('e1')
  await get('e2')
  await get('e3')
  t.strictSame([reads('e1'), reads('e2'), reads('e3')], [1, 1, 2], 'e1 and e2 kept, e3 read each time')
  await sleep(100)
  await get('e1') // used again: e2 is idle first
  await sleep(100)
  kept.wroteElsewhere() // a look: e2, unused for 200 ms, goes; e1 (100 ms) stays
  await get('e3')
  await get('e3')
  await get('e2')
  t.strictSame([reads('e1'), reads('e2'), reads('e3')], [1, 2, 3], 'e3 kept in the room e2 left; e2 read again')
  await get('e1')
  t.equal(reads('e1'), 1, 'e1 still kept')
})

t.test('a burst of more changes than a look reads drops every row', async (t) => {
  const app = await build(t)
  const { kept, get, reads } = counted(app.sql)
  await get('e1')
  await get('e2')
  await app.writes.now(() =>
    recordChanges(
      app.sql,
      'claim.created',
      Array.from({ length: 1001 }, (_, i) => ({ id: `burst-${i}`, eventId: 'e9' })),
    ),
  )
  kept.wroteElsewhere()
  await get('e1')
  await get('e2')
  t.strictSame([reads('e1'), reads('e2')], [2, 2])
  await writtenElsewhere(app, 'e1')
  kept.wroteElsewhere()
  await get('e1')
  await get('e2')
  t.strictSame([reads('e1'), reads('e2')], [3, 2], 'after the burst, the log is followed from its end')
})
