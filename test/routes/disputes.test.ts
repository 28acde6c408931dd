/**
 * The dispute block of GET /events is kept on write (event_disputes): after
 * any sequence of writes it says what GET /events/{id}/summary says.
 */
import { join } from 'node:path'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { testStore } from '../store.js'
import { buildApp } from '../../src/app.js'
import type { FigureStatement } from '../../src/engine/types.js'
import { statementArb } from '../engine/fixtures/claims.js'
import { type Dispute, build, get, json, post, tempDir } from '../helper.js'
import { testSeed } from '../seed.js'

interface SummaryBody {
  figures: Array<{
    metric: string
    population: string
    party: string | null
    range: { low: number; high: number | null }
    disagreement: { level: string; relative_spread: number | null }
  }>
  attribution: { status: string }
  claims_total: number
}

const RANK: Record<string, number> = { conflicting: 3, compatible: 2, agreement: 1, single_source: 0 }

/** The block as the contract words it, read off the summary: the most disputed group (highest level, then relative_spread), killed/all, status, count. */
function blockOf(summary: SummaryBody): Dispute {
  let top: SummaryBody['figures'][number] | undefined
  for (const f of summary.figures) {
    if (top === undefined) {
      top = f
      continue
    }
    const byRank = (RANK[f.disagreement.level] ?? -1) - (RANK[top.disagreement.level] ?? -1)
    const spread = f.disagreement.relative_spread
    const topSpread = top.disagreement.relative_spread
    if (byRank > 0 || (byRank === 0 && spread !== null && (topSpread === null || spread > topSpread))) top = f
  }
  const killed = summary.figures.find((f) => f.metric === 'killed' && f.population === 'all' && f.party === null)
  return {
    level: top?.disagreement.level ?? null,
    relative_spread: top?.disagreement.relative_spread ?? null,
    range: killed ? killed.range : null,
    status: summary.attribution.status,
    claims: summary.claims_total,
  }
}

/** Every event's block as GET /events lists it, and as its summary says it; the ids where they differ. */
/** `query`: of the summaries; `?as_of=…` computes them live, past the stored "now" documents. */
async function disagreements(app: FastifyInstance, query = ''): Promise<Array<{ id: string; listed: Dispute; summary: Dispute }>> {
  const items = json<{ items: Array<{ id: string; dispute: Dispute }> }>(await get(app, '/events?limit=1000')).items
  const out: Array<{ id: string; listed: Dispute; summary: Dispute }> = []
  for (const item of items) {
    const summary = blockOf(json<SummaryBody>(await get(app, `/events/${item.id}/summary${query}`)))
    if (JSON.stringify(summary) !== JSON.stringify(item.dispute)) out.push({ id: item.id, listed: item.dispute, summary })
  }
  return out
}

/** Each event's summary "now" (stored, once refreshed) is byte for byte the one computed live as of the moment it states. */
async function storedAgreesWithLive(app: FastifyInstance): Promise<void> {
  for (const { id } of json<{ items: Array<{ id: string }> }>(await get(app, '/events?limit=1000')).items) {
    const now = await get(app, `/events/${id}/summary`)
    const asOf = json<{ as_of: string }>(now).as_of
    const live = await get(app, `/events/${id}/summary?as_of=${asOf}`)
    if (now.body !== live.body) throw new Error(`${id}: the stored summary ${now.body} is not the live one ${live.body}`)
  }
}

// ---- a small world, and random writes to it ----

const SOURCES = [
  { id: 's1', name: 'One', kind: 'monitor' },
  { id: 's2', name: 'Two', kind: 'military', affiliated_actor_id: 'gov' },
  { id: 's3', name: 'Three', kind: 'other', affiliated_actor_id: 'rebels' },
  { id: 's4', name: 'Four', kind: 'media' },
]
const ACTORS = [
  { id: 'gov', name: 'Government', kind: 'state' },
  { id: 'air-force', name: 'Air force', kind: 'armed_forces', parent_id: 'gov' },
  { id: 'squadron', name: 'Squadron', kind: 'armed_forces', parent_id: 'air-force' },
  { id: 'rebels', name: 'Rebels', kind: 'armed_group' },
  { id: 'foreign', name: 'Foreign forces', kind: 'armed_forces' },
]
const EVENTS = ['ev-a', 'ev-b', 'ev-c']
const DAYS = ['2017-04-01', '2017-04-02', '2017-04-03T12:00:00Z', '2017-04-04']

type ClaimBody = Record<string, unknown>

function figureBody(s: FigureStatement): ClaimBody {
  const out: ClaimBody = { kind: 'figure', qualifier: s.qualifier }
  for (const key of ['value', 'low', 'high', 'best'] as const) if (s[key] !== null) out[key] = s[key]
  return out
}

const figureArb: fc.Arbitrary<ClaimBody> = fc
  .record({
    statement: statementArb(30),
    metric: fc.constantFrom('killed', 'killed', 'injured'),
    population: fc.constantFrom('all', 'all', 'children'),
    party: fc.constantFrom(null, null, null, 'rebels'),
  })
  .map(({ statement, metric, population, party }) => ({ ...figureBody(statement), metric, population, ...(party ? { party } : {}) }))

const attributionArb: fc.Arbitrary<ClaimBody> = fc.record({
  kind: fc.constant('attribution'),
  stance: fc.constantFrom('accuses', 'accuses', 'denies'),
  actor_ids: fc.subarray(
    ACTORS.map((a) => a.id),
    { minLength: 1, maxLength: 2 },
  ),
  certainty: fc.constantFrom('asserted', 'suspected'),
})

/** A claim of some event by some source, stated on one of a few days (all in the past). */
const claimArb: fc.Arbitrary<ClaimBody> = fc
  .record({
    body: fc.oneof({ weight: 3, arbitrary: figureArb }, { weight: 2, arbitrary: attributionArb }),
    event_id: fc.constantFrom(...EVENTS),
    source_id: fc.constantFrom(...SOURCES.map((s) => s.id)),
    stated_at: fc.constantFrom(...DAYS),
    via: fc.subarray(['s1', 's4'], { maxLength: 1 }),
  })
  .map(({ body, ...rest }) => ({ ...body, ...rest }))

type Op =
  | { op: 'claim'; claim: ClaimBody }
  | { op: 'bulk'; claims: ClaimBody[] }
  | { op: 'retract'; pick: number }
  | { op: 'supersede'; pick: number; claim: ClaimBody }
  | { op: 'reparent'; actor: string; parent: string | null }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: claimArb.map((claim): Op => ({ op: 'claim', claim })) },
  { weight: 2, arbitrary: fc.array(claimArb, { minLength: 1, maxLength: 5 }).map((claims): Op => ({ op: 'bulk', claims })) },
  { weight: 2, arbitrary: fc.nat().map((pick): Op => ({ op: 'retract', pick })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(), claimArb).map(([pick, claim]): Op => ({ op: 'supersede', pick, claim })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...ACTORS.map((a) => a.id)), fc.constantFrom(null, ...ACTORS.map((a) => a.id)))
      .map(([actor, parent]): Op => ({ op: 'reparent', actor, parent })),
  },
)

async function expectStatus(res: Promise<LightMyRequestResponse>, allowed: number[], what: string): Promise<LightMyRequestResponse> {
  const r = await res
  if (!allowed.includes(r.statusCode)) throw new Error(`${what}: ${r.statusCode} ${r.body}`)
  return r
}

async function world(app: FastifyInstance): Promise<void> {
  for (const a of ACTORS) await expectStatus(post(app, '/actors', a), [201], 'actor')
  for (const s of SOURCES) await expectStatus(post(app, '/sources', s), [201], 'source')
  for (const id of EVENTS) await expectStatus(post(app, '/events', { id, title: id, occurred_on: '2017-04' }), [201], 'event')
}

/** Applies the writes; refused ones (a second retraction, a claim already superseded, a parent cycle) are part of the game. */
async function apply(app: FastifyInstance, ops: readonly Op[]): Promise<void> {
  const claims: Array<{ id: string; event_id: string }> = []
  const remember = (res: LightMyRequestResponse, bodies: ClaimBody[]) => {
    if (res.statusCode !== 201) return
    const body = json<{ id?: string; ids?: string[] }>(res)
    const ids = body.ids ?? (body.id ? [body.id] : [])
    ids.forEach((id, i) => claims.push({ id, event_id: String(bodies[i]?.event_id) }))
  }
  for (const o of ops) {
    if (o.op === 'claim') {
      remember(await expectStatus(post(app, '/claims', o.claim), [201], 'claim'), [o.claim])
    } else if (o.op === 'bulk') {
      remember(await expectStatus(post(app, '/claims/bulk', o.claims), [201], 'bulk'), o.claims)
    } else if (o.op === 'retract') {
      const target = claims[o.pick % Math.max(1, claims.length)]
      if (target) await expectStatus(post(app, `/claims/${target.id}/retraction`, { reason: 'wrong' }), [200, 201, 409], 'retraction')
    } else if (o.op === 'supersede') {
      const target = claims[o.pick % Math.max(1, claims.length)]
      if (!target) continue
      const body = { ...o.claim, event_id: target.event_id, supersedes: target.id }
      remember(await expectStatus(post(app, '/claims', body), [201, 409], 'supersedes'), [body])
    } else {
      await expectStatus(
        app.inject({ method: 'PATCH', url: `/actors/${o.actor}`, payload: { parent_id: o.parent } }),
        [200, 422],
        'reparent',
      )
    }
  }
}

t.test('after any writes, every listed dispute block is what the summary says', async (t) => {
  let runs = 0
  const details = await fc.check(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      runs++
      const app = await buildApp({ config: { ...(await testStore()), apiKeys: [], logLevel: 'silent' }, logger: false })
      try {
        await world(app)
        await apply(app, ops)
        const differ = await disagreements(app)
        if (differ.length > 0) throw new Error(`the list and the summary differ: ${JSON.stringify(differ)}`)
        await storedAgreesWithLive(app)
        return true
      } finally {
        await app.close()
      }
    }),
    { numRuns: 30, seed: testSeed() },
  )
  t.notOk(details.failed, details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : 'the list agrees with the summaries')
  t.ok(runs >= 30, `${runs} sequences of writes`)
})

t.test('the summary-derived block of a worked case, to show the comparison can fail', async (t) => {
  const summary: SummaryBody = {
    figures: [
      {
        metric: 'killed',
        population: 'all',
        party: null,
        range: { low: 1, high: 2 },
        disagreement: { level: 'compatible', relative_spread: 0.5 },
      },
      {
        metric: 'injured',
        population: 'all',
        party: null,
        range: { low: 0, high: 9 },
        disagreement: { level: 'conflicting', relative_spread: null },
      },
      {
        metric: 'injured',
        population: 'children',
        party: null,
        range: { low: 0, high: 9 },
        disagreement: { level: 'conflicting', relative_spread: 0.1 },
      },
    ],
    attribution: { status: 'contested' },
    claims_total: 7,
  }
  t.strictSame(
    blockOf(summary),
    { level: 'conflicting', relative_spread: 0.1, range: { low: 1, high: 2 }, status: 'contested', claims: 7 },
    'a number beats null among equals',
  )
})

t.test('GET /events reads the stored blocks; a database written by other means is backfilled at start', async (t) => {
  const dir = tempDir(t, 'disputes')
  const dbPath = join(dir, 'reckon.db')
  const first = await buildApp({ config: { ...(await testStore(dbPath)), apiKeys: [], logLevel: 'silent' }, logger: false })
  await world(first)
  await expectStatus(
    post(first, '/claims', {
      kind: 'figure',
      event_id: 'ev-a',
      source_id: 's1',
      stated_at: '2017-04-01',
      metric: 'killed',
      qualifier: 'exact',
      value: 10,
    }),
    [201],
    'claim',
  )
  // A read refreshes the blocks the write queued; from then on the list reads what is stored.
  await get(first, '/events?limit=1000')
  // Straight through SQL, as bench/data.ts writes: a second killed figure, and an event with no block at all
  // (on the app's connection, so through its write gate).
  await first.writes.now(async () => {
    await first.sql.run(
      `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, fingerprint, metric, population, qualifier, value)
       VALUES ('c-direct', 'ev-a', 'figure', 's2', '[]', '2017-04-02T00:00:00.000Z', '2017-04-02T00:00:00.000Z', 'x', 'killed', 'all', 'exact', 30)`,
    )
    await first.sql.run(
      "INSERT INTO events (id, title, occurred_on, tags, external_ids, created_at, updated_at) VALUES ('direct', 'Direct', '2017', '[]', '{}', 'x', 'x')",
    )
    await first.sql.run(
      `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, fingerprint, stance, actor_ids, certainty)
       VALUES ('c-direct-2', 'direct', 'attribution', 's1', '[]', '2017-04-02T00:00:00.000Z', '2017-04-02T00:00:00.000Z', 'y', 'accuses', '["rebels"]', 'asserted')`,
    )
  })
  const before = json<{ items: Array<{ id: string; dispute: Dispute }> }>(await get(first, '/events?limit=1000')).items
  t.strictSame(
    before.find((e) => e.id === 'ev-a')?.dispute,
    { level: 'single_source', relative_spread: 0, range: { low: 10, high: 10 }, status: 'none', claims: 1 },
    'the stored block: a list computes nothing',
  )
  t.notOk(
    before.some((e) => e.id === 'direct'),
    'an event with no block is not listed until one is computed',
  )
  t.strictSame(
    await disagreements(first, '?as_of=2030-01-01'),
    [],
    'claims written by other means are not indexed (claim_lanes) until a start: a summary computed live does not count them either',
  )
  t.strictSame(await disagreements(first), [], 'nor do the stored "now" summaries: writes go through the API')
  await first.close()

  const second = await buildApp({ config: { ...(await testStore(dbPath)), apiKeys: [], logLevel: 'silent' }, logger: false })
  t.teardown(() => second.close())
  const after = json<{ items: Array<{ id: string; dispute: Dispute }> }>(await get(second, '/events?limit=1000')).items
  t.strictSame(
    after.find((e) => e.id === 'direct')?.dispute,
    { level: null, relative_spread: null, range: null, status: 'uncontested', claims: 1 },
    'backfilled at start',
  )
  t.equal(after.find((e) => e.id === 'ev-a')?.dispute.claims, 1, 'an event that has a block keeps it until a write')
  // The next write to the event refreshes it from all its claims.
  await expectStatus(
    post(second, '/claims', {
      kind: 'attribution',
      event_id: 'ev-a',
      source_id: 's3',
      stated_at: '2017-04-03',
      stance: 'denies',
      actor_ids: ['gov'],
    }),
    [201],
    'claim',
  )
  t.strictSame(
    (await disagreements(second)).map((d) => d.id),
    [],
    'after a write, every block agrees with its summary',
  )
  t.match(json<{ items: Array<{ id: string; dispute: Dispute }> }>(await get(second, '/events?level=conflicting')).items, [
    { id: 'ev-a', dispute: { claims: 3, range: { low: 10, high: 30 } } },
  ])
})

t.test('a new event has an empty block at once, also through POST /events/bulk', async (t) => {
  const app = await build(t)
  const res = await post(app, '/events/bulk', [
    { id: 'one', title: 'One', occurred_on: '2017' },
    { id: 'two', title: 'Two', occurred_on: '2018' },
  ])
  t.equal(res.statusCode, 200)
  const items = json<{ items: Array<{ id: string; dispute: Dispute }> }>(await get(app, '/events')).items
  t.strictSame(
    items.map((e) => [e.id, e.dispute]),
    [
      ['one', { level: null, relative_spread: null, range: null, status: 'none', claims: 0 }],
      ['two', { level: null, relative_spread: null, range: null, status: 'none', claims: 0 }],
    ],
  )
})

t.test('writes queue the block; the next read refreshes it, once', async (t) => {
  const app = await build(t)
  await world(app)
  const queue = () => app.sql.values('SELECT event_id FROM dispute_queue ORDER BY event_id')
  await get(app, '/events')
  t.strictSame(await queue(), [], 'nothing queued after a read')
  const rows = ['ev-a', 'ev-b', 'ev-a'].map((event_id, i) => ({
    kind: 'figure',
    event_id,
    source_id: 's1',
    stated_at: `2017-04-0${i + 1}`,
    metric: 'killed',
    qualifier: 'exact',
    value: 10 + i,
  }))
  await expectStatus(post(app, '/claims/bulk', rows), [201], 'bulk')
  t.strictSame(await queue(), ['ev-a', 'ev-b'], 'each touched event once, not summarised yet')
  const listed = json<{ items: Array<{ id: string; dispute: Dispute }> }>(await get(app, '/events?limit=1000')).items
  t.strictSame(await queue(), [], 'the read refreshed them')
  t.equal(listed.find((e) => e.id === 'ev-a')?.dispute.range?.low, 12, 'with the claims just written')
})
