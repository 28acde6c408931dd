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
  t.match(first, /<img src="\/events\/khan-shaykhun\/chart\.svg" alt="Chemical attack on Khan Shaykhun: people killed, by source, as of [^"]+\. 2 sources\. Figures range from 58 to no upper bound; median of the sources&#39; figures: 64\. The figures conflict[^"]*" width="720" height="\d+"/)
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
