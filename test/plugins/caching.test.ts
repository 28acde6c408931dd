/** Contract §12: ETags from revisions, 304 on If-None-Match, writes change the tags of what they show. */
import type { FastifyInstance } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { canonicalRequest, tagHash } from '../../src/plugins/caching.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, figureClaim, post } from '../helper.js'
import { testSeed } from '../seed.js'

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
    { seed: testSeed() },
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
  const urls = [
    SUMMARY,
    '/events/khan-shaykhun/timeline?metric=killed',
    '/events/khan-shaykhun/claims',
    '/events/khan-shaykhun/history',
    '/claims',
    '/summaries',
    '/events',
  ]
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
  await post(app, '/events/khan-shaykhun/claims', figureClaim({ source_id: 'who', stated_at: soon, metric: 'injured', value: 5 }))
  const before = await etagOf(app, url)
  await new Promise((r) => setTimeout(r, 400))
  t.not(await etagOf(app, url), before, 'no write, but the claim now counts')
  const pinned = `${url}?as_of=2017-04-06`
  t.equal(await etagOf(app, pinned), await etagOf(app, pinned))
})

// ---- the tag names the representation sent (issue #12 §2) ----

interface Variant {
  name: string
  url: string
  accept?: string
}

/** The ways of asking one URL for each representation: by `format`, by Accept, by neither. */
function variants(url: string): Record<'json' | 'ndjson' | 'csv' | 'csvHxl', Variant[]> {
  const q = url.includes('?') ? '&' : '?'
  return {
    json: [
      { name: 'no Accept', url },
      { name: 'Accept: application/json', url, accept: 'application/json' },
      { name: 'Accept: */*', url, accept: '*/*' },
      { name: 'Accept: application/*', url, accept: 'application/*' },
      { name: 'a browser’s Accept', url, accept: 'text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8' },
      { name: '?format=json', url: `${url}${q}format=json` },
      { name: '?format=json over Accept: text/csv', url: `${url}${q}format=json`, accept: 'text/csv' },
    ],
    ndjson: [
      { name: 'Accept: application/x-ndjson', url, accept: 'application/x-ndjson' },
      { name: 'Accept: application/ndjson', url, accept: 'application/ndjson' },
      { name: '?format=ndjson', url: `${url}${q}format=ndjson` },
    ],
    csv: [
      { name: 'Accept: text/csv', url, accept: 'text/csv' },
      { name: 'Accept: text/csv;q=0.9, application/json;q=0.1', url, accept: 'text/csv;q=0.9, application/json;q=0.1' },
      { name: '?format=csv', url: `${url}${q}format=csv` },
      { name: '?format=csv&hxl=false', url: `${url}${q}format=csv&hxl=false` },
      { name: '?hxl=false with Accept: text/csv', url: `${url}${q}hxl=false`, accept: 'text/csv' },
    ],
    csvHxl: [
      { name: '?format=csv&hxl=true', url: `${url}${q}format=csv&hxl=true` },
      { name: '?hxl=true&format=csv', url: `${url}${q}hxl=true&format=csv` },
      { name: '?hxl=true with Accept: text/csv', url: `${url}${q}hxl=true`, accept: 'text/csv' },
    ],
  }
}

const STARTED = new Date().toISOString()

/** A body with every moment from this run on (the `as_of` of a summary "as of now") as one placeholder: the same meaning, read at another millisecond. */
function timeless(body: string): string {
  return body.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, (moment) => (moment >= STARTED ? '(now)' : moment))
}

async function get(app: FastifyInstance, variant: Variant, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'GET',
    url: variant.url,
    headers: { ...(variant.accept === undefined ? {} : { accept: variant.accept }), ...headers },
  })
}

// A summary (a document, "as of now" and pinned), an event's claims (a list of one event) and lists of the whole database, paged and not.
const NEGOTIATED = [
  '/events/khan-shaykhun/summary',
  SUMMARY,
  '/events/khan-shaykhun/claims?limit=3',
  '/claims?event_id=khan-shaykhun&limit=2',
  '/summaries',
  '/events?limit=2',
]

t.test('each way of asking for one representation gets the same tag and body; representations differ', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  for (const url of NEGOTIATED) {
    const tags = new Map<string, string>()
    for (const [representation, group] of Object.entries(variants(url))) {
      const first = await get(app, group[0] as Variant)
      t.equal(first.statusCode, 200, `${url} ${representation}`)
      const tag = String(first.headers.etag)
      t.match(tag, /^W\/"[0-9a-z]+"$/)
      tags.set(representation, tag)
      for (const variant of group) {
        // Twice: the second answer of a list may come from the response cache.
        for (const round of [1, 2]) {
          const res = await get(app, variant)
          t.equal(res.statusCode, 200, `${url} ${variant.name}`)
          t.equal(res.headers.etag, tag, `${url}, ${variant.name} (${round}): the ${representation} tag`)
          t.equal(res.headers['content-type'], first.headers['content-type'], `${url}, ${variant.name}: the ${representation} type`)
          t.equal(timeless(res.body), timeless(first.body), `${url}, ${variant.name}: the same ${representation}`)
          t.equal(res.headers.vary, 'Accept')
        }
      }
    }
    t.equal(new Set(tags.values()).size, 4, `${url}: JSON, NDJSON, CSV and CSV with HXL have four tags`)
  }
})

t.test('If-None-Match from one way of asking is a 304 for every other way to the same representation, and a 200 for another', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  for (const url of [SUMMARY, '/claims?event_id=khan-shaykhun&limit=2']) {
    const groups = variants(url)
    for (const [representation, group] of Object.entries(groups)) {
      const tag = String((await get(app, group[0] as Variant)).headers.etag)
      for (const [other, otherGroup] of Object.entries(groups)) {
        for (const variant of otherGroup) {
          const res = await get(app, variant, { 'if-none-match': tag })
          t.equal(res.statusCode, other === representation ? 304 : 200, `${url}: the ${representation} tag, asked as ${variant.name}`)
          if (other === representation) {
            t.equal(res.body, '')
            t.equal(res.headers.etag, tag)
            t.equal(res.headers.vary, 'Accept', 'a 304 varies as its 200 does')
          }
        }
      }
    }
  }
})

t.test('the query in any order is one request; a parameter more or a value different is another', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const a = await etagOf(app, '/claims?event_id=khan-shaykhun&limit=2&view=full')
  t.equal(await etagOf(app, '/claims?limit=2&view=full&event_id=khan-shaykhun'), a)
  t.equal(await etagOf(app, '/claims?view=full&format=json&event_id=khan-shaykhun&limit=2'), a)
  t.equal(
    await etagOf(app, '/claims/?limit=2&&event_id=khan-shaykhun&view=full'),
    a,
    'a trailing slash and an empty parameter change nothing',
  )
  t.not(await etagOf(app, '/claims?event_id=khan-shaykhun&limit=3&view=full'), a)
  t.not(await etagOf(app, '/claims?event_id=khan-shaykhun&limit=2'), a)
  const summary = await etagOf(app, '/events/khan-shaykhun/summary?as_of=2017-04-06&known_at=2026-01-01')
  t.equal(await etagOf(app, '/events/khan-shaykhun/summary?known_at=2026-01-01&as_of=2017-04-06'), summary)
  t.not(await etagOf(app, '/events/khan-shaykhun/summary?known_at=2026-01-01&as_of=2017-04-05'), summary)
})

t.test('canonicalRequest: the path, and the query sorted by key (values of one key in their order), format and hxl apart', async (t) => {
  t.equal(canonicalRequest('/events/a/summary', true), '/events/a/summary')
  t.equal(canonicalRequest('/events/', true), '/events')
  t.equal(canonicalRequest('/', false), '/')
  t.equal(canonicalRequest('/claims?', true), '/claims')
  t.equal(canonicalRequest('/claims?b=2&a=1', true), '/claims?a=1&b=2')
  t.equal(canonicalRequest('/claims?tag=y&a=1&tag=x', true), '/claims?a=1&tag=y&tag=x')
  t.equal(canonicalRequest('/claims?format=csv&hxl=true&limit=2', true), '/claims?limit=2')
  t.equal(canonicalRequest('/claims?formats=csv&hxl2=1', true), '/claims?formats=csv&hxl2=1')
  // A route with one representation keeps `format`: the schema refuses it there, and the refusal is not that representation.
  t.equal(canonicalRequest('/events/a/timeline?format=csv&metric=killed', false), '/events/a/timeline?format=csv&metric=killed')
  // Already canonical (the URL itself is the answer) or not, at the edges of the scan.
  t.equal(canonicalRequest('/x?a=1&ab=2&b', true), '/x?a=1&ab=2&b')
  t.equal(canonicalRequest('/x?ab=2&a=1', true), '/x?a=1&ab=2')
  t.equal(canonicalRequest('/x?b=x=y&a', true), '/x?a&b=x=y')
  t.equal(canonicalRequest('/x?a=1&', true), '/x?a=1')
  t.equal(canonicalRequest('/x?a=1&&b=2', true), '/x?a=1&b=2')
  t.equal(canonicalRequest('/x/?a=1', true), '/x?a=1')
  t.equal(canonicalRequest('/x?format', true), '/x')
  t.equal(canonicalRequest('/x?hxl&z=1', true), '/x?z=1')

  const key = fc.constantFrom('a', 'ab', 'b', 'format', 'hxl', 'limit', 'as_of', 'Z', '%41')
  const param = fc.tuple(key, fc.option(fc.constantFrom('', '1', '2', 'x=y', 'csv'), { nil: undefined }))
  fc.assert(
    fc.property(fc.array(param, { maxLength: 8 }), fc.boolean(), fc.boolean(), (params, negotiated, empty) => {
      const segments = params.map(([k, v]) => (v === undefined ? k : `${k}=${v}`))
      const url = (list: string[]) => `/p?${list.join(empty ? '&&' : '&')}`
      const canonical = canonicalRequest(url(segments), negotiated)
      // Every order of the keys (one key's values in their order) is the same request.
      const byKey = [...segments].sort((a, b) => (a.split('=')[0] ?? '').localeCompare(b.split('=')[0] ?? ''))
      const reversedKeys = [...new Set(byKey.map((s) => s.split('=')[0]))].reverse()
      const shuffled = reversedKeys.flatMap((k) => segments.filter((s) => s.split('=')[0] === k))
      if (canonicalRequest(url(shuffled), negotiated) !== canonical) return false
      // The canonical form is canonical: its keys in order, none empty, and no format or hxl where they choose the representation.
      const query = canonical.includes('?') ? canonical.slice(canonical.indexOf('?') + 1).split('&') : []
      const keys = query.map((s) => s.split('=')[0] ?? '')
      const kept = segments.filter((s) => !(negotiated && ['format', 'hxl'].includes(s.split('=')[0] ?? '')))
      return (
        canonicalRequest(canonical, negotiated) === canonical &&
        keys.every((k, i) => i === 0 || (keys[i - 1] as string) <= k) &&
        query.length === kept.length &&
        !query.includes('')
      )
    }),
    { seed: testSeed() },
  )
})

t.test('a request the schema refuses never shares a valid tag: a 400, never a 304', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const json = await etagOf(app, SUMMARY)
  const csv = await etagOf(app, `${SUMMARY}&format=csv`)
  const hxl = await etagOf(app, `${SUMMARY}&format=csv&hxl=true`)
  const refused: Array<[string, string]> = [
    [`${SUMMARY}&format=xml`, json],
    [`${SUMMARY}&format=csv%2Bhxl`, hxl],
    [`${SUMMARY}&format=csv&format=csv`, csv],
    [`${SUMMARY}&hxl=true`, json],
    [`${SUMMARY}&format=csv&hxl=yes`, csv],
    ['/events/khan-shaykhun/timeline?metric=killed&hxl=true', await etagOf(app, '/events/khan-shaykhun/timeline?metric=killed')],
  ]
  for (const [url, tag] of refused) {
    const res = await app.inject({ method: 'GET', url, headers: { 'if-none-match': tag } })
    t.equal(res.statusCode, 400, url)
    t.equal(res.headers.etag, undefined)
  }
})

t.test(
  'one representation per route elsewhere: Accept changes neither the tag of a chart, a page or a JSON-only view, nor its body',
  async (t) => {
    const app = await build(t)
    await loadFixture(app, readFixture())
    for (const url of ['/events/khan-shaykhun/chart.svg', '/', '/events/khan-shaykhun/history', '/changes']) {
      const plain = await app.inject({ method: 'GET', url })
      t.equal(plain.statusCode, 200, url)
      for (const accept of ['*/*', 'text/csv', 'application/json', 'image/svg+xml', 'text/html']) {
        const res = await app.inject({ method: 'GET', url, headers: { accept } })
        t.equal(res.headers.etag, plain.headers.etag, `${url}, Accept: ${accept}`)
        t.equal(res.body, plain.body)
        const cached = await app.inject({ method: 'GET', url, headers: { accept, 'if-none-match': String(plain.headers.etag) } })
        t.equal(cached.statusCode, 304, `${url}, Accept: ${accept}: a 304`)
      }
    }
  },
)

t.test('the response cache never answers one format for another, and keeps the Link of a page', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const url = '/claims?event_id=khan-shaykhun&limit=2'
  const json = await app.inject({ method: 'GET', url })
  const link = String(json.headers.link)
  t.match(link, /^<\/claims\?event_id=khan-shaykhun&limit=2&cursor=[\w-]+>; rel="next"$/)
  for (const [accept, type] of [
    ['text/csv', 'text/csv; charset=utf-8'],
    ['application/x-ndjson', 'application/x-ndjson'],
    ['application/json', 'application/json; charset=utf-8'],
  ] as const) {
    for (const round of [1, 2]) {
      const res = await app.inject({ method: 'GET', url, headers: { accept } })
      t.equal(res.headers['content-type'], type, `Accept: ${accept} (${round})`)
      t.equal(res.headers.link, link, `Accept: ${accept} (${round}): the Link`)
    }
  }
  // The same page asked another way: the cached body, with the Link on this request's own URL.
  const other = await app.inject({ method: 'GET', url: '/claims?limit=2&format=json&event_id=khan-shaykhun' })
  t.equal(other.body, json.body)
  const cursor = /cursor=([\w-]+)/.exec(link)?.[1] ?? ''
  t.equal(other.headers.link, `</claims?limit=2&format=json&event_id=khan-shaykhun&cursor=${cursor}>; rel="next"`)
})

t.test('GET and HEAD share a tag; a write moves the tag of every representation', async (t) => {
  const app = await build(t)
  const ids = await loadFixture(app, readFixture())
  const urls = NEGOTIATED.flatMap((url) => Object.values(variants(url)).map((group) => group[0] as Variant))
  const before = await Promise.all(urls.map(async (v) => String((await get(app, v)).headers.etag)))
  for (const [i, v] of urls.entries()) {
    const head = await app.inject({ method: 'HEAD', url: v.url, headers: v.accept === undefined ? {} : { accept: v.accept } })
    t.equal(head.headers.etag, before[i], `HEAD ${v.url} ${v.name}`)
  }
  t.equal((await post(app, `/claims/${ids[2]}/retraction`, { reason: 'wrong' })).statusCode, 201)
  for (const [i, v] of urls.entries()) {
    const res = await get(app, v, { 'if-none-match': String(before[i]) })
    t.equal(res.statusCode, 200, `${v.url} ${v.name}: the old tag is stale`)
    t.not(res.headers.etag, before[i], `${v.url} ${v.name}: a new tag`)
  }
})

t.test('a response replayed from memory keeps the headers of its representation', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const urls = [
    '/',
    '/events/khan-shaykhun/chart.svg?as_of=2017-04-06',
    '/claims?format=csv&limit=2',
    '/events/khan-shaykhun/summary?as_of=2017-04-06',
  ]
  for (const url of urls) {
    const first = await app.inject({ method: 'GET', url })
    const again = await app.inject({ method: 'GET', url })
    t.equal(again.statusCode, 200, url)
    t.equal(again.body, first.body, `${url}: the same body`)
    for (const name of ['content-type', 'content-security-policy', 'x-content-type-options', 'content-disposition']) {
      t.equal(again.headers[name], first.headers[name], `${url}: the same ${name}`)
    }
  }
  const page = await app.inject({ method: 'GET', url: '/' })
  t.match(
    page.headers['content-security-policy'],
    /style-src 'unsafe-inline'/,
    'the landing page, served again, may still use its own style',
  )
  const csv = await app.inject({ method: 'GET', url: '/claims?format=csv&limit=2' })
  t.match(
    csv.headers['content-disposition'],
    /^attachment; filename="reckon-claims\.csv"$/,
    'a CSV page, served again, keeps its file name',
  )
})

t.test('GET /summaries without as_of is computed as of each request, never replayed with an earlier moment', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const asOf = async (url: string) =>
    (JSON.parse((await app.inject({ method: 'GET', url })).body) as { items: Array<{ as_of: string }> }).items[0]?.as_of
  const first = await asOf('/summaries')
  await new Promise((resolve) => setTimeout(resolve, 5))
  const second = await asOf('/summaries')
  t.ok(first !== undefined && second !== undefined && second > first, `a later request, a later as_of (${first} then ${second})`)
  t.equal(await asOf('/summaries?as_of=2017-04-06'), '2017-04-06T23:59:59.999Z')
  t.equal(await asOf('/summaries?as_of=2017-04-06'), '2017-04-06T23:59:59.999Z', 'a pinned moment may come from memory: it cannot go stale')
})
