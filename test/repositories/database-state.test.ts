/**
 * keptDatabaseState (#16): the whole database's state (latest change, next
 * claim due) kept between requests and read again when it may have changed —
 * this process's committed changes at once, another connection's (the bulk
 * worker) when told, another replica's within the interval, a claim coming
 * due when the moment reaches it. On either store.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { type DatabaseState, databaseState, keptDatabaseState } from '../../src/repositories/changes-repository.js'
import { recordChange } from '../../src/repositories/records.js'
import { build } from '../helper.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A kept state over app.sql that counts its reads. */
function counted(app: FastifyInstance, everyMs: number) {
  let reads = 0
  const rows = app.sql.rows.bind(app.sql)
  app.sql.rows = ((text: string, params?: unknown) => {
    if (text.includes('MAX(seq)') && text.includes('MIN(stated_at)')) reads++
    return rows(text, params as never)
  }) as typeof app.sql.rows
  return { kept: keptDatabaseState(app.sql, everyMs), reads: () => reads }
}

/** A write as another replica makes it: in the change log only, with nothing said to this process. */
async function writtenElsewhere(app: FastifyInstance): Promise<void> {
  const insert = 'INSERT INTO changes (at, type, id, event_id) VALUES (?, ?, ?, ?)'
  await app.writes.now(() => app.sql.run(insert, [new Date().toISOString(), 'source.created', 'x', null]))
}

const now = () => new Date().toISOString()

t.test('kept once read; this process’s committed changes read it again at once, a rolled-back one does not', async (t) => {
  const app = await build(t)
  const { kept, reads } = counted(app, 1e9)
  const first = await kept.get(now())
  t.strictSame(await kept.get(now()), first)
  t.equal(reads(), 1, 'read once')
  await app.writes.now(() => recordChange(app.sql, 'source.created', 'a', null))
  const second = await kept.get(now())
  t.equal(reads(), 2, 'a committed change: read again')
  t.ok(second.latest > first.latest, `the new latest (${first.latest} → ${second.latest})`)
  await app.writes
    .now(() =>
      app.sql.transaction(async () => {
        await recordChange(app.sql, 'source.created', 'b', null)
        throw new Error('rolled back')
      }),
    )
    .catch(() => undefined)
  t.strictSame(await kept.get(now()), second)
  t.equal(reads(), 2, 'a rolled-back change: kept')
  const inUnit = await app.writes.now(() => app.sql.transaction(async () => kept.get(now())))
  t.strictSame(inUnit, second)
  t.equal(reads(), 3, 'inside a unit of work: always read')
})

t.test('another replica’s write is seen once the interval has passed; another connection’s when told', async (t) => {
  const app = await build(t)
  const { kept, reads } = counted(app, 80)
  const first = await kept.get(now())
  await writtenElsewhere(app)
  t.strictSame(await kept.get(now()), first, 'within the interval: the kept state')
  await sleep(100)
  const later = await kept.get(now())
  t.equal(later.latest, first.latest + 1, 'past it: read again, with the write')
  await writtenElsewhere(app)
  kept.wroteElsewhere()
  t.equal((await kept.get(now())).latest, later.latest + 1, 'told: read again at once')
  t.equal(reads(), 3)
})

t.test('a claim stated in the future: the state is read again once the moment reaches it', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/events', payload: { id: 'ev', title: 'Ev', occurred_on: '2020' } })
  await app.inject({ method: 'POST', url: '/sources', payload: { id: 'desk', name: 'Desk', kind: 'ngo' } })
  const due = new Date(Date.now() + 3_600_000).toISOString()
  const posted = await app.inject({
    method: 'POST',
    url: '/events/ev/claims',
    payload: { kind: 'figure', source_id: 'desk', stated_at: due, metric: 'killed', qualifier: 'exact', value: 1 },
  })
  t.equal(posted.statusCode, 201)
  const { kept, reads } = counted(app, 1e9)
  const before: DatabaseState = await kept.get(now())
  t.equal(before.due, due, 'the next claim to come due')
  await kept.get(now())
  t.equal(reads(), 1)
  const after = await kept.get(new Date(Date.parse(due) + 1).toISOString())
  t.equal(reads(), 2, 'the moment past it: read again')
  t.strictSame(after, await databaseState(app.sql, new Date(Date.parse(due) + 1).toISOString()), 'as a fresh read says')
  t.equal(after.due, '', 'nothing else to come due')
})

t.test('GET /events/{id}/estimates: its ETag follows this process’s writes at once', async (t) => {
  const app = await build(t)
  await app.inject({ method: 'POST', url: '/events', payload: { id: 'ev', title: 'Ev', occurred_on: '2020' } })
  const first = await app.inject({ method: 'GET', url: '/events/ev/estimates?as_of=2021-01-01' })
  const etag = String(first.headers.etag)
  t.equal(
    (await app.inject({ method: 'GET', url: '/events/ev/estimates?as_of=2021-01-01', headers: { 'if-none-match': etag } })).statusCode,
    304,
  )
  await app.inject({ method: 'POST', url: '/sources', payload: { id: 'desk', name: 'Desk', kind: 'ngo' } })
  const after = await app.inject({ method: 'GET', url: '/events/ev/estimates?as_of=2021-01-01', headers: { 'if-none-match': etag } })
  t.equal(after.statusCode, 200, 'a write anywhere: a new tag')
})
