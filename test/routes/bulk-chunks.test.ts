/**
 * POST /claims/bulk across the chunk sizes of its statements (#15: claims
 * 512 a statement, changes and external-id lookups 1,024): external-id
 * replays and clashes are told apart row by row, whichever chunk the row's
 * lookup fell in; the change log has one claim.created per new claim, in
 * row order; the event's tally counts them all.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { type BulkResult, type Change, countRows, figureRow, json, khanShaykhun } from '../helper.js'
import { testSeed } from '../seed.js'
import { ON_POSTGRES } from '../store.js'

if (ON_POSTGRES) t.setTimeout(300_000)

interface Problem {
  errors?: Array<{ path: string; message: string }>
}

const bulk = (app: FastifyInstance, rows: object[]) =>
  app.inject({
    method: 'POST',
    url: '/claims/bulk',
    headers: { 'content-type': 'application/x-ndjson' },
    payload: rows.map((r) => JSON.stringify(r)).join('\n'),
  })

/** `n` rows, each its own external_id (`prefix` and its row), values drawn from the run's seed. */
function rows(n: number, prefix: string, seed: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => figureRow({ external_id: `${prefix}${i}`, value: (seed + i * 7919) % 1000 }))
}

t.test('external ids past a lookup chunk: replays whole, a clash in the last row named, duplicates within the batch', async (t) => {
  const seed = testSeed()
  const { app } = await khanShaykhun(t)
  const claimsBefore = await countRows(app, 'claims')
  const total = Number(
    await app.sql.value("SELECT claims FROM event_tallies WHERE event_id = 'khan-shaykhun' ORDER BY recorded_at DESC LIMIT 1"),
  )

  const batch = rows(1025, 'x', seed)
  const first = await bulk(app, batch)
  t.equal(first.statusCode, 201)
  const written = json<BulkResult>(first)
  t.strictSame([written.inserted, written.existing, new Set(written.ids).size], [1025, 0, 1025])

  const changes = await app.sql.all<Change>("SELECT * FROM changes WHERE type = 'claim.created' ORDER BY seq")
  t.strictSame(
    changes.slice(-1025).map((c) => c.id),
    written.ids,
    'one claim.created per claim, in row order',
  )
  t.equal(
    Number(await app.sql.value("SELECT claims FROM event_tallies WHERE event_id = 'khan-shaykhun' ORDER BY recorded_at DESC LIMIT 1")),
    total + 1025,
    'the tally counts them all',
  )

  const replay = json<BulkResult>(await bulk(app, batch))
  t.strictSame([replay.inserted, replay.existing], [0, 1025])
  t.strictSame(replay.ids, written.ids, 'every row answered with its claim, the 1,025th (a second lookup chunk) too')

  const changed = batch.map((r, i) => (i === 1024 ? { ...r, value: 1001 } : r))
  const clash = await bulk(app, changed)
  t.equal(clash.statusCode, 409)
  t.strictSame(
    json<Problem>(clash).errors?.map((e) => e.path),
    ['/1024/external_id'],
  )

  // New rows and replays mixed, and one external id twice in the batch (the same content: a replay of the row before).
  const mixed = [...batch.slice(0, 3), ...rows(2, 'y', seed), rows(1, 'y', seed)[0] as object]
  const answer = json<BulkResult>(await bulk(app, mixed))
  t.strictSame([answer.inserted, answer.existing], [2, 4])
  t.strictSame(answer.ids.slice(0, 3), written.ids.slice(0, 3))
  t.equal(answer.ids[5], answer.ids[3], 'the repeat within the batch is the claim the batch creates')
  t.equal(await countRows(app, 'claims'), claimsBefore + 1025 + 2, 'nothing else written')
})
