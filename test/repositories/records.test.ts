/**
 * The unit of work and the caches that follow commits (db/sql.ts, records.ts,
 * #13 §1): a cached value is only ever one that is committed, and a revision
 * is the seq of the change log.
 */
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import { SqliteSql } from '../../src/db/sql.js'
import type { Teardown } from '../helper.js'
import { createActorsRepository } from '../../src/repositories/actors-repository.js'
import { committedCache, recordChange } from '../../src/repositories/records.js'
import { createSourcesRepository } from '../../src/repositories/sources-repository.js'

function database(t: Teardown): SqliteSql {
  const sql = new SqliteSql(openDatabase(':memory:'))
  t.teardown(() => sql.close())
  sql.db.$client.exec('CREATE TABLE box (v INTEGER NOT NULL)')
  sql.db.$client.exec('INSERT INTO box (v) VALUES (1)')
  return sql
}

/** A cache of the one value in `box`, counting its builds. */
function boxCache(sql: SqliteSql) {
  let builds = 0
  const cache = committedCache(sql, async () => {
    builds++
    return { v: (await sql.value<number>('SELECT v FROM box')) as number }
  })
  return {
    value: async () => (await cache.get()).v,
    /** Two reads in a row: what a second read gets, and whether it rebuilt, is the point of a cache. */
    twice: async () => [(await cache.get()).v, (await cache.get()).v],
    builds: () => builds,
    async write(v: number) {
      await sql.run('UPDATE box SET v = ?', [v])
      cache.written()
    },
  }
}

const fail = new Error('refused')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test(
  'with a recheck, a kept value is trusted for its time, then checked: kept when unchanged, rebuilt when another process wrote',
  async (t) => {
    const sql = database(t)
    let builds = 0
    let checks = 0
    const read = async () => (await sql.value<number>('SELECT v FROM box')) as number
    const cache = committedCache(
      sql,
      async () => {
        builds++
        return { v: await read() }
      },
      {
        everyMs: 40,
        changed: async (kept) => {
          checks++
          return (await read()) !== kept.v
        },
      },
    )
    const value = async () => (await cache.get()).v
    t.equal(await value(), 1)
    // Another process writes: this one is not told (no written()).
    await sql.run('UPDATE box SET v = 2')
    t.equal(await value(), 1, 'within its time, the kept value, unchecked')
    t.strictSame([builds, checks], [1, 0])
    await sleep(50)
    t.equal(await value(), 2, 'past its time: checked, found changed, rebuilt')
    t.strictSame([builds, checks], [2, 1])
    await sleep(50)
    t.equal(await value(), 2, 'checked again, unchanged: kept')
    t.equal(await value(), 2)
    t.strictSame([builds, checks], [2, 2], 'one check per period, no rebuild')
  },
)

t.test('a value is built once, and again only after a committed write', async (t) => {
  const box = boxCache(database(t))
  t.strictSame(await box.twice(), [1, 1])
  t.equal(box.builds(), 1, 'kept')
  await box.write(2) // outside a transaction: committed at once
  t.equal(await box.value(), 2)
  t.equal(box.builds(), 2)
})

t.test('inside the writing transaction reads see its writes; a rollback leaves the committed value, with no rebuild', async (t) => {
  const sql = database(t)
  const box = boxCache(sql)
  t.equal(await box.value(), 1)
  const seen: number[] = []
  await t.rejects(
    sql.transaction(async () => {
      await box.write(2)
      seen.push(await box.value(), await box.value())
      await box.write(3)
      seen.push(await box.value())
      throw fail
    }),
  )
  t.strictSame(seen, [2, 2, 3], "the transaction's own state, rebuilt after each write")
  t.equal(await box.value(), 1, 'rolled back: the committed value')
  t.equal(box.builds(), 3, 'the kept value was never dropped: built at first, then twice inside')
})

t.test('a commit drops the kept value when it lands, not before', async (t) => {
  const sql = database(t)
  const box = boxCache(sql)
  t.equal(await box.value(), 1)
  let duringEnd: boolean | null = null
  await sql.transaction(async () => {
    await box.write(5)
    sql.onTransactionEnd((committed) => {
      duringEnd = committed
    })
  })
  t.equal(duringEnd, true, 'told it committed')
  t.strictSame(await box.twice(), [5, 5])
  t.equal(box.builds(), 2, 'the first read, then one build after the commit, kept')
})

t.test('a value read inside a transaction that did not write is used, not kept', async (t) => {
  const sql = database(t)
  const box = boxCache(sql)
  await sql.transaction(async () => {
    t.strictSame(await box.twice(), [1, 1])
  })
  t.equal(box.builds(), 2, 'built per read inside')
  t.strictSame(await box.twice(), [1, 1])
  t.equal(box.builds(), 3, 'then kept once read outside')
})

t.test('a savepoint refused inside a committed transaction: what waits is told at the outer end', async (t) => {
  const sql = database(t)
  const box = boxCache(sql)
  t.equal(await box.value(), 1)
  const ends: boolean[] = []
  await sql.transaction(async () => {
    sql.onTransactionEnd((committed) => ends.push(committed))
    await t.rejects(
      sql.transaction(async () => {
        await box.write(7)
        throw fail
      }),
    )
    t.equal(await box.value(), 1, 'the savepoint rolled back: its write is gone inside the transaction too')
    t.strictSame(ends, [], 'nothing told at the end of the savepoint')
  })
  t.strictSame(ends, [true])
  t.equal(await box.value(), 1)
})

t.test('outside a transaction, onTransactionEnd calls at once and says so', async (t) => {
  const sql = database(t)
  const ends: boolean[] = []
  t.equal(
    sql.onTransactionEnd((committed) => ends.push(committed)),
    false,
  )
  t.strictSame(ends, [true])
  await t.rejects(
    sql.transaction(async () => {
      t.equal(
        sql.onTransactionEnd((committed) => ends.push(committed)),
        true,
      )
      throw fail
    }),
  )
  t.strictSame(ends, [true, false], 'a rollback is told as such')
})

t.test("revisions are the change log's seq: every write moves them, however close in time", async (t) => {
  const sql = new SqliteSql(openDatabase(':memory:'))
  t.teardown(() => sql.close())
  const actors = createActorsRepository(sql)
  const sources = createSourcesRepository(sql)
  const latest = () => sql.value<number>('SELECT MAX(seq) FROM changes')
  t.equal(await sources.revision(), 0, 'no source yet')
  await sources.create({ id: 's', name: 'S', kind: 'media' })
  t.equal(await sources.revision(), await latest())
  const first = await sources.revision()
  const seen = [first]
  // Several edits in the same millisecond (count@max(updated_at) could not tell them apart).
  for (let i = 0; i < 5; i++) {
    await sources.update('s', { name: `S${i}` })
    seen.push(await sources.revision())
  }
  t.strictSame(
    seen,
    seen.map((_, i) => first + i),
    'one seq per write',
  )
  await actors.create({ id: 'x', name: 'X', kind: 'state' })
  t.equal(await actors.revision(), await latest())
  t.equal(await sources.revision(), first + 5, 'an actor write is not a source write')
  t.equal(await recordChange(sql, 'event.created', 'e', 'e'), await latest(), 'recordChange returns the seq')
})
