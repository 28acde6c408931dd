/**
 * GET /events/{id}/timeline (contract §11, §10, §12): its parameters and
 * their failures, paging with limit and cursor, from and to, the NDJSON and
 * CSV forms, ETags with paging, the JSON streamed as the serializer would
 * write it, and a long timeline that lets the event loop turn.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { loadFixtureInBulk } from '../../src/demo/datasets.js'
import { ukraineDataset } from '../../src/demo/ukraine.js'
import { type GroupKey, type TimelineStep, figureTimeline } from '../../src/engine/timeline.js'
import { encodeCursor } from '../../src/lib/cursor.js'
import { Timeline } from '../../src/schemas/timeline.js'
import { directoryFor } from '../../src/schemas/summary-document.js'
import { assertQueryRefused, build, csvRecords, figureClaim, get, json, khanShaykhun, ndjsonLines, post, succeeded } from '../helper.js'

interface TimelineOut {
  metric: string
  population: string
  party: string | null
  steps: TimelineStep[]
  next_cursor: string | null
}

const KHAN = '/events/khan-shaykhun/timeline'

/** An app with the Ukraine 2022 losses, and the URL of its timeline of Russian combatants killed (about a hundred steps). */
async function ukraine(): Promise<{ app: FastifyInstance; url: string }> {
  const app = await build(t)
  const data = ukraineDataset()
  await loadFixtureInBulk(app, data)
  return { app, url: `/events/${data.event.id}/timeline?metric=killed&population=combatants&party=russian-forces` }
}

/** A 200 answer's JSON. */
async function timeline(app: FastifyInstance, url: string): Promise<{ res: LightMyRequestResponse; body: TimelineOut }> {
  const res = await succeeded(get(app, url), 200)
  return { res, body: json<TimelineOut>(res) }
}

/** The URL inside a `Link: <…>; rel="next"` header. */
function linked(res: LightMyRequestResponse): string | null {
  const link = res.headers.link
  if (link === undefined) return null
  const match = /^<([^>]+)>; rel="next"$/.exec(String(link))
  if (match === null) throw new Error(`not a Link to the next page: ${String(link)}`)
  return match[1] as string
}

t.test('every new parameter is checked: each failure is a 400 naming its field', async (t) => {
  const { app } = await khanShaykhun(t)
  const refused: Array<[string, string]> = [
    ['limit=0', '/limit'],
    ['limit=10001', '/limit'],
    ['limit=2.5', '/limit'],
    ['limit=many', '/limit'],
    ['cursor=not-a-cursor', '/cursor'],
    [`cursor=${encodeCursor(['2017-04-05'])}`, '/cursor'],
    [`cursor=${encodeCursor(['2017-04-05T00:00:00.000Z', 'x'])}`, '/cursor'],
    [`cursor=${'A'.repeat(501)}`, '/cursor'],
    ['from=yesterday', '/from'],
    ['to=2017-02-30', '/to'],
    ['from=2017-04-06&to=2017-04-05', '/to'],
    ['from=2017-04-05T12:00:00Z&to=2017-04-05T11:59:59Z', '/to'],
    ['format=xml', '/format'],
    ['hxl=true', '/hxl'],
    ['format=csv&raw=yes', '/raw'],
  ]
  for (const [query, path] of refused) assertQueryRefused(t, await get(app, `${KHAN}?metric=killed&${query}`), path, query)
  const full = await timeline(app, `${KHAN}?metric=killed&limit=10000&from=2017-04-05&to=2017-04-05`)
  t.strictSame(
    full.body.steps.map((s) => s.at),
    ['2017-04-05T00:00:00.000Z'],
    'the largest limit, and from = to, are accepted',
  )
})

t.test('paging through a timeline with limit and cursor gives exactly the steps of the whole', async (t) => {
  const { app, url } = await ukraine()
  const whole = await timeline(app, url)
  t.equal(whole.body.next_cursor, null, 'without limit: every step, no next page')
  t.equal(whole.res.headers.link, undefined)
  t.ok(whole.body.steps.length > 50, `${whole.body.steps.length} steps`)

  for (const limit of [1, 7, whole.body.steps.length - 1]) {
    const steps: TimelineStep[] = []
    let next: string | null = `${url}&limit=${limit}`
    let pages = 0
    while (next !== null) {
      const page = await timeline(app, next)
      pages++
      t.strictSame([page.body.metric, page.body.population, page.body.party], ['killed', 'combatants', 'russian-forces'])
      steps.push(...page.body.steps)
      const link = linked(page.res)
      if (page.body.next_cursor === null) {
        t.equal(link, null, 'the last page has no Link')
        next = null
      } else {
        t.equal(page.body.steps.length, limit, 'a page with a next one is full')
        t.equal(link, `${url}&limit=${limit}&cursor=${page.body.next_cursor}`, 'the Link is the same URL with the next cursor')
        next = link
      }
    }
    t.strictSame(steps, whole.body.steps, `pages of ${limit}, put together, are the whole timeline`)
    t.equal(pages, Math.ceil(whole.body.steps.length / limit))
  }
  const exact = await timeline(app, `${url}&limit=${whole.body.steps.length}`)
  t.strictSame(
    [exact.body.steps, exact.body.next_cursor, exact.res.headers.link],
    [whole.body.steps, null, undefined],
    'a page of every step has no next',
  )
})

t.test('from and to keep the steps between them, both inclusive, and combine with as_of and paging', async (t) => {
  const { app, url } = await ukraine()
  const whole = (await timeline(app, url)).body.steps
  const at = (i: number) => (whole[i] as TimelineStep).at
  const between = (from: string, to: string) => whole.filter((s) => s.at >= from && s.at <= to)

  const [from, to] = [at(10), at(30)]
  t.strictSame((await timeline(app, `${url}&from=${from}&to=${to}`)).body.steps, between(from, to), 'date-times: both ends inclusive')
  t.strictSame((await timeline(app, `${url}&from=${from}&to=${from}`)).body.steps, [whole[10]], 'from = to: that step alone')
  const day = at(10).slice(0, 10)
  t.strictSame(
    (await timeline(app, `${url}&from=${day}&to=${day}`)).body.steps,
    between(`${day}T00:00:00.000Z`, `${day}T23:59:59.999Z`),
    'a date: from its start, to its end',
  )
  t.strictSame(
    (await timeline(app, `${url}&to=${to}&as_of=${at(20)}`)).body.steps,
    whole.slice(0, 21),
    'as_of and to: the earlier stops the steps',
  )
  t.strictSame((await timeline(app, `${url}&from=2100-01-01`)).body, {
    metric: 'killed',
    population: 'combatants',
    party: 'russian-forces',
    steps: [],
    next_cursor: null,
  })

  const first = await timeline(app, `${url}&from=${from}&to=${to}&limit=15`)
  t.strictSame(first.body.steps, between(from, to).slice(0, 15))
  const second = await timeline(app, linked(first.res) ?? '')
  t.strictSame([second.body.steps, second.body.next_cursor], [between(from, to).slice(15), null], 'the Link keeps from and to')
})

t.test('NDJSON and CSV: one step a line or a row, by format or Accept, paged by the Link header', async (t) => {
  const { app, url } = await ukraine()
  const whole = (await timeline(app, url)).body.steps

  const ndjson = await succeeded(get(app, `${url}&format=ndjson`), 200)
  t.equal(ndjson.headers['content-type'], 'application/x-ndjson')
  t.equal(
    ndjson.headers['content-disposition'],
    'attachment; filename="reckon-russian-invasion-of-ukraine-2022-timeline-killed-combatants-russian-forces.ndjson"',
  )
  t.strictSame(ndjsonLines(ndjson.body), whole, 'each line a step, as in the JSON steps')
  const accepted = await succeeded(get(app, url, { accept: 'application/x-ndjson' }), 200)
  t.equal(accepted.body, ndjson.body, 'Accept chooses it as format does')

  // NDJSON pages carry no cursor of their own: the Link header leads to the next.
  const lines: unknown[] = []
  let next: string | null = `${url}&format=ndjson&limit=40`
  while (next !== null) {
    const page = await succeeded(get(app, next), 200)
    lines.push(...ndjsonLines(page.body))
    next = linked(page)
  }
  t.strictSame(lines, whole, 'NDJSON pages followed by their Link: every step')

  const csv = await succeeded(get(app, `${url}&format=csv&hxl=true`), 200)
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
  t.equal(
    csv.headers['content-disposition'],
    'attachment; filename="reckon-russian-invasion-of-ukraine-2022-timeline-killed-combatants-russian-forces.csv"',
  )
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v))
  t.strictSame(
    csvRecords(csv.body, 1),
    whole.map(({ at, summary: s }) => ({
      at,
      metric: 'killed',
      population: 'combatants',
      party: 'russian-forces',
      sources: cell(s?.sources ?? 0),
      range_low: cell(s?.range.low),
      range_high: cell(s?.range.high),
      median: cell(s?.points.median),
      level: cell(s?.disagreement.level),
      spread: cell(s?.disagreement.spread),
      ratio: cell(s?.disagreement.ratio),
      relative_spread: cell(s?.disagreement.relative_spread),
      consistent: cell(s?.consistent),
      agreement_low: cell(s?.agreement.low),
      agreement_high: cell(s?.agreement.high),
      agreement_sources: cell(s?.agreement.sources),
      claim_ids: (s?.claims ?? []).map((c) => c.claim_id).join(';'),
    })),
    'one row per step: the group, the columns of GET /summaries, the agreement band, the counted claims',
  )
  t.equal(
    csv.body.split('\r\n')[1],
    '#date+as_of,#impact+type,#group+code,#org+id+party,#meta+sources,#affected+killed+min,#affected+killed+max,#affected+killed,' +
      '#status+disagreement,#meta+spread,#meta+ratio,#meta+relative_spread,#meta+consistent,#affected+killed+agreement+min,' +
      '#affected+killed+agreement+max,#meta+sources+agreement,#meta+id+claims',
  )
  const plain = await succeeded(get(app, `${url}&limit=3`, { accept: 'text/csv' }), 200)
  t.equal(plain.headers['content-type'], 'text/csv; charset=utf-8', 'Accept: text/csv')
  t.strictSame(
    csvRecords(plain.body).map((r) => r.at),
    whole.slice(0, 3).map((s) => s.at),
  )
  const cursor = (await timeline(app, `${url}&limit=3`)).body.next_cursor
  t.equal(linked(plain), `${url}&limit=3&cursor=${cursor}`, 'a CSV page has the Link of the JSON one')
})

t.test('a step with no counted claim: empty in JSON, a row of the group alone in CSV; known_at replays the database', async (t) => {
  const { app, ids } = await khanShaykhun(t)
  const sohr58 = ids[0] as string
  // SOHR's 58 "killed" was in fact injured: the correction supersedes it from another group.
  await new Promise((resolve) => setTimeout(resolve, 5))
  const before = new Date().toISOString()
  await new Promise((resolve) => setTimeout(resolve, 5))
  await succeeded(post(app, '/events/khan-shaykhun/claims', figureClaim({ metric: 'injured', supersedes: sohr58 })))
  const url = `${KHAN}?metric=killed&to=2017-04-04`
  const now = await timeline(app, url)
  t.strictSame(
    now.body.steps.map((s) => s.at),
    ['2017-04-04T00:00:00.000Z'],
    'the correction, in another group, makes no step here',
  )
  t.equal(now.body.steps[0]?.summary, null, 'as of its own moment SOHR’s 58 is already superseded')
  const csv = await succeeded(get(app, `${url}&format=csv`), 200)
  t.strictSame(csvRecords(csv.body), [
    {
      at: '2017-04-04T00:00:00.000Z',
      metric: 'killed',
      population: 'all',
      party: '',
      sources: '0',
      range_low: '',
      range_high: '',
      median: '',
      level: '',
      spread: '',
      ratio: '',
      relative_spread: '',
      consistent: '',
      agreement_low: '',
      agreement_high: '',
      agreement_sources: '',
      claim_ids: '',
    },
  ])
  const then = await timeline(app, `${url}&known_at=${before}`)
  t.strictSame(
    then.body.steps.map((s) => s.summary?.claims.map((c) => c.claim_id)),
    [[sohr58]],
    'known at a moment before the correction was recorded, the 58 counts',
  )
})

t.test('the streamed JSON is byte for byte what the serializer writes of the documented schema', async (t) => {
  const { app } = await khanShaykhun(t)
  const claims = await app.repos.claims.forEngine('khan-shaykhun')
  const directory = await directoryFor(claims, app.repos.sources, await app.repos.actors.tree())
  // What fastify-type-provider-zod's serializer sends for a document: zod's encode through the response schema, then JSON.stringify.
  const serialized = (key: GroupKey, steps: TimelineStep[], nextCursor: string | null) =>
    JSON.stringify(Timeline.encode({ ...key, steps, next_cursor: nextCursor }))
  const killed: GroupKey = { metric: 'killed', population: 'all', party: null }
  const steps = [...figureTimeline(claims, killed, directory)]
  t.equal(steps.length, 2)

  const whole = await succeeded(get(app, `${KHAN}?metric=killed`), 200)
  t.equal(whole.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(whole.body, serialized(killed, steps, null), 'every step')
  const first = await succeeded(get(app, `${KHAN}?metric=killed&limit=1`), 200)
  t.equal(first.body, serialized(killed, steps.slice(0, 1), encodeCursor([steps[0]?.at ?? ''])), 'a page, with its next_cursor')
  const none = await succeeded(get(app, `${KHAN}?metric=missing`), 200)
  t.equal(none.body, serialized({ metric: 'missing', population: 'all', party: null }, [], null), 'no step')
  const odd = 'x"steps":[],"next_cursor":null}'
  const quoted = await succeeded(get(app, `${KHAN}?metric=killed&party=${encodeURIComponent(odd)}`), 200)
  t.equal(quoted.body, serialized({ ...killed, party: odd }, [], null), 'a party that reads like the envelope stays inside its string')
})

t.test('ETags: each page, bound and format has its own; a matching If-None-Match is a 304; a write changes them all', async (t) => {
  const { app } = await khanShaykhun(t)
  const cursor = json<TimelineOut>(await get(app, `${KHAN}?metric=killed&limit=1`)).next_cursor ?? ''
  const urls = [
    `${KHAN}?metric=killed`,
    `${KHAN}?metric=killed&limit=1`,
    `${KHAN}?metric=killed&limit=2`,
    `${KHAN}?metric=killed&limit=1&cursor=${cursor}`,
    `${KHAN}?metric=killed&from=2017-04-05`,
    `${KHAN}?metric=killed&to=2017-04-04`,
    `${KHAN}?metric=killed&format=ndjson`,
    `${KHAN}?metric=killed&format=csv`,
    `${KHAN}?metric=killed&format=csv&hxl=true`,
  ]
  const tags: string[] = []
  for (const url of urls) {
    const res = await succeeded(get(app, url), 200)
    const tag = String(res.headers.etag)
    tags.push(tag)
    t.equal(res.headers.vary, 'Accept', `${url}: varies on Accept`)
    const again = await get(app, url, { 'if-none-match': tag })
    t.strictSame([again.statusCode, again.body, again.headers.etag], [304, '', tag], `${url}: a 304 with no body`)
  }
  t.equal(new Set(tags).size, urls.length, 'every page, bound and format has a tag of its own')
  t.equal(
    (await get(app, `${KHAN}?metric=killed&limit=1`, { accept: 'text/csv' })).headers.etag,
    (await get(app, `${KHAN}?metric=killed&limit=1&format=csv`)).headers.etag,
    'Accept: text/csv and format=csv name the same CSV',
  )

  await succeeded(post(app, '/events/khan-shaykhun/claims', figureClaim({ source_id: 'reuters', stated_at: '2017-04-05', value: 60 })))
  for (const [i, url] of urls.entries()) {
    const res = await get(app, url, { 'if-none-match': tags[i] as string })
    t.equal(res.statusCode, 200, `${url}: changed by the write`)
    t.not(res.headers.etag, tags[i])
  }
})

t.test('a long timeline gives the event loop a turn while it is produced, and other requests are answered meanwhile', async (t) => {
  const app = await build(t)
  await succeeded(post(app, '/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' }))
  await succeeded(post(app, '/sources', { id: 'who', name: 'WHO', kind: 'igo' }))
  await succeeded(post(app, '/events', { id: 'long', title: 'A long war', occurred_on: '2020' }))
  const STEPS = 5000
  const moment = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString()
  const rows = Array.from({ length: STEPS }, (_, i) => ({
    event_id: 'long',
    ...figureClaim({
      source_id: i % 2 === 0 ? 'sohr' : 'who',
      stated_at: moment(i),
      value: i,
    }),
  }))
  await succeeded(post(app, '/claims/bulk', rows))

  const res = await app.inject({ method: 'GET', url: '/events/long/timeline?metric=killed&format=ndjson', payloadAsStream: true })
  t.equal(res.statusCode, 200)
  let lines = 0
  let done = false
  // A callback that runs on every turn of the event loop, noting how many steps had arrived then.
  const turns: number[] = []
  const probe = () => {
    turns.push(lines)
    if (!done) setImmediate(probe)
  }
  setImmediate(probe)
  let health: Promise<number> | null = null
  const chunks: Buffer[] = []
  for await (const chunk of res.stream()) {
    chunks.push(chunk as Buffer)
    lines += (chunk as Buffer).toString('latin1').split('\n').length - 1
    // Another request, sent once the first steps are out, is answered before the last.
    health ??= get(app, '/health').then((answer) => (answer.statusCode === 200 ? lines : -1))
  }
  const text = Buffer.concat(chunks).toString('utf8')
  done = true
  const answeredAt = await (health ?? Promise.resolve(-1))
  t.equal(lines, STEPS, 'every step arrives')
  t.ok(
    turns.some((n) => n > 0 && n < STEPS),
    'the event loop turned while the steps were being produced',
  )
  t.ok(answeredAt > 0 && answeredAt < STEPS, `GET /health answered meanwhile (after ${answeredAt} of ${STEPS} steps)`)
  t.strictSame(ndjsonLines(text).at(-1), {
    at: moment(STEPS - 1),
    summary: json<TimelineOut>(await get(app, `/events/long/timeline?metric=killed&from=${moment(STEPS - 1)}`)).steps[0]?.summary,
  })
})
