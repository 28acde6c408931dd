/**
 * The timeline service against the database: it reads only the group's
 * claims and those that supersede them, in batches, and still gives every
 * step of the summary computed from scratch over the whole event — with
 * known_at and as_of, on random histories (seeded) and on a long one.
 */
import fc from 'fast-check'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { asKnownAt } from '../../src/engine/known-at.js'
import { type GroupKey, type TimelineStep, figureTimeline } from '../../src/engine/timeline.js'
import type { Claim } from '../../src/engine/types.js'
import { ProblemError } from '../../src/errors.js'
import { createTimelineQuery } from '../../src/repositories/timeline-query.js'
import { type TimelineRequest, createTimelineService } from '../../src/services/timeline-service.js'
import { ACTORS, SOURCES, WORLD, figure } from '../engine/fixtures/claims.js'
import { ASKED, GROUPS, forEveryHistory, fromScratch, historyArb } from '../engine/fixtures/histories.js'
import type { Params, Sql } from '../../src/db/sql.js'
import { assertQueryRefused, build, claimRow, createAll } from '../helper.js'
import { ON_POSTGRES } from '../store.js'

// On PostgreSQL every statement is a round trip: storing the long history alone takes longer than tap's 30 s a file.
if (ON_POSTGRES) t.setTimeout(180_000)

/** An app with the sources and actors the histories name (each named by its id, as in the engine's WORLD). */
async function world(): Promise<FastifyInstance> {
  const app = await build(t)
  await createAll(app, [
    ...SOURCES.map((id) => ['/sources', { id, name: id, kind: 'monitor' }] as const),
    ...ACTORS.map((a) => ['/actors', { id: a.id, name: a.id, kind: 'other' }] as const),
  ])
  return app
}

let events = 0

/**
 * A new event holding `claims` as they are (recorded_at, ids and retractions
 * included), inserted in order as the API appends them; the claims as
 * stored there (ids and references prefixed with the event's id).
 */
async function stored(app: FastifyInstance, claims: readonly Claim[]): Promise<{ event: string; claims: Claim[] }> {
  const event = `h${++events}`
  await createAll(app, [['/events', { id: event, title: event, occurred_on: '2020' }]])
  const own = (id: string) => `${event}-${id}`
  const placed = claims.map((c) => ({ ...c, id: own(c.id), event_id: event, supersedes: c.supersedes === null ? null : own(c.supersedes) }))
  // Through the repository, as the API appends them (and the write gate, as every write of the app's connection).
  await app.writes.now(async () => {
    for (const c of placed) await app.repos.claims.insert(claimRow(c))
    for (const c of placed) if (c.retraction !== null) await app.repos.claims.retract(c.id, c.retraction.at, c.retraction.reason)
  })
  return { event, claims: placed }
}

/** Every step of a page, read. */
async function steps(service: ReturnType<typeof createTimelineService>, event: string, request: TimelineRequest): Promise<TimelineStep[]> {
  return [...(await service.page(event, request)).steps]
}

t.test('every step equals the summary from scratch over the whole event, with known_at and as_of (property)', async (t) => {
  const app = await world()
  const service = createTimelineService(app.sql, app.repos)
  const askedAt = fc.option(fc.constantFrom(...ASKED), { nil: undefined })
  // Each history is stored once per run, under an event of its own.
  const storedOnce = new WeakMap<Claim[], Promise<{ event: string; claims: Claim[] }>>()
  const place = (claims: Claim[]) => {
    let placed = storedOnce.get(claims)
    if (placed === undefined) {
      placed = stored(app, claims)
      storedOnce.set(claims, placed)
    }
    return placed
  }
  await forEveryHistory(
    t,
    'each step, read from the database',
    fc.tuple(historyArb(), fc.constantFrom(...GROUPS), askedAt, askedAt),
    async ([history, key, knownAt, asOf]) => steps(service, (await place(history)).event, { key, knownAt, asOf }),
    async ([history, key, knownAt, asOf]) => {
      const { claims } = await place(history)
      return fromScratch(knownAt === undefined ? claims : asKnownAt(claims, knownAt), key, (at) => asOf === undefined || at <= asOf)
    },
    40,
  )
})

t.test('a long group is read in batches that all see the database as it was when the first was read', async (t) => {
  const app = await world()
  const key: GroupKey = { metric: 'killed', population: 'all', party: null }
  // 4,500 claims of the group, one an hour from five sources in turn, and claims of another group between; nine of them superseded,
  // an hour later, by a correction filed in a third group (the source has no later claim for four steps).
  const moment = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString()
  const history: Claim[] = []
  for (let i = 0; i < 4500; i++) {
    const stated = moment(i)
    history.push(
      figure({
        id: `g${String(i).padStart(4, '0')}`,
        source_id: SOURCES[i % 5] as string,
        stated_at: stated,
        qualifier: 'exact',
        value: i,
      }),
    )
    if (i % 3 === 0) {
      history.push(
        figure({
          id: `o${String(i).padStart(4, '0')}`,
          source_id: 's1',
          stated_at: stated,
          qualifier: 'exact',
          value: i,
          population: 'children',
        }),
      )
    }
    if (i % 500 === 250) {
      history.push(
        figure({
          id: `x${String(i).padStart(4, '0')}`,
          source_id: 's2',
          stated_at: moment(i + 1),
          qualifier: 'exact',
          value: 1,
          metric: 'injured',
          supersedes: `g${String(i).padStart(4, '0')}`,
        }),
      )
    }
  }
  const { event, claims } = await stored(app, history)
  const service = createTimelineService(app.sql, app.repos)
  const whole = await steps(service, event, { key })
  t.equal(whole.length, 4500)
  // The engine over the whole event (equal to the summaries from scratch: test/engine/timeline.test.ts), as the reference.
  t.strictSame(whole, [...figureTimeline(claims, key, WORLD)], 'every step, over three batches and the corrections found with each')

  // What is written once the first batch is read does not reach the answer, though the batches after it are read later.
  // The writes are made once the read has read its first batch: the query reads through a Sql that, after its first
  // statement of rows, waits for them (made from here, outside the read's own unit of work on PostgreSQL).
  let firstRead!: () => void
  const firstBatchRead = new Promise<void>((resolve) => (firstRead = resolve))
  let written!: () => void
  const writesDone = new Promise<void>((resolve) => (written = resolve))
  let batches = 0
  const sql = app.sql
  const pausing: Sql = {
    dialect: sql.dialect,
    get inTransaction() {
      return sql.inTransaction
    },
    get unit() {
      return sql.unit
    },
    all: (text, params) => sql.all(text, params),
    get: (text, params) => sql.get(text, params),
    rows: async <T extends readonly unknown[]>(text: string, params?: Params) => {
      const rows = await sql.rows<T>(text, params)
      if (++batches === 1) {
        firstRead()
        await writesDone
      }
      return rows
    },
    value: (text, params) => sql.value(text, params),
    values: (text, params) => sql.values(text, params),
    run: (text, params) => sql.run(text, params),
    transaction: (fn, options) => sql.transaction(fn, options),
    onTransactionEnd: (fn) => sql.onTransactionEnd(fn),
    close: () => sql.close(),
  }
  const query = createTimelineQuery(pausing)
  const reading = query.claimsOf(event, key)
  await firstBatchRead
  const retracted = `${event}-g4000`
  await app.writes.now(async () => {
    await app.repos.claims.retract(retracted, '2030-01-01T00:00:00.000Z', 'late')
    await app.sql.run(
      `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, fingerprint, metric, population, qualifier, value)
         VALUES ('late-claim', ?, 'figure', 's3', '[]', ?, ?, 'x', 'killed', 'all', 'exact', 7)`,
      [event, moment(4400), moment(4400)],
    )
  })
  written()
  const read = await reading
  t.equal(read.length, 4500 + 9, 'the group and the nine corrections')
  t.equal(read.filter((c) => c.id === 'late-claim').length, 0, 'a claim recorded after the read began is not in it')
  t.equal(read.find((c) => c.id === retracted)?.retraction, null, 'nor is a retraction made after it began')
  const after = await query.claimsOf(event, key)
  t.strictSame(
    [after.length, after.find((c) => c.id === retracted)?.retraction?.reason],
    [4500 + 10, 'late'],
    'a read begun after them has both',
  )
})

t.test('paging: a limit cuts the steps and gives the cursor of the next; a cursor not given out is a 400 naming it', async (t) => {
  const app = await world()
  const key: GroupKey = { metric: 'killed', population: 'all', party: null }
  const history = [0, 1, 2, 3, 4].map((i) =>
    figure({ id: `c${i}`, source_id: SOURCES[i] as string, stated_at: `2020-01-0${i + 1}T00:00:00.000Z`, qualifier: 'exact', value: i }),
  )
  const { event } = await stored(app, history)
  const service = createTimelineService(app.sql, app.repos)
  const first = await service.page(event, { key, limit: 2 })
  t.strictSame(
    [...first.steps].map((s) => s.at),
    ['2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z'],
  )
  t.type(first.next_cursor, 'string')
  const second = await service.page(event, { key, limit: 2, cursor: first.next_cursor ?? '', to: '2020-01-04T00:00:00.000Z' })
  t.strictSame(
    [...second.steps].map((s) => s.at),
    ['2020-01-03T00:00:00.000Z', '2020-01-04T00:00:00.000Z'],
  )
  t.equal(second.next_cursor, null, 'no step after these within `to`')
  const exact = await service.page(event, { key, limit: 5 })
  t.equal(exact.next_cursor, null, 'a page that holds the last step has no next')

  for (const cursor of ['not a cursor', Buffer.from('["tomorrow"]').toString('base64url'), Buffer.from('[1]').toString('base64url')]) {
    const refused = await service.page(event, { key, cursor }).then(
      () => null,
      (err: unknown) => err,
    )
    t.strictSame(
      refused instanceof ProblemError ? [refused.status, refused.errors] : refused,
      [400, [{ path: '/cursor', in: 'query', message: 'is not a cursor from a previous page' }]],
      cursor,
    )
  }
  const res = await app.inject({
    method: 'GET',
    url: `/events/${event}/timeline?metric=killed&cursor=${Buffer.from('["2020"]').toString('base64url')}`,
  })
  assertQueryRefused(t, res, '/cursor', 'a cursor whose moment is not one a step has')
})
