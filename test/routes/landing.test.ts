import t from 'tap'
import { figure, ok, world } from './landing-world.js'
import { build, json } from '../helper.js'

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
  const section = start(res.body)
  t.match(
    section,
    /<strong>Record an event and its claims\.<\/strong> Create an event with <code>POST \/events<\/code>/,
    'Start here: how to begin',
  )
  t.match(section, /<strong>Try the API\.<\/strong> <a href="\/docs">Swagger UI<\/a>/)
  for (const href of ['/docs', '/openapi.json', '/summaries?format=csv']) t.match(res.body, `<a href="${href}">`)
  t.notMatch(res.body, /<link|https?:\/\//, 'no external asset')
  t.strictSame(
    [...res.body.matchAll(/<script[^>]*>/g)].map((m) => m[0]),
    ['<script src="/assets/drafts.js" defer>'],
    'one script, from this origin, and no inline one',
  )
  t.match(res.headers['content-security-policy'], /script-src 'self'; connect-src 'self'/)
  const script = await app.inject({ method: 'GET', url: '/assets/drafts.js' })
  t.strictSame([script.statusCode, script.headers['content-type']], [200, 'text/javascript; charset=utf-8'])
  t.match(res.body, /<form id="draft-form">[\s\S]*<textarea id="draft-text" name="text"/, 'the text box for drafts')
})

/** The "Start here" section of the page. */
function start(html: string): string {
  return /<section class="start" aria-labelledby="start">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? ''
}

/** Where each needle first appears in the text (-1 when it does not). */
function positions(text: string, needles: string[]): number[] {
  return needles.map((n) => text.indexOf(n))
}

t.test('GET /: "Start here" says what Reckon is, shows one event as the API does, its chart, then Swagger UI', async (t) => {
  const app = await world(t)
  const section = start((await app.inject({ method: 'GET', url: '/' })).body)
  const steps = [
    '<h2 id="start">Start here</h2>',
    '<p class="sentence">Reckon keeps every claim about a violent event',
    "<strong>Read an event's summary.</strong> Chemical attack on Khan Shaykhun: 2 sources. Figures range from 58 to no upper bound; median of the sources&#39; figures: 64.",
    'Blame is contested: sources accuse and deny.',
    '<a href="/events/khan-shaykhun/summary"><code>GET /events/khan-shaykhun/summary</code></a>',
    '<strong>See its chart.</strong>',
    '<img src="/events/khan-shaykhun/chart.svg" alt="Chemical attack on Khan Shaykhun: people killed, by source, as of ',
    '<strong>Try the API.</strong> <a href="/docs">Swagger UI</a>',
    '<a href="/openapi.json">/openapi.json</a>',
  ]
  const at = positions(section, steps)
  t.notOk(at.includes(-1), `every step is there (${at.join(', ')})`)
  t.strictSame(
    at,
    [...at].sort((a, b) => a - b),
    'in that order',
  )
  t.equal(section.match(/<p class="sentence">[^<]*<\/p>/)?.[0].match(/\. |\.<\/p>/g)?.length, 1, 'what Reckon is, in one sentence')
})

t.test('GET /: "Start here" takes the most disputed event with blame as well as figures, else the most disputed', async (t) => {
  const app = await build(t)
  await ok(app, '/sources', { id: 'desk', name: 'A desk', kind: 'media' })
  await ok(app, '/actors', { id: 'someone', name: 'Someone', kind: 'other' })
  for (const [id, title, low, high] of [
    ['wide', 'Wide apart', 10, 1000],
    ['near', 'Close together', 10, 12],
  ] as const) {
    await ok(app, '/events', { id, title, occurred_on: '2020' })
    await figure(app, id, 'desk', { qualifier: 'exact', value: low })
    await ok(app, '/sources', { id: `${id}-other`, name: `Another desk (${id})`, kind: 'media' })
    await figure(app, id, `${id}-other`, { qualifier: 'exact', value: high })
  }
  t.match(start((await app.inject({ method: 'GET', url: '/' })).body), /Wide apart: 2 sources/, 'no event has blame: the most disputed')
  await ok(app, '/events/near/claims', {
    kind: 'attribution',
    source_id: 'desk',
    stated_at: '2020-01-02',
    stance: 'accuses',
    actor_ids: ['someone'],
  })
  const section = start((await app.inject({ method: 'GET', url: '/' })).body)
  t.match(section, /Close together: 2 sources/, 'one event has blame: that one, though less disputed')
  t.match(section, /Blame is not contested\./)
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
  t.match(
    first,
    /<img src="\/events\/khan-shaykhun\/chart\.svg" alt="Chemical attack on Khan Shaykhun: people killed, by source, as of [^"]+\. 2 sources\. Figures range from 58 to no upper bound; median of the sources&#39; figures: 64\. The figures conflict[^"]*" width="720" height="\d+"/,
  )
  for (const href of ['/events/khan-shaykhun/summary', '/events/khan-shaykhun/summary?format=csv', '/events/khan-shaykhun/claims']) {
    t.match(first, `<a href="${href}">`)
  }
  t.match(second, /level-compatible/, 'compatible second')
  t.match(third, /<h3>One source only<\/h3>/, 'single source last')
  t.match(third, /<time datetime="2019">2019<\/time>/)
  t.match(third, /level-single_source">single source<\/span>/)
  t.match(third, /chart\.svg\?population=civilians"/, 'without killed/all, the chart of its most disputed group')

  // Escaped everywhere.
  t.notMatch(res.body, /<script>alert|<b>bold/)
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
  const doc = json<{
    paths: Record<string, { get?: { operationId?: string; responses?: Record<string, { content?: Record<string, unknown> }> } }>
  }>(await app.inject({ method: 'GET', url: '/openapi.json' }))
  t.equal(doc.paths['/']?.get?.operationId, 'getLanding')
  t.strictSame(Object.keys(doc.paths['/']?.get?.responses?.['200']?.content ?? {}), ['text/html'])
})

t.test('GET /: every chart is embedded at the size the chart route draws it, with its description', async (t) => {
  const app = await world(t)
  const html = (await app.inject({ method: 'GET', url: '/' })).body
  const images = [...html.matchAll(/<img src="([^"]+)" alt="([^"]*)" width="(\d+)" height="(\d+)"/g)]
  t.ok(images.length >= 4, `${images.length} charts: the start's and the list's`)
  for (const [, src = '', alt = '', width, height] of images) {
    const svg = (await app.inject({ method: 'GET', url: src.replace(/&amp;/g, '&') })).body
    const size = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)
    t.strictSame([width, height], [size?.[1], size?.[2]], `${src}: the <img> is the chart's size`)
    const title = /<title[^>]*>([^<]*)<\/title>/.exec(svg)?.[1] ?? ''
    t.ok(title.length > 0 && alt.startsWith(title), `${src}: the alternative text starts with the chart's own title`)
  }
})
