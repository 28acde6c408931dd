/**
 * The unit of work and the caches that follow commits (records.ts, #13 §1):
 * a cached value is only ever one that is committed, and a revision is the
 * seq of the change log.
 */
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import type { Teardown } from '../helper.js'
import { createActorsRepository } from '../../src/repositories/actors-repository.js'
import { committedCache, inTransaction, onTransactionEnd, recordChange } from '../../src/repositories/records.js'
import { createSourcesRepository } from '../../src/repositories/sources-repository.js'

function database(t: Teardown) {
  const db = openDatabase(':memory:')
  t.teardown(() => db.$client.close())
  db.$client.exec('CREATE TABLE box (v INTEGER NOT NULL)')
  db.$client.exec('INSERT INTO box (v) VALUES (1)')
  return db
}

/** A cache of the one value in `box`, counting its builds. */
function boxCache(db: ReturnType<typeof database>) {
  const read = db.$client.prepare('SELECT v FROM box').pluck()
  const set = db.$client.prepare('UPDATE box SET v = ?')
  let builds = 0
  const cache = committedCache(db, () => {
    builds++
    return { v: read.get() as number }
  })
  return {
    value: () => cache.get().v,
    /** Two reads in a row: what a second read gets, and whether it rebuilt, is the point of a cache. */
    twice: () => [cache.get().v, cache.get().v],
    builds: () => builds,
    write(v: number) {
      set.run(v)
      cache.written()
    },
  }
}

const fail = new Error('refused')

t.test('a value is built once, and again only after a committed write', async (t) => {
  const box = boxCache(database(t))
  t.strictSame(box.twice(), [1, 1])
  t.equal(box.builds(), 1, 'kept')
  box.write(2) // outside a transaction: committed at once
  t.equal(box.value(), 2)
  t.equal(box.builds(), 2)
})

t.test('inside the writing transaction reads see its writes; a rollback leaves the committed value, with no rebuild', async (t) => {
  const db = database(t)
  const box = boxCache(db)
  t.equal(box.value(), 1)
  const seen: number[] = []
  t.throws(() =>
    inTransaction(db, () => {
      box.write(2)
      seen.push(box.value(), box.value())
      box.write(3)
      seen.push(box.value())
      throw fail
    }),
  )
  t.strictSame(seen, [2, 2, 3], "the transaction's own state, rebuilt after each write")
  t.equal(box.value(), 1, 'rolled back: the committed value')
  t.equal(box.builds(), 3, 'the kept value was never dropped: built at first, then twice inside')
})

t.test('a commit drops the kept value when it lands, not before', async (t) => {
  const db = database(t)
  const box = boxCache(db)
  t.equal(box.value(), 1)
  let duringEnd: boolean | null = null
  inTransaction(db, () => {
    box.write(5)
    onTransactionEnd(db, (committed) => {
      duringEnd = committed
    })
  })
  t.equal(duringEnd, true, 'told it committed')
  t.strictSame(box.twice(), [5, 5])
  t.equal(box.builds(), 2, 'the first read, then one build after the commit, kept')
})

t.test('a value read inside a transaction that did not write is used, not kept', async (t) => {
  const db = database(t)
  const box = boxCache(db)
  inTransaction(db, () => {
    t.strictSame(box.twice(), [1, 1])
  })
  t.equal(box.builds(), 2, 'built per read inside')
  t.strictSame(box.twice(), [1, 1])
  t.equal(box.builds(), 3, 'then kept once read outside')
})

t.test('a savepoint refused inside a committed transaction: what waits is told at the outer end', async (t) => {
  const db = database(t)
  const box = boxCache(db)
  t.equal(box.value(), 1)
  const ends: boolean[] = []
  inTransaction(db, () => {
    onTransactionEnd(db, (committed) => ends.push(committed))
    t.throws(() =>
      inTransaction(db, () => {
        box.write(7)
        throw fail
      }),
    )
    t.equal(box.value(), 1, 'the savepoint rolled back: its write is gone inside the transaction too')
    t.strictSame(ends, [], 'nothing told at the end of the savepoint')
  })
  t.strictSame(ends, [true])
  t.equal(box.value(), 1)
})

t.test('outside a transaction, onTransactionEnd calls at once and says so', async (t) => {
  const db = database(t)
  const ends: boolean[] = []
  t.equal(
    onTransactionEnd(db, (committed) => ends.push(committed)),
    false,
  )
  t.strictSame(ends, [true])
  t.throws(() =>
    inTransaction(db, () => {
      t.equal(
        onTransactionEnd(db, (committed) => ends.push(committed)),
        true,
      )
      throw fail
    }),
  )
  t.strictSame(ends, [true, false], 'a rollback is told as such')
})

t.test("revisions are the change log's seq: every write moves them, however close in time", async (t) => {
  const db = openDatabase(':memory:')
  t.teardown(() => db.$client.close())
  const actors = createActorsRepository(db)
  const sources = createSourcesRepository(db)
  const latest = db.$client.prepare('SELECT MAX(seq) FROM changes').pluck()
  t.equal(sources.revision(), 0, 'no source yet')
  sources.create({ id: 's', name: 'S', kind: 'media' })
  t.equal(sources.revision(), latest.get())
  const first = sources.revision()
  const seen = [first]
  // Several edits in the same millisecond (count@max(updated_at) could not tell them apart).
  for (let i = 0; i < 5; i++) {
    sources.update('s', { name: `S${i}` })
    seen.push(sources.revision())
  }
  t.strictSame(
    seen,
    seen.map((_, i) => first + i),
    'one seq per write',
  )
  actors.create({ id: 'x', name: 'X', kind: 'state' })
  t.equal(actors.revision(), latest.get())
  t.equal(sources.revision(), first + 5, 'an actor write is not a source write')
  t.equal(recordChange(db, 'event.created', 'e', 'e'), latest.get(), 'recordChange returns the seq')
})
