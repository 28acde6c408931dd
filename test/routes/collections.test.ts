/**
 * What /actors, /events and /sources share (contract §1, §7, §10): keyset
 * pages in id order, a bad limit or cursor refused in the query, an unknown
 * id a 404 problem. One table, every case for each of the three.
 */
import t from 'tap'
import { type Page, allPages, assertProblem, assertQueryRefused, build, created, get, getJson, patch } from '../helper.js'

interface Collection {
  url: string
  /** A valid body of a record with this id. */
  record: (id: string) => Record<string, unknown>
  /** A valid PATCH body. */
  change: Record<string, unknown>
}

const COLLECTIONS: Collection[] = [
  { url: '/actors', record: (id) => ({ id, name: id.toUpperCase(), kind: 'other' }), change: { name: 'X' } },
  { url: '/events', record: (id) => ({ id, title: id.toUpperCase(), occurred_on: '2020' }), change: { title: 'X' } },
  { url: '/sources', record: (id) => ({ id, name: id.toUpperCase(), kind: 'media' }), change: { name: 'X' } },
]

const BAD_LIMITS = ['0', '1001', 'abc', '-1', '2.5']
/** Cursors as the client means them (URL-encoded when sent). */
const BAD_CURSORS = ['%%', 'not-a-cursor', 'garbage', 'W10', '!!!', Buffer.from('{"a":1}').toString('base64url')]

for (const { url, record, change } of COLLECTIONS) {
  t.test(`GET ${url}: limit and cursor walk every record once, in id order`, async (t) => {
    const app = await build(t)
    for (const id of ['e', 'c', 'a', 'd', 'b']) await created(app, url, record(id))
    const pages = await allPages<{ id: string }>(t, app, `${url}?limit=2`)
    for (const page of pages) t.strictSame(Object.keys(page).sort(), ['items', 'next_cursor'])
    t.strictSame(
      pages.map((p) => p.items.map((r) => r.id)),
      [['a', 'b'], ['c', 'd'], ['e']],
      '3 pages of at most 2: no duplicates, none missing, id order',
    )
    t.equal(pages[2]?.next_cursor, null)

    const all = await getJson<Page<{ id: string }>>(app, url)
    t.equal(all.items.length, 5, 'the default limit covers them')
    t.equal(all.next_cursor, null)
    const exact = await getJson<Page<{ id: string }>>(app, `${url}?limit=5`)
    t.equal(exact.items.length, 5)
    t.equal(exact.next_cursor, null, 'no next page when the last page is exactly full')
  })

  t.test(`GET ${url}: a bad limit or cursor is a 400 naming the query parameter`, async (t) => {
    const app = await build(t)
    await created(app, url, record('a'))
    for (const limit of BAD_LIMITS) assertQueryRefused(t, await get(app, `${url}?limit=${limit}`), '/limit', `limit=${limit}`)
    t.equal((await get(app, `${url}?limit=1000`)).statusCode, 200, '1000 is allowed')
    for (const cursor of BAD_CURSORS)
      assertQueryRefused(t, await get(app, `${url}?cursor=${encodeURIComponent(cursor)}`), '/cursor', `cursor ${cursor}`)
  })

  t.test(`GET and PATCH ${url}/{id}: an unknown id is a 404 problem naming it`, async (t) => {
    const app = await build(t)
    const read = assertProblem(t, await get(app, `${url}/nope`), 404)
    t.match(read.detail, /nope/)
    t.equal(read.errors, undefined)
    const patched = assertProblem(t, await patch(app, `${url}/nope`, change), 404)
    t.match(patched.detail, /nope/)
    t.equal(patched.errors, undefined)
  })
}
