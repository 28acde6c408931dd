/**
 * #16 through the API, on either store: GET /track-records,
 * GET /sources/{id}/record, GET /events/{id}/estimates and
 * GET /summaries?adjusted=true. On the shipped Ukraine 2022 losses, the
 * directions Radford et al. (PNAS 2023) published; nothing stated after
 * `as_of` changes an answer; formats, pages, ETags and problems.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { loadFixtureInBulk } from '../../src/demo/datasets.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { UKRAINE_EVENT_ID, ukraineDataset } from '../../src/demo/ukraine.js'
import { z } from 'zod'
import { buildApp } from '../../src/app.js'
import { databaseState } from '../../src/repositories/changes-repository.js'
import { EventEstimates } from '../../src/schemas/track-records.js'
import { learnHere } from '../../src/services/learning.js'
import { createTrackRecordService } from '../../src/services/track-record-service.js'
import { type Page, type Teardown, assertProblem, build, csvRecords, get, json, ndjsonLines, paths, post, tempDir } from '../helper.js'
import { ON_POSTGRES, testStore } from '../store.js'
import { collisions } from '../charts/layout-check.js'
import { parseXml } from '../charts/xml.js'

if (ON_POSTGRES) t.setTimeout(120_000)

/** The last day of the shipped Ukraine data. */
const DATA_END = '2023-02-24'
/** The docs page's chart (docs/who-to-believe.md); RECKON_UPDATE_DOCS=1 rewrites it from the renderer. */
const DOC_CHART = new URL('../../docs/chart-ukraine-adjusted.svg', import.meta.url)

interface Bias {
  factor: number | null
  low: number | null
  high: number | null
  comparisons: number
  note: string | null
}
interface Record_ {
  source_id: string
  claims: number
  echoes: number
  bias: Record<'overall' | 'own' | 'other' | 'none', Bias>
  possible_echoes?: Array<{ claim_id: string; echoes_claim_id: string }>
}

async function ukraine(t: Teardown, until?: string): Promise<FastifyInstance> {
  const app = await build(t)
  const fixture = ukraineDataset()
  await loadFixtureInBulk(
    app,
    until === undefined ? fixture : { ...fixture, claims: fixture.claims.filter((c) => (c as { stated_at: string }).stated_at <= until) },
  )
  return app
}

/** A claim that changes Khan Shaykhun's killed/all group: the WHO's exact 72 of 5 April. */
const WHO_SAYS_72 = { kind: 'figure', source_id: 'who', stated_at: '2017-04-05', metric: 'killed', qualifier: 'exact', value: 72 }

const fmt = (b: Bias) => `${b.factor?.toFixed(2)} (${b.low?.toFixed(2)}–${b.high?.toFixed(2)}, ${b.comparisons} comparisons)`

t.test('Ukraine 2022: the published directions of the parties’ reporting biases', async (t) => {
  const app = await ukraine(t)
  const russian = json<Record_>(await get(app, '/sources/russian-officials/record'))
  const ukrainian = json<Record_>(await get(app, '/sources/ukrainian-officials/record'))
  t.comment(`russian-officials: own ${fmt(russian.bias.own)}, other ${fmt(russian.bias.other)}`)
  t.comment(`ukrainian-officials: own ${fmt(ukrainian.bias.own)}, other ${fmt(ukrainian.bias.other)}`)
  // Russian sources on Russian forces' losses (own): well below the consensus, the whole interval below 1.
  t.ok((russian.bias.own.high ?? 1) < 1, `Russian sources understate Russian losses: ${fmt(russian.bias.own)}`)
  // Russian sources on Ukrainian forces' losses (other), Ukrainian sources on Russian forces' losses (other): above it.
  t.ok((russian.bias.other.low ?? 0) > 1, `Russian sources inflate Ukrainian losses: ${fmt(russian.bias.other)}`)
  t.ok((ukrainian.bias.other.low ?? 0) > 1, `Ukrainian sources inflate Russian losses: ${fmt(ukrainian.bias.other)}`)
  t.equal(russian.bias.none.factor, null, 'no figure of theirs counts a party unrelated to neither')
  t.match(russian.bias.none.note, /^too few comparisons: 0 of the \d+ needed$/)
  t.equal(russian.possible_echoes?.length, russian.echoes, 'each possible echo listed')
  const summary = json<{ figures: Array<{ claims: Array<{ claim_id: string }> }>; warnings: Array<{ code: string; claim_ids: string[] }> }>(
    await get(app, `/events/${UKRAINE_EVENT_ID}/summary`),
  )
  const counted = new Set(summary.figures.flatMap((f) => f.claims.map((c) => c.claim_id)))
  const everyEcho: Array<{ claim_id: string; echoes_claim_id: string }> = []
  for (const r of json<Page<Record_>>(await get(app, '/track-records?limit=1000')).items) {
    if (r.echoes > 0) everyEcho.push(...(json<Record_>(await get(app, `/sources/${r.source_id}/record`)).possible_echoes ?? []))
  }
  const countedEchoes = everyEcho.filter((e) => counted.has(e.claim_id)).map((e) => [e.claim_id, e.echoes_claim_id])
  t.ok(countedEchoes.length > 0, `${countedEchoes.length} of the ${everyEcho.length} possible echoes are counted now`)
  t.strictSame(
    summary.warnings
      .filter((w) => w.code === 'possible_echo')
      .map((w) => w.claim_ids)
      .sort(),
    countedEchoes.sort(),
    'the summary warns of each counted one',
  )

  const estimates = json<{
    groups: Array<{ metric: string; party: string; median: number; adjusted: { value: number; low: number; high: number } }>
  }>(await get(app, `/events/${UKRAINE_EVENT_ID}/estimates`))
  const killedRussian = estimates.groups.find((g) => g.metric === 'killed' && g.party === 'russian-forces')
  t.comment(
    `killed, Russian forces, end of data: median ${killedRussian?.median}, adjusted ${killedRussian?.adjusted.value.toFixed(0)} (${killedRussian?.adjusted.low.toFixed(0)}–${killedRussian?.adjusted.high.toFixed(0)})`,
  )
  t.ok(
    killedRussian !== undefined &&
      killedRussian.adjusted.low <= killedRussian.adjusted.value &&
      killedRussian.adjusted.value <= killedRussian.adjusted.high,
  )

  // The docs page's chart: that group at the end of the data, the estimate beside the median.
  const chart = await get(
    app,
    `/events/${UKRAINE_EVENT_ID}/chart.svg?metric=killed&population=combatants&party=russian-forces&as_of=${DATA_END}&adjusted=true`,
  )
  t.equal(chart.statusCode, 200)
  t.strictSame(collisions(parseXml(chart.body)), [], 'no label crosses a mark or another label')
  const atEnd = json<{ groups: Array<{ metric: string; party: string; adjusted: { value: number } }> }>(
    await get(app, `/events/${UKRAINE_EVENT_ID}/estimates?as_of=${DATA_END}`),
  ).groups.find((g) => g.metric === 'killed' && g.party === 'russian-forces')
  t.match(chart.body, `>${Math.round(atEnd?.adjusted.value ?? 0).toLocaleString('en-US')} (`, 'labelled with the estimate')
  if (process.env.RECKON_UPDATE_DOCS === '1') writeFileSync(DOC_CHART, chart.body)
  t.equal(
    readFileSync(DOC_CHART, 'utf8'),
    chart.body,
    'docs/chart-ukraine-adjusted.svg is what the renderer draws (RECKON_UPDATE_DOCS=1 to rewrite it)',
  )
})

t.test('nothing stated after as_of changes a record or an estimate', async (t) => {
  const cut = '2022-04-01'
  const [all, known] = await Promise.all([ukraine(t), ukraine(t, `${cut}T23:59:59.999Z`)])
  for (const url of [
    `/track-records?as_of=${cut}&limit=1000`,
    `/sources/ukrainian-officials/record?as_of=${cut}`,
    `/events/${UKRAINE_EVENT_ID}/estimates?as_of=${cut}`,
  ]) {
    const [a, b] = await Promise.all([get(all, url), get(known, url)])
    t.equal(a.statusCode, 200)
    // Claim ids differ between the two databases (they are drawn at insert): compared without them.
    const shown = (body: string) => body.replace(/"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"/g, '"<id>"')
    t.equal(shown(a.body), shown(b.body), url)
  }
})

t.test('GET /track-records: pages in source order, NDJSON and CSV with the bias flattened, ETags', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const whole = json<Page<Record_>>(await get(app, '/track-records?limit=1000'))
  t.strictSame(
    whole.items.map((r) => r.source_id),
    ['reuters', 'russian-mod', 'sohr', 'syrian-mod', 'tass', 'who'].filter((id) => whole.items.some((r) => r.source_id === id)),
  )
  t.strictSame(
    whole.items.map((r) => [r.source_id, r.claims]),
    [
      ['reuters', 1],
      ['russian-mod', 2],
      ['sohr', 2],
      ['syrian-mod', 2],
      ['who', 2],
    ],
    'the sources with claims, in id order: TASS only relayed',
  )
  const paged: string[] = []
  let url = '/track-records?limit=2'
  for (;;) {
    const res = await get(app, url)
    const page = json<Page<Record_>>(res)
    paged.push(...page.items.map((r) => r.source_id))
    if (page.next_cursor === null) break
    t.match(res.headers.link, /rel="next"/)
    url = `/track-records?limit=2&cursor=${page.next_cursor}`
  }
  t.strictSame(
    paged,
    whole.items.map((r) => r.source_id),
    'pages of two: every source once',
  )

  const csv = await get(app, '/track-records?format=csv')
  t.equal(csv.statusCode, 200)
  const rows = csvRecords(csv.body)
  t.strictSame(Object.keys(rows[0] ?? {}).slice(0, 12), [
    'source_id',
    'source_name',
    'affiliated_actor_id',
    'claims',
    'events',
    'figure_groups',
    'revisions',
    'retractions',
    'first_reports',
    'median_lead_hours',
    'echoes',
    'bias_overall_factor',
  ])
  t.strictSame(
    rows.map((r) => r.source_id),
    whole.items.map((r) => r.source_id),
  )
  t.equal(rows.find((r) => r.source_id === 'sohr')?.bias_overall_note, 'too few comparisons: 0 of the 3 needed')
  t.equal(ndjsonLines((await get(app, '/track-records?format=ndjson')).body).length, whole.items.length)

  const first = await get(app, '/track-records?as_of=2017-04-06')
  const etag = first.headers.etag as string
  t.equal((await get(app, '/track-records?as_of=2017-04-06', { 'if-none-match': etag })).statusCode, 304)
  t.equal((await post(app, '/events/khan-shaykhun/claims', WHO_SAYS_72)).statusCode, 201)
  const after = await get(app, '/track-records?as_of=2017-04-06', { 'if-none-match': etag })
  t.equal(after.statusCode, 200, 'a write changes the ETag')
  t.equal(json<Page<Record_>>(after).items.find((r) => r.source_id === 'who')?.claims, 3, 'and the record')
})

t.test('a possible echo is a summary warning, now and as of any moment, until a claim declares the relay', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  interface Warning {
    code: string
    source_id: string
    claim_ids: string[]
    message: string
  }
  const echoWarnings = async (query = '') =>
    json<{ warnings: Warning[] }>(await get(app, `/events/khan-shaykhun/summary${query}`)).warnings.filter(
      (w) => w.code === 'possible_echo',
    )
  const sohr58 = json<Page<{ id: string; source_id: string; value: number | null }>>(
    await get(app, '/claims?event_id=khan-shaykhun&source_id=sohr'),
  ).items.find((c) => c.value === 58)
  t.strictSame(await echoWarnings(), [], 'the shipped data has none')

  // Reuters, on its own account, gives SOHR's 58 a day later, naming no relay.
  const echo = json<{ id: string; recorded_at: string }>(
    await post(app, '/events/khan-shaykhun/claims', {
      kind: 'figure',
      source_id: 'reuters',
      stated_at: '2017-04-05',
      metric: 'killed',
      qualifier: 'exact',
      value: 58,
    }),
  )
  const expected = [
    {
      code: 'possible_echo',
      message:
        "reuters's killed/all may echo sohr: the same figure (exact 58) as sohr stated 24 hours earlier, not declared as relayed (via); " +
        'its first figure in the group.',
      source_id: 'reuters',
      claim_ids: [echo.id, sohr58?.id],
    },
  ]
  t.strictSame(await echoWarnings(), expected, 'now (the stored summary)')
  t.strictSame(await echoWarnings('?as_of=2017-04-06'), expected, 'as of a past moment')
  t.strictSame(await echoWarnings('?as_of=2017-04-04'), [], 'not before it was stated')
  const record = json<Record_>(await get(app, '/sources/reuters/record'))
  t.strictSame(
    record.possible_echoes?.map((e) => [e.claim_id, e.echoes_claim_id]),
    [[echo.id, sohr58?.id]],
    'the record lists the same echo',
  )

  // The desk confirms it: a new claim of Reuters' naming SOHR in `via`, recorded a moment later.
  await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(
    (
      await post(app, '/events/khan-shaykhun/claims', {
        kind: 'figure',
        source_id: 'reuters',
        via: ['sohr'],
        stated_at: '2017-04-05T12:00:00Z',
        metric: 'killed',
        qualifier: 'exact',
        value: 58,
      })
    ).statusCode,
    201,
  )
  t.strictSame(await echoWarnings(), [], 'declared: the warning is gone')
  t.strictSame(await echoWarnings(`?known_at=${echo.recorded_at}`), expected, 'as the database knew it before, it was there')
})

t.test('GET /sources/{id}/record: a source with no claim has zeros; unknown sources and bad levels are problems', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const tass = json<Record_ & { source_name: string; possible_echoes: unknown[] }>(await get(app, '/sources/tass/record'))
  t.strictSame([tass.source_name, tass.claims, tass.bias.overall.factor, tass.possible_echoes], ['TASS', 0, null, []])
  assertProblem(t, await get(app, '/sources/nobody/record'), 404)
  const bad = assertProblem(t, await get(app, '/sources/sohr/record?level=2'), 400)
  t.strictSame(paths(bad), ['/level'])
  const badMoment = assertProblem(t, await get(app, '/track-records?as_of=yesterday'), 400)
  t.strictSame(paths(badMoment), ['/as_of'])
  const level = json<Record_ & { bias: { overall: { level: number } } }>(await get(app, '/sources/sohr/record?level=0.5'))
  t.equal(level.bias.overall.level, 0.5)
})

t.test(
  'GET /events/{id}/estimates: the median beside the adjusted estimate, as JSON and as rows; GET /summaries?adjusted=true',
  async (t) => {
    const app = await build(t)
    await loadFixture(app, readFixture())
    const doc = json<{
      event_id: string
      as_of: string
      level: number
      groups: Array<{
        metric: string
        population: string
        median: number
        adjusted: { value: number; sources: Array<{ source_id: string; weight: number }> }
      }>
    }>(await get(app, '/events/khan-shaykhun/estimates?as_of=2017-04-06'))
    t.strictSame([doc.event_id, doc.as_of, doc.level], ['khan-shaykhun', '2017-04-06T23:59:59.999Z', 0.9])
    t.strictSame(
      doc.groups.map((g) => [g.metric, g.population, g.median, g.adjusted.sources.map((s) => s.source_id).sort()]),
      [
        ['killed', 'all', 64, ['sohr', 'who']],
        ['killed', 'children', 11, ['sohr']],
        ['affected', 'all', 200, ['who']],
      ],
      'the summary’s groups and medians (contract §8)',
    )
    const rows = csvRecords((await get(app, '/events/khan-shaykhun/estimates?as_of=2017-04-06&format=csv')).body)
    t.strictSame(Object.keys(rows[0] ?? {}), [
      'event_id',
      'metric',
      'population',
      'party',
      'median',
      'adjusted_value',
      'adjusted_low',
      'adjusted_high',
      'level',
      'sources',
      'as_of',
    ])
    t.strictSame(
      rows.map((r) => [r.metric, r.median, r.sources]),
      [
        ['killed', '64', '2'],
        ['killed', '11', '1'],
        ['affected', '200', '1'],
      ],
    )
    t.equal(rows[0]?.adjusted_value, String(doc.groups[0]?.adjusted.value))
    assertProblem(t, await get(app, '/events/nowhere/estimates'), 404)

    const plain = csvRecords((await get(app, '/summaries?as_of=2017-04-06&format=csv')).body)
    const adjusted = csvRecords((await get(app, '/summaries?as_of=2017-04-06&format=csv&adjusted=true')).body)
    const contract = Object.keys(plain[0] ?? {})
    t.strictSame(
      Object.keys(adjusted[0] ?? {}),
      [...contract.slice(0, -1), 'adjusted_value', 'adjusted_low', 'adjusted_high', 'as_of'],
      'three columns before as_of',
    )
    t.strictSame(
      adjusted.map((r) => contract.map((k) => r[k])),
      plain.map((r) => contract.map((k) => r[k])),
      'the contract’s columns keep their values',
    )
    t.equal(adjusted[0]?.adjusted_value, String(doc.groups[0]?.adjusted.value), 'the estimate of GET /events/{id}/estimates')
    t.notOk(
      'adjusted_value' in (json<Page<Record<string, unknown>>>(await get(app, '/summaries?as_of=2017-04-06')).items[0] ?? {}),
      'not asked: not there',
    )
  },
)

t.test(
  'chart.svg?adjusted=true: the estimate and its interval as a row beside the median; refused with known_at; its own ETag',
  async (t) => {
    const app = await build(t)
    await loadFixture(app, readFixture())
    const at = '2017-04-06'
    const estimate = json<{
      groups: Array<{ metric: string; population: string; adjusted: { value: number; low: number; high: number } }>
    }>(await get(app, `/events/khan-shaykhun/estimates?as_of=${at}`)).groups.find(
      (g) => g.metric === 'killed' && g.population === 'all',
    )?.adjusted
    if (estimate === undefined) throw new Error('no estimate of killed/all')
    const number = (n: number) => Math.round(n).toLocaleString('en-US')

    const plain = await get(app, `/events/khan-shaykhun/chart.svg?as_of=${at}`)
    const off = await get(app, `/events/khan-shaykhun/chart.svg?as_of=${at}&adjusted=false`)
    t.equal(off.body, plain.body, 'adjusted=false is the default: the same chart')
    t.notMatch(plain.body, /class="adjusted/, 'not asked: not drawn')

    const res = await get(app, `/events/khan-shaykhun/chart.svg?as_of=${at}&adjusted=true`)
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^image\/svg\+xml/)
    const svg = res.body
    const figure = `${number(estimate.value)} (${number(estimate.low)}–${number(estimate.high)})`
    t.match(svg, '<g class="adjusted">', 'a row of its own')
    t.match(svg, 'class="adjusted-interval"', 'the interval as a whisker')
    t.match(svg, 'class="adjusted-value"', 'the value as a diamond')
    t.match(svg, `>${figure}</text>`, `labelled with the estimate of GET /estimates: ${figure}`)
    t.match(svg, '>Bias-adjusted</text>')
    t.match(svg, '>estimate (90%)</text>')
    t.match(svg, '>bias-adjusted estimate and its 90% interval</text>', 'in the legend')
    t.match(svg, 'class="median"', 'beside the median line')
    t.strictSame(collisions(parseXml(svg)), [], 'no label crosses a mark or another label')
    t.match(
      svg,
      `Adjusted for each source&#39;s track record: ${number(estimate.value)}, 90% interval ${number(estimate.low)} to ${number(estimate.high)}.</desc>`,
      'said in the description',
    )
    t.equal((svg.match(/<g class="source/g) ?? []).length, (plain.body.match(/<g class="source/g) ?? []).length, 'the same source rows')
    const level = await get(app, `/events/khan-shaykhun/chart.svg?as_of=${at}&adjusted=true&level=0.5`)
    t.match(level.body, '>estimate (50%)</text>', 'at the level asked')

    const both = assertProblem(t, await get(app, `/events/khan-shaykhun/chart.svg?adjusted=true&known_at=${at}`), 400)
    t.strictSame(paths(both), ['/adjusted'], 'not with known_at: the estimate is learnt from the database as it is now')
    const alone = assertProblem(t, await get(app, `/events/khan-shaykhun/chart.svg?level=0.5`), 400)
    t.strictSame(paths(alone), ['/level'], 'level without adjusted=true says it is not read')

    // The adjusted chart depends on every event's claims: a claim on another event changes its tag, not the plain chart's.
    const tags = {
      plain: String(plain.headers.etag),
      adjusted: String(res.headers.etag),
    }
    await post(app, '/events', { id: 'elsewhere', title: 'Elsewhere', occurred_on: '2017' })
    const claim = await post(app, '/events/elsewhere/claims', {
      kind: 'figure',
      source_id: 'sohr',
      stated_at: '2017-04-05',
      metric: 'killed',
      qualifier: 'exact',
      value: 3,
    })
    t.equal(claim.statusCode, 201)
    const again = (url: string, etag: string) => get(app, url, { 'if-none-match': etag })
    t.equal((await again(`/events/khan-shaykhun/chart.svg?as_of=${at}`, tags.plain)).statusCode, 304, 'the plain chart: still 304')
    t.equal(
      (await again(`/events/khan-shaykhun/chart.svg?as_of=${at}&adjusted=true`, tags.adjusted)).statusCode,
      200,
      'the adjusted chart: a new tag (what SOHR’s record is learnt from changed)',
    )
  },
)

t.test('estimates "now" read the stored summary while it shows now: the same groups as counted from the claims', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  await app.writes.now(() => app.repos.disputes.refreshDue())
  t.type(await app.summaryService.storedNow('khan-shaykhun'), 'string', 'stored')
  let counted = 0
  const countedAt = app.repos.claims.countedAt.bind(app.repos.claims)
  app.repos.claims.countedAt = (...args) => {
    counted++
    return countedAt(...args)
  }
  const now = json<{ as_of: string; groups: unknown[] }>(await get(app, '/events/khan-shaykhun/estimates'))
  t.equal(counted, 0, 'no claim counted')
  const live = json<{ as_of: string; groups: unknown[] }>(await get(app, `/events/khan-shaykhun/estimates?as_of=${now.as_of}`))
  t.equal(counted, 1, 'as_of given: counted from the claims')
  t.strictSame(live.groups, now.groups, 'the same groups, medians, estimates and weights')
  t.equal(now.groups.length, 3)

  // A new claim: the stored summary no longer shows now; the estimate counts it at once.
  await post(app, '/events/khan-shaykhun/claims', {
    kind: 'figure',
    source_id: 'who',
    stated_at: '2017-04-07',
    metric: 'missing',
    qualifier: 'exact',
    value: 4,
  })
  const after = json<{ groups: Array<{ metric: string }> }>(await get(app, '/events/khan-shaykhun/estimates'))
  t.ok(
    after.groups.some((g) => g.metric === 'missing'),
    'the new group is there',
  )
  assertProblem(t, await get(app, '/events/nowhere/estimates'), 404)
  assertProblem(t, await get(app, '/events/nowhere/estimates?as_of=2017-04-06'), 404)
})

t.test('learnt in a worker thread (a large database): the same records and estimates as learnt in the app', async (t) => {
  const dbPath = `${tempDir(t, 'learning')}/reckon.db`
  const open = async (learnInWorkerFrom: number) => {
    const app = await buildApp({
      config: { ...(await testStore(dbPath)), apiKeys: [], logLevel: 'silent' },
      logger: false,
      learnInWorkerFrom,
    })
    t.teardown(() => app.close())
    return app
  }
  const inWorker = await open(0)
  await loadFixtureInBulk(inWorker, ukraineDataset())
  const inApp = await open(Number.POSITIVE_INFINITY)
  for (const url of [
    `/track-records?limit=1000&as_of=${DATA_END}`,
    `/events/${UKRAINE_EVENT_ID}/estimates?as_of=${DATA_END}`,
    `/sources/russian-officials/record?as_of=${DATA_END}`,
  ]) {
    const [a, b] = [await get(inWorker, url), await get(inApp, url)]
    t.equal(a.statusCode, 200, url)
    t.equal(a.body, b.body, `${url}: byte for byte`)
  }
  // The worker sees what the app wrote: a new claim changes the learning.
  const before = json<Record_>(await get(inWorker, '/sources/ukrainian-officials/record')).claims
  await post(inWorker, `/events/${UKRAINE_EVENT_ID}/claims`, {
    kind: 'figure',
    source_id: 'ukrainian-officials',
    stated_at: '2023-02-25',
    metric: 'killed',
    population: 'combatants',
    party: 'russian-forces',
    qualifier: 'exact',
    value: 146_000,
  })
  t.equal(json<Record_>(await get(inWorker, '/sources/ukrainian-officials/record')).claims, before + 1, 'relearnt after a write')
})

t.test(
  'an event’s estimates are made once per learning, kept as text within a budget, and sent as the schema serializes them',
  async (t) => {
    const app = await build(t)
    await loadFixture(app, readFixture())
    let made = 0
    const countedAt = app.repos.claims.countedAt.bind(app.repos.claims)
    app.repos.claims.countedAt = (...args) => {
      made++
      return countedAt(...args)
    }
    const url = '/events/khan-shaykhun/estimates?as_of=2017-04-06'
    const first = await get(app, url)
    const second = await get(app, url)
    t.equal(made, 1, 'made once: the second answer is the kept text')
    t.equal(second.body, first.body)
    t.equal(first.body, JSON.stringify(z.encode(EventEstimates, JSON.parse(first.body))), 'byte for byte what the schema serializes')
    t.equal(first.headers['content-type'], 'application/json; charset=utf-8')
    await post(app, '/events/khan-shaykhun/claims', WHO_SAYS_72)
    const after = json<{ groups: Array<{ metric: string; population: string; median: number }> }>(await get(app, url))
    t.equal(made, 2, 'a write: a new learning, made again')
    t.equal(after.groups.find((g) => g.metric === 'killed' && g.population === 'all')?.median, 65, 'counting the new claim')

    // Past the budget an answer is made and not kept.
    const tight = createTrackRecordService(app.repos, (moment) => databaseState(app.sql, moment), learnHere, 10)
    made = 0
    const a = await tight.estimatesText('khan-shaykhun', '2017-04-06')
    const b = await tight.estimatesText('khan-shaykhun', '2017-04-06')
    t.equal(made, 2, 'not kept: made on each request')
    t.strictSame(a, b, 'the same answer')
    t.equal(await tight.estimatesText('nowhere', '2017-04-06'), null, 'an unknown event')
  },
)
