import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { MISSING_CHROMIUM, pictureFacts, screenshot } from '../charts/browser.js'
import { build, json, post } from '../helper.js'

type App = Awaited<ReturnType<typeof build>>

async function ok(app: App, url: string, payload: object) {
  const res = await post(app, url, payload)
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`)
}

async function figure(app: App, event: string, source: string, fields: object) {
  await ok(app, `/events/${event}/claims`, { kind: 'figure', source_id: source, stated_at: '2020-01-02', metric: 'killed', ...fields })
}

/** Khan Shaykhun (conflicting), a compatible event with a hostile title, a single-source one, and one with only an attribution. */
async function world(t: Parameters<typeof build>[0]) {
  const app = await build(t)
  await loadFixture(app, readFixture())
  await ok(app, '/events', { id: 'hostile', title: '<script>alert("x")</script> & <b>bold</b>', occurred_on: '2020-01', location: { place: 'Aleppo & <environs>', country: 'SY' } })
  await figure(app, 'hostile', 'sohr', { qualifier: 'approximately', value: 100 })
  await figure(app, 'hostile', 'who', { qualifier: 'at_least', value: 95 })
  await ok(app, '/events', { id: 'lonely', title: 'One source only', occurred_on: '2019' })
  await figure(app, 'lonely', 'who', { population: 'civilians', qualifier: 'exact', value: 3 })
  await ok(app, '/events', { id: 'blame-only', title: 'Blame without figures', occurred_on: '2018-05-06' })
  await ok(app, '/events/blame-only/claims', { kind: 'attribution', source_id: 'sohr', stated_at: '2018-05-06', stance: 'accuses', actor_ids: ['armed-opposition'] })
  return app
}

function items(html: string): string[] {
  return [...html.matchAll(/<li class="event">([\s\S]*?)<\/li>/g)].map((m) => m[1] ?? '')
}

t.test('GET / with no figures: the page, its links, and a word on getting started', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-cache')
  t.match(res.headers['content-security-policy'], /default-src 'none'/)
  t.match(res.body, /^<!doctype html>\n<html lang="en">/)
  t.match(res.body, /<title>Reckon<\/title>/)
  t.match(res.body, /<h1>Reckon<\/h1>/)
  t.match(res.body, /No event has a casualty figure yet/)
  for (const href of ['/docs', '/openapi.json', '/summaries?format=csv']) t.match(res.body, `<a href="${href}">`)
  t.notMatch(res.body, /<script|<link|https?:\/\//, 'no script and no external asset')
})

t.test('GET /: the most disputed events first, each with date, level, chart and links', async (t) => {
  const app = await world(t)
  const res = await app.inject({ method: 'GET', url: '/' })
  t.equal(res.statusCode, 200)
  const list = items(res.body)
  t.equal(list.length, 3, 'the events with figures; not the one with only an attribution')
  t.notMatch(res.body, /Blame without figures/)
  const [first = '', second = '', third = ''] = list
  t.match(first, /<h3>Chemical attack on Khan Shaykhun<\/h3>/, 'conflicting first')
  t.match(first, /<time datetime="2017-04-04">4 April 2017<\/time>/)
  t.match(first, /Khan Shaykhun, Idlib, SY/)
  t.match(first, /<span class="level level-conflicting">conflicting<\/span>/)
  t.match(first, /9 claims/)
  t.match(first, /<img src="\/events\/khan-shaykhun\/chart\.svg" alt="Chemical attack on Khan Shaykhun: people killed, by source, as of [^"]+\. 2 sources\. Figures range from 58 to no upper bound; median 64\. The figures conflict[^"]*" width="720" height="\d+"/)
  for (const href of ['/events/khan-shaykhun/summary', '/events/khan-shaykhun/summary?format=csv', '/events/khan-shaykhun/claims']) {
    t.match(first, `<a href="${href}">`)
  }
  t.match(second, /level-compatible/, 'compatible second')
  t.match(third, /<h3>One source only<\/h3>/, 'single source last')
  t.match(third, /<time datetime="2019">2019<\/time>/)
  t.match(third, /level-single_source">single source<\/span>/)
  t.match(third, /chart\.svg\?population=civilians"/, 'without killed/all, the chart of its most disputed group')

  // Escaped everywhere.
  t.notMatch(res.body, /<script|<b>bold/)
  t.match(second, /<h3>&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;b&gt;bold&lt;\/b&gt;<\/h3>/)
  t.match(second, /Aleppo &amp; &lt;environs&gt;/)
  t.match(second, /alt="&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; &lt;b&gt;bold&lt;\/b&gt;: people killed/)

  // Every chart the page embeds is there.
  for (const [, src] of res.body.matchAll(/<img src="([^"]+)"/g)) {
    const chart = await app.inject({ method: 'GET', url: (src ?? '').replaceAll('&amp;', '&') })
    t.equal(chart.statusCode, 200, `${src} answers`)
    t.equal(chart.headers['content-type'], 'image/svg+xml; charset=utf-8')
  }
})

t.test('GET /: at most ten events', async (t) => {
  const app = await build(t)
  await ok(app, '/sources', { id: 'a', name: 'A', kind: 'other' })
  await ok(app, '/sources', { id: 'b', name: 'B', kind: 'other' })
  for (let i = 0; i < 12; i++) {
    await ok(app, '/events', { id: `e${i}`, title: `Event ${i}`, occurred_on: '2020' })
    await figure(app, `e${i}`, 'a', { qualifier: 'exact', value: 10 })
    await figure(app, `e${i}`, 'b', { qualifier: 'exact', value: 10 + i })
  }
  const list = items((await app.inject({ method: 'GET', url: '/' })).body)
  t.equal(list.length, 10)
  t.match(list[0] ?? '', /<h3>Event 11<\/h3>/, 'the widest relative spread first')
  t.match(list[9] ?? '', /<h3>Event 2<\/h3>/)
})

t.test('GET / is in the OpenAPI document as text/html', async (t) => {
  const app = await build(t)
  const doc = json<{ paths: Record<string, { get?: { operationId?: string; responses?: Record<string, { content?: Record<string, unknown> }> } }> }>(
    await app.inject({ method: 'GET', url: '/openapi.json' }),
  )
  t.equal(doc.paths['/']?.get?.operationId, 'getLanding')
  t.same(Object.keys(doc.paths['/']?.get?.responses?.['200']?.content ?? {}), ['text/html'])
})

t.test('in a browser: headless Chromium draws the page with its charts', async (t) => {
  t.setTimeout(120_000)
  const app = await world(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let png: Buffer
  try {
    png = await screenshot(`${base}/`, { width: 1000, height: 1400 }, 'landing.png')
  } catch (error) {
    t.fail(error instanceof Error && error.message === MISSING_CHROMIUM ? MISSING_CHROMIUM : `Chromium failed: ${String(error)}`)
    return
  }
  const facts = pictureFacts(png)
  t.equal(facts.width, 1000)
  t.ok(facts.inked > 0.01, `more than 1% of the picture is drawn (${(facts.inked * 100).toFixed(1)}%)`)
  t.ok(facts.hues.some((h) => h >= 180 && h < 240), `the embedded charts are drawn: their blue is there (hue bands: ${facts.hues.join(', ')})`)
  t.ok(facts.hues.length >= 2, 'and more than one colour')
})
