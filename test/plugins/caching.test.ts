/** Contract §12: ETags from revisions, 304 on If-None-Match, writes change the tags of what they show. */
import type { FastifyInstance } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { tagHash } from '../../src/plugins/caching.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, post } from '../helper.js'

async function etagOf(app: FastifyInstance, url: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url })
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`)
  const etag = res.headers.etag
  if (typeof etag !== 'string') throw new Error(`${url}: no ETag`)
  return etag
}

const SUMMARY = '/events/khan-shaykhun/summary?as_of=2017-04-06'

t.test('tagHash: the same text the same tag; texts that differ by one revision or one character, different tags', async (t) => {
  t.equal(tagHash('GET /events/a/summary  7:1@x|0@:3'), tagHash('GET /events/a/summary  7:1@x|0@:3'))
  t.match(tagHash(''), /^[0-9a-z]{1,11}$/)
  // Every tag of one URL over 100,000 revisions, and of 100,000 URLs at one revision: no two alike.
  const byRevision = new Set<string>()
  const byUrl = new Set<string>()
  for (let i = 0; i < 100_000; i++) {
    byRevision.add(tagHash(`GET /events/khan-shaykhun/summary  ${i}:1@2026-11-28|0@:3`))
    byUrl.add(tagHash(`GET /events/event-${i}/summary  7:1@2026-11-28|0@:3`))
  }
  t.equal(byRevision.size, 100_000)
  t.equal(byUrl.size, 100_000)
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 0, max: 0xffff }), fc.nat(), (text, code, at) => {
      const i = at % (text.length + 1)
      const other = text.slice(0, i) + String.fromCharCode(code) + text.slice(i)
      return tagHash(other) !== tagHash(text) && /^[0-9a-z]{1,11}$/.test(tagHash(other))
    }),
  )
})

t.test('a summary carries an ETag; If-None-Match gets a 304 with no body', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const res = await app.inject({ method: 'GET', url: SUMMARY })
  t.equal(res.statusCode, 200)
  t.match(res.headers.etag, /^W\/"[\w-]+"$/)
  t.equal(res.headers['cache-control'], 'no-cache')
  const etag = String(res.headers.etag)
  const cached = await app.inject({ method: 'GET', url: SUMMARY, headers: { 'if-none-match': etag } })
  t.equal(cached.statusCode, 304)
  t.equal(cached.body, '')
  t.equal(cached.headers.etag, etag)
  const strong = await app.inject({ method: 'GET', url: SUMMARY, headers: { 'if-none-match': `"other", ${etag.replace(/^W\//, '')}` } })
  t.equal(strong.statusCode, 304, 'weak comparison, in a list')
  const stale = await app.inject({ method: 'GET', url: SUMMARY, headers: { 'if-none-match': 'W/"stale"' } })
  t.equal(stale.statusCode, 200)
  t.not(await etagOf(app, '/events/khan-shaykhun/summary?as_of=2017-04-05'), etag, 'each query has its own tag')
})

t.test('a write to an event changes the tags of everything that shows it, and only those', async (t) => {
  const app = await build(t)
  const ids = await loadFixture(app, readFixture())
  await post(app, '/events', { id: 'elsewhere', title: 'Elsewhere', occurred_on: '2020' })
  const urls = [SUMMARY, '/events/khan-shaykhun/timeline?metric=killed', '/events/khan-shaykhun/claims', '/events/khan-shaykhun/history', '/claims', '/summaries', '/events']
  const before = await Promise.all(urls.map((u) => etagOf(app, u)))
  const other = await etagOf(app, '/events/elsewhere/history')

  t.equal((await post(app, `/claims/${ids[2]}/retraction`, { reason: 'wrong' })).statusCode, 201)
  const after = await Promise.all(urls.map((u) => etagOf(app, u)))
  urls.forEach((u, i) => t.not(after[i], before[i], `${u} changed`))
  t.equal(await etagOf(app, '/events/elsewhere/history'), other, 'another event keeps its tag')

  const summaryTag = await etagOf(app, SUMMARY)
  const rename = await app.inject({ method: 'PATCH', url: '/sources/who', payload: { name: 'WHO' } })
  t.equal(rename.statusCode, 200)
  t.not(await etagOf(app, SUMMARY), summaryTag, 'renaming a source changes the summaries that name it')

  const eventTag = await etagOf(app, SUMMARY)
  await app.inject({ method: 'PATCH', url: '/events/khan-shaykhun', payload: { title: 'Khan Shaykhun' } })
  t.not(await etagOf(app, SUMMARY), eventTag, 'editing the event changes it too')
})

t.test('errors carry no ETag', async (t) => {
  const app = await build(t)
  const missing = await app.inject({ method: 'GET', url: '/events/nope/summary' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers.etag, undefined)
  await loadFixture(app, readFixture())
  const bad = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=never' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.headers.etag, undefined)
  const badList = await app.inject({ method: 'GET', url: '/claims?limit=0' })
  t.equal(badList.statusCode, 400)
  t.equal(badList.headers.etag, undefined)
})

t.test('the tag follows Accept, and "as of now" moves when a future-dated claim comes due', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const url = '/events/khan-shaykhun/summary'
  const json = await app.inject({ method: 'GET', url })
  const csv = await app.inject({ method: 'GET', url, headers: { accept: 'text/csv' } })
  t.not(csv.headers.etag, json.headers.etag, 'JSON and CSV of one URL have different tags')
  const wrong = await app.inject({ method: 'GET', url, headers: { accept: 'text/csv', 'if-none-match': String(json.headers.etag) } })
  t.equal(wrong.statusCode, 200)

  const soon = new Date(Date.now() + 300).toISOString()
  await post(app, '/events/khan-shaykhun/claims', { kind: 'figure', source_id: 'who', stated_at: soon, metric: 'injured', qualifier: 'exact', value: 5 })
  const before = await etagOf(app, url)
  await new Promise((r) => setTimeout(r, 400))
  t.not(await etagOf(app, url), before, 'no write, but the claim now counts')
  const pinned = `${url}?as_of=2017-04-06`
  t.equal(await etagOf(app, pinned), await etagOf(app, pinned))
})
