/**
 * Caches show committed data only (#13 §1): a bulk write refused halfway is
 * rolled back whole, and no read afterwards — summaries, dispute blocks,
 * lists, ETags — shows what its first rows did. Each case then commits the
 * first row alone, to prove that the reads compared would have shown it.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { build, post } from '../helper.js'

async function ok(app: FastifyInstance, url: string, payload: unknown) {
  const res = await post(app, url, payload)
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`)
}

/** Two actors, two sources (b speaks for y), events e (figures and attributions) and g (with an end date). */
async function world(t: Parameters<typeof build>[0]): Promise<FastifyInstance> {
  const app = await build(t)
  await ok(app, '/actors', { id: 'x', name: 'X', kind: 'armed_group' })
  await ok(app, '/actors', { id: 'y', name: 'Y', kind: 'state' })
  await ok(app, '/sources', { id: 'a', name: 'A', kind: 'media' })
  await ok(app, '/sources', { id: 'b', name: 'B', kind: 'government', affiliated_actor_id: 'y' })
  await ok(app, '/events', { id: 'e', title: 'E', occurred_on: '2020' })
  await ok(app, '/events', { id: 'g', title: 'G', occurred_on: '2020-05-01', ended_on: '2020-05-03' })
  await ok(app, '/events/e/claims', {
    kind: 'figure',
    source_id: 'a',
    stated_at: '2020-01-01',
    metric: 'killed',
    qualifier: 'exact',
    value: 10,
  })
  await ok(app, '/events/e/claims', { kind: 'attribution', source_id: 'a', stated_at: '2020-01-01', stance: 'accuses', actor_ids: ['x'] })
  await ok(app, '/events/e/claims', { kind: 'attribution', source_id: 'b', stated_at: '2020-01-01', stance: 'denies', actor_ids: ['y'] })
  return app
}

/** What each read answers: status, ETag and body (a summary "as of now" without its moving as_of). */
async function reads(app: FastifyInstance): Promise<Record<string, { status: number; etag: string | undefined; body: unknown }>> {
  const urls = [
    '/events/e/summary',
    '/events/e/summary?as_of=2030-01-01T00:00:00Z',
    '/events/e/summary.csv?as_of=2030-01-01T00:00:00Z',
    '/events/g',
    '/events',
    '/events?sort=-dispute',
    '/summaries?as_of=2030-01-01T00:00:00Z',
    '/sources',
    '/sources/a',
    '/actors',
    '/actors/x',
    '/claims',
    '/changes',
  ]
  const out: Record<string, { status: number; etag: string | undefined; body: unknown }> = {}
  for (const url of urls) {
    const res = await app.inject({ method: 'GET', url })
    const etag = res.headers.etag
    let body: unknown = res.body
    if (String(res.headers['content-type']).startsWith('application/json')) {
      const parsed = JSON.parse(res.body) as Record<string, unknown>
      if (url === '/events/e/summary') delete parsed.as_of
      body = parsed
    }
    out[url] = { status: res.statusCode, etag: typeof etag === 'string' ? etag : undefined, body }
  }
  return out
}

interface Case {
  name: string
  url: string
  /** The first row changes what the reads show; the second is refused inside the transaction. */
  rows: [Record<string, unknown>, Record<string, unknown>]
  status: number
  /** The field the problem names. */
  path: string
}

const cases: Case[] = [
  {
    name: 'sources',
    url: '/sources/bulk',
    rows: [
      { id: 'a', name: 'A renamed', kind: 'media' },
      { id: 'c', name: 'C', kind: 'media', affiliated_actor_id: 'nobody' },
    ],
    status: 422,
    path: '/1/affiliated_actor_id',
  },
  {
    // x under y: b's denial of y would cover x (contested).
    name: 'actors',
    url: '/actors/bulk',
    rows: [
      { id: 'x', name: 'X', kind: 'armed_group', parent_id: 'y' },
      { id: 'z', name: 'Z', kind: 'other', parent_id: 'nobody' },
    ],
    status: 422,
    path: '/1/parent_id',
  },
  {
    // g's stored ended_on (2020-05-03) is before the new occurred_on: refused by the repository, not the schema.
    name: 'events',
    url: '/events/bulk',
    rows: [
      { id: 'e', title: 'E renamed', occurred_on: '2020' },
      { id: 'g', title: 'G', occurred_on: '2020-06-01' },
    ],
    status: 400,
    path: '/1/occurred_on',
  },
  {
    name: 'claims',
    url: '/claims/bulk',
    rows: [
      { event_id: 'e', kind: 'figure', source_id: 'b', stated_at: '2020-01-02', metric: 'killed', qualifier: 'exact', value: 50 },
      { event_id: 'e', kind: 'figure', source_id: 'nobody', stated_at: '2020-01-02', metric: 'killed', qualifier: 'exact', value: 60 },
    ],
    status: 422,
    path: '/1/source_id',
  },
]

for (const c of cases) {
  t.test(`POST ${c.url} refused halfway leaves every read as it was`, async (t) => {
    const app = await world(t)
    const before = await reads(app)

    const refused = await post(app, c.url, c.rows)
    t.equal(refused.statusCode, c.status, refused.body)
    const problem = JSON.parse(refused.body) as { errors?: Array<{ path: string }> }
    t.strictSame(
      (problem.errors ?? []).map((e) => e.path),
      [c.path],
      'the problem names the refused row and field',
    )
    const after = await reads(app)
    for (const url of Object.keys(before)) t.strictSame(after[url], before[url], `${url}: as before the refused batch`)

    // The first row alone commits, and shows at once: the reads above could have told.
    await ok(app, c.url, [c.rows[0]])
    const committed = await reads(app)
    const changed = Object.keys(before).filter((url) => JSON.stringify(committed[url]) !== JSON.stringify(before[url]))
    t.ok(changed.includes('/changes'), `the committed row is in the change log (changed: ${changed.join(', ')})`)
    t.ok(changed.length >= 3, `the committed row shows in several reads (${changed.join(', ')})`)
  })
}

t.test('the actor batch, committed, turns the attribution contested everywhere at once', async (t) => {
  const app = await world(t)
  const status = async () => ({
    summary: (JSON.parse((await app.inject({ method: 'GET', url: '/events/e/summary' })).body) as { attribution: { status: string } })
      .attribution.status,
    listed: (
      JSON.parse((await app.inject({ method: 'GET', url: '/events' })).body) as {
        items: Array<{ id: string; dispute: { status: string } }>
      }
    ).items.map((e) => [e.id, e.dispute.status]),
  })
  t.strictSame(await status(), {
    summary: 'uncontested',
    listed: [
      ['e', 'uncontested'],
      ['g', 'none'],
    ],
  })
  await post(app, '/actors/bulk', [
    { id: 'x', name: 'X', kind: 'armed_group', parent_id: 'y' },
    { id: 'z', name: 'Z', kind: 'other', parent_id: 'nobody' },
  ])
  t.strictSame(
    await status(),
    {
      summary: 'uncontested',
      listed: [
        ['e', 'uncontested'],
        ['g', 'none'],
      ],
    },
    'refused: as before',
  )
  await ok(app, '/actors/bulk', [{ id: 'x', name: 'X', kind: 'armed_group', parent_id: 'y' }])
  t.strictSame(
    await status(),
    {
      summary: 'contested',
      listed: [
        ['e', 'contested'],
        ['g', 'none'],
      ],
    },
    'committed: contested',
  )
})
