/**
 * POST /claims/bulk on a file database (#14): the batch is validated, checked
 * and written in a worker thread (services/bulk-claims-writer), on a
 * connection of its own, while the app's event loop serves everyone else.
 * Its answers are the in-process path's (':memory:', test/routes/bulk.test.ts),
 * byte for byte; a batch is still all or nothing; and the worker sees what
 * the app wrote between two batches.
 */
import Database from 'better-sqlite3'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { join } from 'node:path'
import t from 'tap'
import { refuse } from '../store.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import {
  type BulkResult,
  type Page,
  type Teardown,
  build,
  countRows,
  figureRow as row,
  get,
  json,
  patch,
  post,
  tempDir,
} from '../helper.js'

const EVENT = 'khan-shaykhun'

/** The worked example on a file database: its batches go to the worker. */
async function onFile(t: Teardown): Promise<{ app: FastifyInstance; dbPath: string }> {
  const dbPath = join(tempDir(t, 'bulk-worker'), 'reckon.db')
  const app = await build(t, { dbPath })
  await loadFixture(app, readFixture())
  return { app, dbPath }
}

/** The worked example in memory: its batches run in the app. */
async function inMemory(t: Teardown): Promise<FastifyInstance> {
  const app = await build(t)
  await loadFixture(app, readFixture())
  return app
}

const bulk = (
  app: FastifyInstance,
  payload: string | object,
  type = 'application/json',
  query = '',
  headers: Record<string, string> = {},
) => app.inject({ method: 'POST', url: `/claims/bulk${query}`, headers: { 'content-type': type, ...headers }, payload })

/** Each claim id of the app, in recorded order, replaced by its rank: two apps that did the same things answer the same. */
async function withoutIds(app: FastifyInstance, text: string): Promise<string> {
  const claims = json<Page<{ id: string }>>(await get(app, '/claims?limit=1000')).items
  return claims.reduce((out, claim, i) => out.replaceAll(claim.id, `<claim ${i}>`), text)
}

async function answer(app: FastifyInstance, res: LightMyRequestResponse) {
  return { status: res.statusCode, type: res.headers['content-type'], body: await withoutIds(app, res.body) }
}

t.test('the worker answers every refused batch as the app does: 400, 422 and 409, in JSON, NDJSON and CSV', async (t) => {
  const { app: worker } = await onFile(t)
  const app = await inMemory(t)
  t.equal(worker.bulkClaims.runsIn, 'worker', 'a file database: the worker')
  t.equal(app.bulkClaims.runsIn, 'app', "':memory:': the app")
  // One claim with an external id in each, for the 409s below.
  for (const each of [worker, app]) t.equal((await bulk(each, [row({ external_id: 'x-1' })])).statusCode, 201)

  const invalid = [
    row(),
    row({ value: undefined }),
    row({ kind: 'rumour' }),
    row({ colour: 'red', valu: 1, value: -1 }),
    { kind: 'figure' },
  ]
  const cases: Array<[what: string, payload: string | object, type?: string, query?: string]> = [
    ['invalid rows', invalid],
    ['invalid NDJSON rows, with their lines', `${invalid.map((r) => JSON.stringify(r)).join('\n')}\n`, 'application/x-ndjson'],
    [
      'an invalid CSV cell, with its line',
      'event_id,kind,source_id,stated_at,metric,qualifier,value\nkhan-shaykhun,figure,sohr,2017-04-08,killed,exact,"1,200"\n',
      'text/csv',
    ],
    ['not an array', row()],
    ['invalid rows in a dry run', invalid, 'application/json', '?dry_run=true'],
    [
      'references to nothing',
      [row(), row({ event_id: 'nope' }), row({ source_id: 'ghost', via: ['tass', 'phantom'] }), row({ supersedes: 'no-such-claim' })],
    ],
    [
      'an attribution of nobody',
      [
        {
          ...row(),
          kind: 'attribution',
          stance: 'accuses',
          actor_ids: ['nobody'],
          metric: undefined,
          qualifier: undefined,
          value: undefined,
        },
      ],
    ],
    ['an external id used for other content', [row({ external_id: 'x-2' }), row({ external_id: 'x-1', value: 1 })]],
    [
      'an external id twice in the batch, a dry run',
      [row({ external_id: 'x-3' }), row({ external_id: 'x-3', value: 2 })],
      'application/json',
      '?dry_run=true',
    ],
    // Fastify checks a body before the query string and names its errors alone; the route does too.
    ['a bad body with a bad query string', invalid, 'application/json', '?dry_run=maybe'],
    ['a good body with a bad query string', [row()], 'application/json', '?dry_run=maybe'],
    ['references to nothing with a bad query string', [row({ source_id: 'ghost' })], 'application/json', '?dry=true'],
  ]
  for (const [what, payload, type, query] of cases) {
    const fromWorker = await answer(worker, await bulk(worker, payload, type, query))
    const fromApp = await answer(app, await bulk(app, payload, type, query))
    t.ok(fromWorker.status >= 400, `${what}: refused (${fromWorker.status})`)
    t.strictSame(fromWorker, fromApp, `${what}: the same status, type and problem document`)
  }
  const both = json<{ errors: Array<{ in: string }> }>(await bulk(worker, invalid, 'application/json', '?dry_run=maybe'))
  t.strictSame([...new Set(both.errors.map((e) => e.in))], ['body'], 'a bad body and a bad query string: the body is named')
  t.equal(await countRows(worker, 'claims'), await countRows(app, 'claims'), 'nothing written by either')
})

t.test('accepted batches too: ids in row order, replays of external ids, dry runs', async (t) => {
  const { app: worker } = await onFile(t)
  const app = await inMemory(t)
  const batches: Array<[what: string, payload: object, query?: string]> = [
    ['new claims', [row({ external_id: 'a' }), row({ external_id: 'b', value: 88 }), row({ value: 90 })]],
    ['a replay of two of them', [row({ external_id: 'a' }), row({ external_id: 'b', value: 88 })]],
    ['a repeat within a batch', [row({ external_id: 'c' }), row({ external_id: 'c' })]],
    ['a dry run', [row({ external_id: 'a' }), row({ value: 1 })], '?dry_run=true'],
  ]
  for (const [what, payload, query] of batches) {
    const before = await countRows(worker, 'claims')
    const fromWorker = await bulk(worker, payload, 'application/json', query)
    const fromApp = await bulk(app, payload, 'application/json', query)
    t.strictSame(await answer(worker, fromWorker), await answer(app, fromApp), `${what}: the same answer`)
    const result = json<BulkResult>(fromWorker)
    t.equal(await countRows(worker, 'claims'), before + (result.dry_run ? 0 : result.inserted), `${what}: ${result.inserted} new claims`)
  }
  const [first] = json<BulkResult>(await bulk(worker, [row({ external_id: 'a' })])).ids
  const claim = json<{ id: string; external_id: string; value: number }>(await get(worker, `/claims/${first}`))
  t.strictSame([claim.id, claim.external_id, claim.value], [first, 'a', 87], 'readable at once by the app (its own connection)')
})

t.test("a summary the app keeps in memory shows the worker's batch at once, and its old ETag no longer matches", async (t) => {
  const { app } = await onFile(t)
  t.equal(json<BulkResult>(await bulk(app, [row()], 'application/json', '?dry_run=true')).dry_run, true) // the worker is up
  await get(app, '/events') // a reader: the stored summaries are refreshed
  const url = `/events/${EVENT}/summary`
  const highest = (res: LightMyRequestResponse) =>
    Math.max(...json<{ figures: Array<{ points: { max: number } }> }>(res).figures.map((f) => f.points.max))
  const before = await get(app, url)
  t.equal((await get(app, url, { 'if-none-match': before.headers.etag as string })).statusCode, 304, 'read again, kept')
  t.ok(highest(before) < 810, 'no figure of 810 yet')
  t.equal(json<BulkResult>(await bulk(app, [row({ source_id: 'tass', value: 810 })])).inserted, 1)
  const after = await get(app, url, { 'if-none-match': before.headers.etag as string })
  t.equal(after.statusCode, 200, 'the old ETag no longer matches')
  t.equal(highest(after), 810, 'the batch counts')
})

t.test('Idempotency-Key: a retry gets the first answer, another body with the key a 422', async (t) => {
  const { app } = await onFile(t)
  const key = { 'idempotency-key': 'batch-1' }
  const batch = [row({ value: 100 }), row({ value: 101 })]
  const first = await bulk(app, batch, 'application/json', '', key)
  t.equal(first.statusCode, 201)
  const claims = await countRows(app, 'claims')
  const retry = await bulk(app, batch, 'application/json', '', key)
  t.equal(retry.statusCode, 201)
  t.equal(retry.headers['idempotent-replayed'], 'true')
  t.equal(retry.body, first.body, 'the first answer, byte for byte')
  t.equal(await countRows(app, 'claims'), claims, 'written once')
  const other = await bulk(app, [row({ value: 102 })], 'application/json', '', key)
  t.equal(other.statusCode, 422)
  t.equal(json<{ type: string }>(other).type, 'urn:reckon:problem:idempotency-key-reused')

  // A refused batch's answer is kept too, and replayed.
  const badKey = { 'idempotency-key': 'batch-2' }
  const refused = await bulk(app, [row({ source_id: 'ghost' })], 'application/json', '', badKey)
  t.equal(refused.statusCode, 422)
  const again = await bulk(app, [row({ source_id: 'ghost' })], 'application/json', '', badKey)
  t.strictSame([again.statusCode, again.headers['idempotent-replayed'], again.body], [422, 'true', refused.body])
})

/** What the app's reads answer: status, ETag and body ("now" summaries without their moving as_of). */
async function reads(app: FastifyInstance): Promise<Record<string, unknown>> {
  const urls = [
    `/events/${EVENT}/summary`,
    `/events/${EVENT}/summary?as_of=2030-01-01T00:00:00Z`,
    `/events/${EVENT}/claims?limit=1000`,
    '/events',
    '/claims?limit=1000',
    '/changes?limit=1000',
    '/summaries?as_of=2030-01-01T00:00:00Z',
  ]
  const out: Record<string, unknown> = {}
  for (const url of urls) {
    const res = await get(app, url)
    const body = json<Record<string, unknown>>(res)
    if (url === `/events/${EVENT}/summary`) delete body.as_of
    out[url] = { status: res.statusCode, etag: res.headers.etag, body }
  }
  const tables: number[] = []
  for (const table of ['claims', 'changes', 'dispute_queue', 'event_revisions']) tables.push(await countRows(app, table))
  return { ...out, tables }
}

t.test('a batch that fails inside its transaction, after rows were written, leaves nothing; the next batch lands', async (t) => {
  for (const where of ['worker', 'app'] as const) {
    const app = where === 'worker' ? (await onFile(t)).app : await inMemory(t)
    t.equal(app.bulkClaims.runsIn, where)
    // The third insert fails in the database itself, after the first two rows and their change-log rows were written.
    await refuse(app, { name: 'refuse_666', before: 'INSERT', table: 'claims', when: 'NEW.value = 666', message: 'refused by the test' })
    await get(app, '/events') // the fixture's queued refresh, done before the reads compared
    const before = await reads(app)
    const failed = await bulk(app, [row({ value: 100 }), row({ value: 200 }), row({ value: 666 }), row({ value: 300 })])
    t.equal(failed.statusCode, 500, `${where}: a server error`)
    t.strictSame(
      json<Record<string, unknown>>(failed),
      {
        type: 'urn:reckon:problem:internal',
        title: 'Internal server error',
        status: 500,
        detail: 'Something went wrong on our side. It has been logged.',
        instance: '/claims/bulk',
      },
      `${where}: the problem tells nothing of the cause`,
    )
    t.strictSame(await reads(app), before, `${where}: every read as before the batch`)

    const next = await bulk(app, [row({ value: 100 }), row({ value: 200 })])
    t.equal(next.statusCode, 201, `${where}: the next batch lands (nothing was left open)`)
    t.equal(await countRows(app, 'claims'), Number((before.tables as number[])[0]) + 2)
  }
})

/** Sends a request and notes when it is answered. */
function pending(res: Promise<LightMyRequestResponse>): { answered: () => boolean; res: Promise<LightMyRequestResponse> } {
  let done = false
  const tracked = res.finally(() => (done = true))
  return { answered: () => done, res: tracked }
}

t.test('while a batch is being written, the app answers reads, and its own writes wait their turn', async (t) => {
  const { app, dbPath } = await onFile(t)
  t.equal((await bulk(app, [row({ value: 1 })])).statusCode, 201, 'the worker has started')

  // Another process holds the database's write lock: the worker's batch waits for it in the worker (busy_timeout).
  const other = new Database(dbPath)
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const batch = pending(
    bulk(
      app,
      Array.from({ length: 2000 }, (_, i) => row({ value: 1000 + i })),
    ),
  )
  // Until its body is read and handed over; the lock keeps it from being written.
  while (!app.writes.busy) await new Promise((resolve) => setImmediate(resolve))
  const source = pending(post(app, '/sources', { id: 'late', name: 'Late', kind: 'media' }))

  const summary = await get(app, `/events/${EVENT}/summary`)
  t.equal(summary.statusCode, 200, 'a read is answered')
  const sources = await get(app, '/sources')
  t.equal(sources.statusCode, 200, 'and another')
  t.equal(app.writes.busy, true, 'the batch holds the write gate')
  t.equal(batch.answered(), false, 'before the batch is written')
  t.equal(source.answered(), false, 'a write of the app waits for the batch')

  other.exec('ROLLBACK')
  const written = await batch.res
  t.equal(written.statusCode, 201)
  t.equal(json<BulkResult>(written).inserted, 2000)
  t.equal((await source.res).statusCode, 201)
  const latest = app.sql.all(
    'SELECT type, COUNT(*) AS n FROM (SELECT seq, type FROM changes ORDER BY seq DESC LIMIT 2001) AS c GROUP BY type ORDER BY MAX(seq)',
  )
  t.strictSame(
    await latest,
    [
      { type: 'claim.created', n: 2000 },
      { type: 'source.created', n: 1 },
    ],
    'in turn: the batch, then the source',
  )
  t.equal(app.writes.busy, false)
})

t.test('the worker reads what the app wrote between two batches: new sources and actors, changed aliases', async (t) => {
  const { app } = await onFile(t)
  t.equal((await bulk(app, [row({ source_id: 'sohr' })])).statusCode, 201)
  t.equal((await post(app, '/sources', { id: 'airwars', name: 'Airwars', kind: 'monitor', aliases: ['AW'] })).statusCode, 201)
  t.equal((await post(app, '/actors', { id: 'militia', name: 'A militia', kind: 'armed_group' })).statusCode, 201)
  const attribution = {
    event_id: EVENT,
    kind: 'attribution',
    source_id: 'AW',
    stated_at: '2017-04-08',
    stance: 'accuses',
    actor_ids: ['militia'],
  }
  const second = await bulk(app, [row({ source_id: 'aw', party: 'militia' }), attribution])
  t.equal(second.statusCode, 201, 'a new source by its alias, a new actor')
  const ids = json<BulkResult>(second).ids
  const claim = json<{ source_id: string; party: string }>(await get(app, `/claims/${ids[0]}`))
  t.strictSame([claim.source_id, claim.party], ['airwars', 'militia'])

  t.equal((await patch(app, '/sources/airwars', { aliases: ['Air Wars'] })).statusCode, 200)
  const stale = await bulk(app, [row({ source_id: 'AW' })])
  t.equal(stale.statusCode, 422, 'an alias the app removed no longer names the source')
  t.strictSame(json<{ errors: unknown[] }>(stale).errors, [
    { path: '/0/source_id', in: 'body', message: 'no source with id or alias "AW"' },
  ])
  t.equal((await bulk(app, [row({ source_id: 'air wars' })])).statusCode, 201, 'its new alias does')
})
