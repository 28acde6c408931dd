/**
 * The unit of work of either store (src/db/sql.ts, src/db/pg/sql.ts), through
 * the app's `sql`: this file runs on SQLite in `npm test` and on PostgreSQL in
 * `npm run test:postgres`. Requests run interleaved: what one unit writes is
 * seen by no one else before it commits, and two units never mix.
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build } from '../helper.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function withBox(t: Parameters<typeof build>[0]): Promise<FastifyInstance> {
  const app = await build(t)
  await app.writes.now(async () => {
    await app.sql.run('CREATE TABLE box (v INTEGER NOT NULL)')
    await app.sql.run('INSERT INTO box (v) VALUES (1)')
  })
  return app
}

const values = (app: FastifyInstance) => app.sql.values<number>('SELECT v FROM box ORDER BY v')

t.test('what a unit writes is seen inside it at once, and outside only once it has committed', async (t) => {
  const app = await withBox(t)
  let written: () => void = () => undefined
  const wrote = new Promise<void>((resolve) => (written = resolve))
  let committed = false
  let inside: number[] = []
  const unit = app.writes.write(() =>
    app.sql.transaction(async () => {
      await app.sql.run('INSERT INTO box (v) VALUES (2)')
      inside = await values(app)
      app.sql.onTransactionEnd((done) => (committed = done))
      written()
      await sleep(30) // other requests run meanwhile
    }),
  )
  await wrote
  const outside = await values(app)
  // SQLite's one connection makes a reader wait for the unit's end; PostgreSQL's reader sees what was committed before.
  const committedAtRead = committed
  await unit
  t.strictSame(inside, [1, 2])
  t.strictSame(outside, committedAtRead ? [1, 2] : [1], `outside, read ${committedAtRead ? 'after' : 'before'} the commit`)
  t.strictSame(await values(app), [1, 2], 'after')
})

t.test('a unit that throws leaves nothing, and says so to what waits for its end', async (t) => {
  const app = await withBox(t)
  const ends: boolean[] = []
  await t.rejects(
    app.writes.write(() =>
      app.sql.transaction(async () => {
        await app.sql.run('INSERT INTO box (v) VALUES (2)')
        t.equal(app.sql.inTransaction, true)
        t.equal(
          app.sql.onTransactionEnd((committed) => ends.push(committed)),
          true,
        )
        await sleep(5)
        throw new Error('refused')
      }),
    ),
    { message: 'refused' },
  )
  t.strictSame(await values(app), [1])
  t.strictSame(ends, [false])
  t.equal(app.sql.inTransaction, false)
})

t.test('a unit inside a unit is a savepoint: it fails alone, and the outer one commits', async (t) => {
  const app = await withBox(t)
  await app.writes.write(() =>
    app.sql.transaction(async () => {
      await app.sql.run('INSERT INTO box (v) VALUES (2)')
      await t.rejects(
        app.sql.transaction(async () => {
          await app.sql.run('INSERT INTO box (v) VALUES (3)')
          throw new Error('this row only')
        }),
      )
      t.strictSame(await values(app), [1, 2], 'inside: the savepoint rolled back, the unit goes on')
    }),
  )
  t.strictSame(await values(app), [1, 2])
})

t.test('units started together each land whole, never mixed', async (t) => {
  const app = await withBox(t)
  const unit = (v: number) =>
    app.sql.transaction(async () => {
      await app.sql.run('INSERT INTO box (v) VALUES (?)', [v])
      await sleep(5)
      await app.sql.run('INSERT INTO box (v) VALUES (?)', [v + 1])
    })
  // Not through the write gate: the store alone keeps them apart.
  await app.writes.now(() => Promise.all([unit(10), unit(20), unit(30)]))
  t.strictSame(await values(app), [1, 10, 11, 20, 21, 30, 31])
  const failing = app.writes.now(() =>
    Promise.allSettled([
      unit(40),
      app.sql.transaction(async () => {
        await app.sql.run('INSERT INTO box (v) VALUES (50)')
        await sleep(5)
        throw new Error('refused')
      }),
    ]),
  )
  const [ok, refused] = await failing
  t.equal(ok?.status, 'fulfilled')
  t.equal(refused?.status, 'rejected')
  t.strictSame(await values(app), [1, 10, 11, 20, 21, 30, 31, 40, 41], 'the refused unit left nothing; the other landed')
})
