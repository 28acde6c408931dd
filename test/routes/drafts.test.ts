/**
 * POST /drafts (#17) through the API, on either store: the TASS report of
 * contract §8 drafts its nine claims, and not the metro blast; the drafts
 * post as they are and give §8's summary; text/plain; nothing is written;
 * bad input is a problem naming the field.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { type Teardown, assertProblem, build, get, json, patch, paths, post } from '../helper.js'

const TASS = readFileSync(new URL('../../fixtures/khan-shaykhun-tass-2017-04-06.txt', import.meta.url), 'utf8')

/** The aliases the article's words need: how a desk would name §8's sources and actors. */
const ALIASES: Array<[string, string[]]> = [
  ['/sources/russian-mod', ['Russian Defense Ministry', 'Russia’s Defense Ministry', 'Russian military']],
  ['/sources/syrian-mod', ['Syrian Defense Ministry', 'Syrian military']],
  ['/actors/syrian-air-force', ['Syrian air force']],
  ['/actors/russian-forces', ['Russian jets', 'Russian forces']],
  ['/actors/armed-opposition', ['terrorists', 'militants']],
]

async function khanShaykhun(t: Teardown): Promise<FastifyInstance> {
  const app = await build(t)
  await loadFixture(app, readFixture())
  for (const [url, aliases] of ALIASES) {
    const res = await patch(app, url, { aliases })
    if (res.statusCode !== 200) throw new Error(`PATCH ${url}: ${res.statusCode} ${res.body}`)
  }
  return app
}

interface DraftOut {
  claim: Record<string, unknown> & { kind: string; quote: string; stated_at: string }
  span: { start: number; end: number }
  confidence: { level: string; reasons: string[] }
  guesses: Array<{ field: string; reason: string }>
  missing: string[]
}
interface DraftsOut {
  drafts: DraftOut[]
  unresolved: Array<{ kind: string; text: string; span: { start: number; end: number }; candidates: string[] }>
  skipped: Array<{ reason: string; detail: string; text: string; span: { start: number; end: number } }>
}

const REQUEST = { text: TASS, published_at: '2017-04-06', publisher_id: 'tass', event_id: 'khan-shaykhun' }

/** The contract's fields of a claim that the article says (stated_at apart: see the test). */
function content(c: Record<string, unknown>): string {
  const keys = ['kind', 'source_id', 'via', 'metric', 'population', 'qualifier', 'value', 'stance', 'actor_ids', 'certainty']
  const defaults: Record<string, unknown> = c.kind === 'figure' ? { population: 'all' } : { certainty: 'asserted' }
  return JSON.stringify(keys.map((k) => c[k] ?? defaults[k] ?? null))
}

t.test('the TASS report of contract §8: its nine claims, no claim for the metro blast', async (t) => {
  const app = await khanShaykhun(t)
  const res = await post(app, '/drafts', REQUEST)
  t.equal(res.statusCode, 200)
  const out = json<DraftsOut>(res)
  const expected = readFixture().claims.map((c) => content(c as Record<string, unknown>))
  t.strictSame(out.drafts.map((d) => content(d.claim)).sort(), [...expected].sort(), 'the nine claims of §8, and nothing else')
  for (const d of out.drafts) {
    t.equal(TASS.slice(d.span.start, d.span.end), d.claim.quote, `the quote is the text at its span: ${d.claim.quote}`)
    t.strictSame([d.claim.event_id, d.claim.language, d.missing], ['khan-shaykhun', 'en', []])
  }
  const sohr = out.drafts.filter((d) => d.claim.source_id === 'sohr')
  t.strictSame(
    sohr.map((d) => [d.claim.quote, d.claim.stated_at, d.confidence.level, d.guesses]),
    [
      ['killed 58 people', '2017-04-04', 'high', []],
      ['killed 58 people including 11 children', '2017-04-04', 'high', []],
    ],
    'SOHR’s figures: dated by the text ("On April 4"), nothing guessed',
  )
  const who = out.drafts.filter((d) => d.claim.source_id === 'who')
  t.strictSame(
    who.map((d) => [d.claim.quote, d.claim.stated_at, d.guesses.map((g) => g.field)]),
    [
      ['at least 70 people have died', '2017-04-06T00:00:00.000Z', ['stated_at']],
      ['hundreds more have been affected', '2017-04-06T00:00:00.000Z', ['stated_at']],
    ],
    'the WHO’s: the text gives no date, so the publication’s, said to be a guess',
  )
  const denial = out.drafts.find((d) => d.claim.source_id === 'syrian-mod' && d.claim.stance === 'denies')
  t.strictSame(
    denial?.guesses.find((g) => g.field === 'actor_ids')?.reason,
    "the denial names no one: taken as the speaker's own side, syrian-government",
    '"denied their involvement": the speaker’s own side, said to be a guess',
  )
  const metro = TASS.indexOf('The Israeli prime minister')
  t.notOk(
    out.drafts.some((d) => d.span.start >= metro && d.span.start < TASS.indexOf('\n', metro)),
    'no draft from the sentence about the metro blast',
  )
  t.strictSame(
    out.skipped.filter((s) => s.reason === 'another_event').map((s) => [s.span.start, s.detail]),
    [[metro, 'about "metro blast in Russia’s city of St. Petersburg", not this event']],
  )
  t.ok(
    out.unresolved.some(
      (u) => u.text === 'Kremlin press service' && u.kind === 'source' && TASS.slice(u.span.start, u.span.end) === u.text,
    ),
    'speakers that are no source are unresolved, with their span',
  )

  // Accepted as they are, they post, and give §8's summary.
  const bulk = await post(
    app,
    '/claims/bulk',
    out.drafts.map((d) => d.claim),
  )
  t.equal(bulk.statusCode, 201, bulk.body)
  const summary = json<{ figures: Array<{ metric: string; population: string; range: unknown; points: unknown }> }>(
    await get(app, '/events/khan-shaykhun/summary?as_of=2017-04-06'),
  )
  const killed = summary.figures.find((f) => f.metric === 'killed' && f.population === 'all')
  t.strictSame(
    [killed?.range, killed?.points],
    [
      { low: 58, high: null },
      { min: 58, max: 70, median: 64 },
    ],
    'killed/all as §8 has it',
  )
})

t.test('text/plain, with the fields in the query, drafts the same; nothing is written', async (t) => {
  const app = await khanShaykhun(t)
  const before = (await get(app, '/claims?limit=1000')).body
  const asJson = json<DraftsOut>(await post(app, '/drafts', REQUEST))
  const plain = await app.inject({
    method: 'POST',
    url: '/drafts?published_at=2017-04-06&publisher_id=tass&event_id=khan-shaykhun',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    payload: Buffer.from(TASS, 'utf8'),
  })
  t.equal(plain.statusCode, 200)
  t.strictSame(json<DraftsOut>(plain), asJson)
  t.equal((await get(app, '/claims?limit=1000')).body, before, 'no claim was written')
  const byAlias = json<DraftsOut>(await post(app, '/drafts', { ...REQUEST, publisher_id: 'SOHR' }))
  t.strictSame(byAlias.drafts[0]?.claim.via, ['sohr'], 'the publisher named by alias')
  const noEvent = json<DraftsOut>(await post(app, '/drafts', { text: TASS, published_at: '2017-04-06' }))
  t.ok(
    noEvent.drafts.every((d) => d.missing.includes('event_id') && d.claim.event_id === undefined),
    'without event_id, each draft says it is missing',
  )
})

t.test('bad input: a problem document naming the field', async (t) => {
  const app = await khanShaykhun(t)
  const empty = assertProblem(t, await post(app, '/drafts', { ...REQUEST, text: '  \n ' }), 400)
  t.strictSame(paths(empty), ['/text'])
  const big = 'Rescuers said 12 people were killed. '.repeat(30_000)
  t.strictSame(paths(assertProblem(t, await post(app, '/drafts', { ...REQUEST, text: big }), 413)), ['/text'], 'over 1 MB, as JSON')
  const bigPlain = await app.inject({
    method: 'POST',
    url: '/drafts?published_at=2017-04-06',
    headers: { 'content-type': 'text/plain' },
    payload: big,
  })
  t.strictSame(paths(assertProblem(t, bigPlain, 413)), ['/text'], 'over 1 MB, as text/plain')
  const unknown = assertProblem(t, await post(app, '/drafts', { ...REQUEST, publisher_id: 'nobody', event_id: 'nowhere' }), 422)
  t.strictSame(paths(unknown), ['/publisher_id', '/event_id'])
  const binary = await app.inject({
    method: 'POST',
    url: '/drafts?published_at=2017-04-06',
    headers: { 'content-type': 'text/plain' },
    payload: Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x89, 0x50, 0x4e, 0x47]),
  })
  t.strictSame(paths(assertProblem(t, binary, 400)), ['/text'], 'bytes that are not UTF-8')
  const control = assertProblem(t, await post(app, '/drafts', { ...REQUEST, text: 'PNG\u0001\u0002\u0003 data' }), 400)
  t.strictSame(paths(control), ['/text'], 'control characters')
  const octets = await app.inject({
    method: 'POST',
    url: '/drafts',
    headers: { 'content-type': 'application/octet-stream' },
    payload: Buffer.from([1, 2, 3]),
  })
  t.strictSame(paths(assertProblem(t, octets, 415)), ['/content-type'])
  const noDate = assertProblem(t, await post(app, '/drafts', { text: TASS }), 400)
  t.strictSame(paths(noDate), ['/published_at'])
  const french = assertProblem(t, await post(app, '/drafts', { ...REQUEST, language: 'fr' }), 400)
  t.strictSame(paths(french), ['/language'])
  const both = await app.inject({ method: 'POST', url: '/drafts?event_id=khan-shaykhun', payload: REQUEST })
  t.strictSame(paths(assertProblem(t, both, 400)), ['/event_id'], 'JSON with fields in the query')
})

t.test('with API keys configured, drafting needs none (it writes nothing); posting does', async (t) => {
  const app = await build(t, { apiKeys: 's3cret-desk-token-1234567890:write' })
  const res = await post(app, '/drafts', { text: 'Rescuers said 12 people were killed.', published_at: '2020-01-01' })
  t.equal(res.statusCode, 200)
  t.equal(json<DraftsOut>(res).drafts[0]?.claim.value, 12)
  t.equal((await post(app, '/claims/bulk', [])).statusCode, 401)
})
