/**
 * Several Reckon processes on one PostgreSQL database (#15), in one test
 * process: each app below has its own pool, as a replica has. What one
 * writes, the others read; their writers take turns in one order; their
 * refreshers share the queue without doing an event twice.
 * (test/pg/replicas.test.ts does the same with real processes and SIGKILL.)
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { recordChange } from '../../src/repositories/records.js'
import { type Change, type Dispute, type Page, figureClaim, get, getJson, json, patch, post } from '../helper.js'
import { throwawayDatabase } from './throwaway.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `count` apps on one fresh database (migrated by the first), closed at teardown. */
async function replicas(t: Parameters<typeof throwawayDatabase>[0], count: number): Promise<FastifyInstance[]> {
  const { url } = await throwawayDatabase(t)
  const apps: FastifyInstance[] = []
  for (let i = 0; i < count; i++) {
    const app = await buildApp({ config: { dbPath: ':memory:', databaseUrl: url, apiKeys: [], logLevel: 'silent' }, logger: false })
    t.teardown(() => app.close())
    apps.push(app)
  }
  return apps
}

/** A summary less its `as_of`, the moment of the request. */
function withoutMoment(res: LightMyRequestResponse): Record<string, unknown> {
  const summary = json(res)
  delete summary.as_of
  return summary
}

/** Every change of the feed, paging from the start with the cursor. */
async function wholeFeed(app: FastifyInstance): Promise<number[]> {
  const seqs: number[] = []
  let url = '/changes?limit=1000'
  for (;;) {
    const page = await getJson<Page<Change> & { has_more: boolean }>(app, url)
    seqs.push(...page.items.map((c) => c.seq))
    if (!page.has_more) return seqs
    url = `/changes?limit=1000&after=${page.next_cursor}`
  }
}

t.test(
  'ordered units of two replicas take turns: the second begins once the first has committed; unordered ones do not wait',
  async (t) => {
    const [a, b] = (await replicas(t, 2)) as [FastifyInstance, FastifyInstance]
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    let began!: () => void
    const inside = new Promise<void>((resolve) => (began = resolve))
    let secondBegan = false
    let seenBySecond: string[] = []
    const first = a.sql.transaction(async () => {
      await recordChange(a.sql, 'source.created', 'first', null)
      began()
      await held
    })
    await inside
    const second = b.sql.transaction(async () => {
      secondBegan = true
      seenBySecond = await b.sql.values<string>('SELECT id FROM changes ORDER BY seq')
      await recordChange(b.sql, 'source.created', 'second', null)
    })
    // An unordered unit (a refresh) and a plain read go on meanwhile.
    t.equal(await b.sql.transaction(() => b.sql.value<number>('SELECT 1'), { ordered: false }), 1)
    t.equal(await b.sql.value<number>('SELECT COUNT(*) FROM changes'), 0, 'nothing committed yet')
    await sleep(50)
    t.equal(secondBegan, false, 'the second has not begun while the first holds the order')
    release()
    await Promise.all([first, second])
    t.strictSame(seenBySecond, ['first'], 'the second began once the first had committed: it sees its change')
    t.strictSame(await b.sql.values<string>('SELECT id FROM changes ORDER BY seq'), ['first', 'second'], 'seqs in commit order')
  },
)

t.test(
  'a follower paging /changes across three replicas sees every write once, in seq order, while they commit concurrently',
  async (t) => {
    const apps = await replicas(t, 3)
    const [a] = apps as [FastifyInstance]
    await loadFixture(a, readFixture())
    const start = (await wholeFeed(a)).at(-1) ?? 0
    const writers = 6
    const perWriter = 25
    let writing = true
    const seen: number[] = []
    const follower = (async () => {
      let after = String(start)
      for (let turn = 0; ; turn++) {
        const app = apps[turn % apps.length] as FastifyInstance
        const page = await getJson<Page<Change>>(app, `/changes?limit=50&after=${after}`)
        seen.push(...page.items.map((c) => c.seq))
        if (page.items.length > 0) after = String(page.items.at(-1)?.seq)
        else if (!writing) return
      }
    })()
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) {
          const app = apps[(w + i) % apps.length] as FastifyInstance
          const res = await post(app, '/events/khan-shaykhun/claims', figureClaim({ value: 100 + w * perWriter + i }))
          if (res.statusCode !== 201) throw new Error(`write ${w}/${i}: ${res.statusCode} ${res.body}`)
        }
      }),
    )
    writing = false
    await follower
    const feed = (await wholeFeed(apps[2] as FastifyInstance)).filter((seq) => seq > start)
    t.equal(feed.length, writers * perWriter, 'every write is in the feed')
    t.strictSame(seen, feed, 'the follower saw the whole feed, each change once, in order')
  },
)

t.test('a source renamed on one replica shows in the summaries of another within a second, and its old ETag is not a 304', async (t) => {
  const [a, b] = (await replicas(t, 2)) as [FastifyInstance, FastifyInstance]
  await loadFixture(a, readFixture())
  const url = '/events/khan-shaykhun/summary'
  const before = await get(b, url)
  t.equal(before.statusCode, 200)
  const etag = before.headers.etag as string
  t.match(before.body, /Syrian Observatory for Human Rights/)
  t.equal((await patch(a, '/sources/sohr', { name: 'SOHR (renamed)' })).statusCode, 200)
  const renamedAt = Date.now()
  let after = await get(b, url, { 'if-none-match': etag })
  while (after.statusCode === 304 && Date.now() - renamedAt < 1000) {
    await sleep(50)
    after = await get(b, url, { 'if-none-match': etag })
  }
  t.equal(after.statusCode, 200, 'the old ETag no longer matches')
  t.ok(Date.now() - renamedAt <= 1000, `seen within a second (${Date.now() - renamedAt} ms)`)
  t.match(after.body, /SOHR \(renamed\)/)
  t.notMatch(after.body, /Syrian Observatory for Human Rights/)
  t.strictSame(json(await get(b, '/sources/sohr')).name, 'SOHR (renamed)')
})

t.test(
  'a stored summary kept in memory by one replica: a claim posted on another shows there within a second, at once on its own',
  async (t) => {
    const [a, b] = (await replicas(t, 2)) as [FastifyInstance, FastifyInstance]
    await loadFixture(a, readFixture())
    await get(a, '/events') // a reader: the queued blocks and summaries are refreshed and stored
    const url = '/events/khan-shaykhun/summary'
    const before = await get(b, url)
    t.strictSame(withoutMoment(await get(b, url)), withoutMoment(before), 'b reads it twice (the second time, from memory)')
    t.strictSame(withoutMoment(await get(a, url)), withoutMoment(before))
    const etag = before.headers.etag as string
    // The highest figure of the summary: a claim of 810 killed by a source already named (the names do not change).
    const highest = (res: LightMyRequestResponse) =>
      Math.max(...json<{ figures: Array<{ points: { max: number } }> }>(res).figures.map((f) => f.points.max))
    t.ok(highest(before) < 810, 'no figure of 810 yet')
    t.equal((await post(a, '/events/khan-shaykhun/claims', figureClaim({ source_id: 'tass', value: 810 }))).statusCode, 201)
    const postedAt = Date.now()
    t.equal(highest(await get(a, url)), 810, 'the replica that wrote shows it at once')
    let after = await get(b, url, { 'if-none-match': etag })
    while ((after.statusCode === 304 || highest(after) !== 810) && Date.now() - postedAt < 1000) {
      await sleep(25)
      after = await get(b, url, { 'if-none-match': etag })
    }
    t.equal(after.statusCode, 200, 'the old ETag no longer matches')
    t.equal(highest(after), 810, 'the new claim counts')
    t.ok(Date.now() - postedAt <= 1000, `seen within a second (${Date.now() - postedAt} ms)`)
    t.strictSame(withoutMoment(after), withoutMoment(await get(a, url)), 'both replicas answer the same')
  },
)

t.test(
  'one external_id posted to two replicas at once is one claim: a 201 and a replay, or a 201 and a 409 for other content',
  async (t) => {
    const [a, b] = (await replicas(t, 2)) as [FastifyInstance, FastifyInstance]
    await loadFixture(a, readFixture())
    for (let round = 0; round < 10; round++) {
      const same = figureClaim({ external_id: `same-${round}`, value: 200 + round })
      const statuses = (await Promise.all([a, b].map((app) => post(app, '/events/khan-shaykhun/claims', same)))).map((r) => r.statusCode)
      t.strictSame(statuses.sort(), [200, 201], `round ${round}: one write and one replay`)
      const other = [figureClaim({ external_id: `other-${round}`, value: 1 }), figureClaim({ external_id: `other-${round}`, value: 2 })]
      const clash = (await Promise.all([a, b].map((app, i) => post(app, '/events/khan-shaykhun/claims', other[i])))).map(
        (r) => r.statusCode,
      )
      t.strictSame(clash.sort(), [201, 409], `round ${round}: one write and one conflict`)
    }
    const stored = await a.sql.values<string>('SELECT external_id FROM claims WHERE external_id IS NOT NULL ORDER BY external_id')
    t.equal(stored.length, 20, 'one claim per external_id')
  },
)

t.test('two replicas refreshing the queue at once compute each event once; a reader on either counts every write', async (t) => {
  const [a, b] = (await replicas(t, 2)) as [FastifyInstance, FastifyInstance]
  const events = 30
  for (let i = 0; i < events; i++) {
    const id = `ev-${String(i).padStart(2, '0')}`
    t.equal((await post(a, '/events', { id, title: `Event ${i}`, occurred_on: '2017-04-04' })).statusCode, 201)
  }
  t.equal((await post(a, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' })).statusCode, 201)
  for (let i = 0; i < events; i++) {
    const res = await post(b, `/events/ev-${String(i).padStart(2, '0')}/claims`, figureClaim({ value: 10 + i }))
    t.equal(res.statusCode, 201)
  }
  t.equal(await a.sql.value<number>('SELECT COUNT(*) FROM dispute_queue'), events, 'every event queued')
  // Both at once, with no time budget: SKIP LOCKED shares the queue out.
  const done = await Promise.all([a, b].map((app) => app.writes.now(() => app.repos.disputes.refreshSomeQueued(events))))
  t.equal(
    done.reduce((sum, n) => sum + n, 0),
    events,
    `each event computed once (${done.join(' + ')})`,
  )
  t.equal(await a.sql.value<number>('SELECT COUNT(*) FROM dispute_queue'), 0)
  // A write on one replica, a list read on the other: the reader refreshes the queue first.
  t.equal((await post(a, '/events/ev-07/claims', figureClaim({ value: 1000 }))).statusCode, 201)
  const list = await getJson<Page<{ id: string; dispute: Dispute }>>(b, '/events?limit=100')
  t.equal(list.items.find((e) => e.id === 'ev-07')?.dispute.range?.high, 1000, 'the list counts the write made on the other replica')
})
