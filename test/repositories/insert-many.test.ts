/**
 * claims insertMany (#15): a batch written in multi-row statements of fixed
 * sizes (db/chunks) leaves claim_lanes, event_lanes and event_tallies as a
 * rebuild from the claims alone does (reindexIfIncomplete) — at the chunk
 * boundaries, over several events, with moments before, between and at
 * those of earlier batches (a clock set back).
 */
import t from 'tap'
import { chunks } from '../../src/db/chunks.js'
import type { ClaimInsert } from '../../src/repositories/claims-repository.js'
import { build, createAll } from '../helper.js'
import { random, testSeed } from '../seed.js'
import { ON_POSTGRES } from '../store.js'

if (ON_POSTGRES) t.setTimeout(300_000)

t.test('chunks: max-long slices, then shorter powers of two, every item once and in order', async (t) => {
  const sizes = (n: number, max: number) =>
    [
      ...chunks(
        Array.from({ length: n }, (_, i) => i),
        max,
      ),
    ].map((c) => c.length)
  t.strictSame(sizes(0, 8), [])
  t.strictSame(sizes(1, 8), [1])
  t.strictSame(sizes(8, 8), [8])
  t.strictSame(sizes(9, 8), [8, 1])
  t.strictSame(sizes(23, 8), [8, 8, 4, 2, 1])
  t.strictSame(sizes(300, 256), [256, 32, 8, 4])
  const items = Array.from({ length: 1000 }, (_, i) => i)
  t.strictSame([...chunks(items, 64)].flat(), items, 'the slices joined are the items')
})

const SOURCES = ['s1', 's2', 's3']
const ACTORS = ['a1', 'a2', 'a3', 'a4']
const EVENTS = ['e1', 'e2', 'e3', 'e4', 'e5']

t.test('insertMany leaves lanes and tallies as a rebuild does, at and across chunk boundaries', async (t) => {
  const next = random(testSeed())
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T
  const app = await build(t)
  await createAll(app, [
    ...SOURCES.map((id) => ['/sources', { id, name: id, kind: 'media' }] as const),
    ...ACTORS.map((id) => ['/actors', { id, name: id, kind: 'other' }] as const),
  ])
  const write = (text: string, params: unknown[] = []) => app.writes.now(() => app.sql.run(text, params))
  for (const id of EVENTS) {
    await write(
      "INSERT INTO events (id, title, occurred_on, tags, external_ids, created_at, updated_at) VALUES (?, 'e', '2020', '[]', '{}', '', '')",
      [id],
    )
  }
  const repo = app.repos.claims
  let made = 0
  /** A claim of a random event, figure or attribution (1–3 actors, lanes of their own), recorded at one of `moments`. */
  const claim = (moments: readonly string[]): Required<ClaimInsert> => {
    const attribution = next() < 0.4
    const actors = [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(ACTORS)))]
    const id = `c${String(++made).padStart(6, '0')}`
    return {
      id,
      eventId: pick(EVENTS),
      kind: attribution ? 'attribution' : 'figure',
      sourceId: pick(SOURCES),
      via: [],
      statedAt: `2020-01-${String(1 + Math.floor(next() * 28)).padStart(2, '0')}T00:00:00.000Z`,
      recordedAt: pick(moments),
      quote: null,
      url: null,
      language: null,
      note: null,
      externalId: null,
      supersedes: null,
      fingerprint: id,
      metric: attribution ? null : 'killed',
      population: attribution ? null : pick(['all', 'civilians']),
      party: attribution || next() < 0.5 ? null : pick(ACTORS),
      qualifier: attribution ? null : 'exact',
      value: attribution ? null : Math.floor(next() * 100),
      low: null,
      high: null,
      best: null,
      stance: attribution ? 'accuses' : null,
      actorIds: attribution ? actors : null,
      certainty: attribution ? 'alleged' : null,
      role: null,
    }
  }
  const at = (minute: number) => `2024-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`
  // Sizes about CLAIMS_CHUNK (512) and LANES_CHUNK (1024); each batch's moments before, at and after the earlier ones'.
  const batches: Array<{ size: number; moments: string[] }> = [
    { size: 512, moments: [at(30)] },
    { size: 513, moments: [at(40), at(30)] },
    { size: 1, moments: [at(10)] },
    { size: 1024 + 256 + 1, moments: [at(20), at(35), at(40), at(50)] },
    { size: 300, moments: [at(5), at(45)] },
  ]
  // TALLIES_CHUNK (256) moments of an event, and one more: one claim each, of one event.
  const many = Array.from({ length: 257 }, (_, i) => `2023-01-01T00:00:00.${String(i).padStart(3, '0')}Z`)

  const tables = async () => ({
    claimLanes: await app.sql.all('SELECT * FROM claim_lanes ORDER BY 1, 2, 3, 4, 5, 6'),
    eventLanes: await app.sql.all('SELECT * FROM event_lanes ORDER BY 1, 2, 3'),
    eventTallies: await app.sql.all('SELECT event_id, recorded_at, CAST(claims AS integer) AS claims FROM event_tallies ORDER BY 1, 2'),
  })

  for (const { size, moments } of batches) {
    await app.writes.now(() => app.sql.transaction(() => repo.insertMany(Array.from({ length: size }, () => claim(moments)))))
  }
  await app.writes.now(() =>
    app.sql.transaction(() => repo.insertMany(many.map((moment) => Object.assign(claim([moment]), { eventId: 'e1' })))),
  )
  t.equal(Number(await app.sql.value('SELECT COUNT(*) FROM claims')), made, 'every claim written once')

  const written = await tables()
  t.equal(await repo.reindexIfIncomplete(), false, 'the tallies account for every claim')
  for (const table of ['claim_lanes', 'event_lanes', 'event_tallies']) await write(`DELETE FROM ${table}`)
  t.equal(await app.writes.now(() => repo.reindexIfIncomplete()), true, 'rebuilt')
  const rebuilt = await tables()
  t.equal(written.claimLanes.length, rebuilt.claimLanes.length, 'as many lanes as the rebuild')
  t.strictSame(written.claimLanes, rebuilt.claimLanes, 'claim_lanes as rebuilt')
  t.strictSame(written.eventLanes, rebuilt.eventLanes, 'event_lanes as rebuilt')
  t.strictSame(written.eventTallies, rebuilt.eventTallies, 'event_tallies as rebuilt')

  for (const event of EVENTS) {
    const recorded = await app.sql.values<string>('SELECT recorded_at FROM claims WHERE event_id = ?', [event])
    for (const moment of [at(0), at(10), at(25), at(30), at(40), at(59), ...many.slice(250)]) {
      t.equal(await repo.totalAt(event, moment), recorded.filter((r) => r <= moment).length, `claims_total of ${event} at ${moment}`)
    }
  }
})
