/**
 * The PostgreSQL store answers as SQLite does where the shared SQL relies on
 * it: integers as numbers, comparisons as 1 and 0, text in bytewise order,
 * unicode_lower as JavaScript folds, and every SQLite index by its name.
 */
import { sql } from 'drizzle-orm'
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import { openPostgres, type Postgres } from '../../src/db/pg/client.js'
import { actors, changes } from '../../src/db/pg/schema.js'
import { throwawayDatabase } from './throwaway.js'

let store: Postgres

t.before(async () => {
  const { url } = await throwawayDatabase(t)
  store = await openPostgres(url)
  t.teardown(() => store.close())
})

t.test('int8 and numeric come back as numbers, booleans as 1 and 0, through the pool and through drizzle', async (t) => {
  const q =
    'SELECT 9007199254740991::int8 AS big, count(*) AS n, sum(x) AS total, avg(x) AS mean, 2 > 1 AS yes, 1 > 2 AS no FROM (VALUES (1::int8), (2::int8)) AS v(x)'
  const expected = { big: Number.MAX_SAFE_INTEGER, n: 2, total: 3, mean: 1.5, yes: 1, no: 0 }
  t.strictSame((await store.pool.query(q)).rows, [expected])
  t.strictSame((await store.db.execute(sql.raw(q))).rows, [expected])

  await store.db.insert(changes).values({ at: '2017-04-06T00:00:00.000Z', type: 'claim.created', id: 'c1', eventId: 'e1' })
  t.strictSame(await store.db.select({ seq: changes.seq, eventId: changes.eventId }).from(changes), [{ seq: 1, eventId: 'e1' }])
  t.strictSame((await store.pool.query('SELECT COALESCE(MAX(seq), 0) AS seq FROM changes')).rows, [{ seq: 1 }])
})

t.test('an integer beyond Number.MAX_SAFE_INTEGER is refused, not rounded, and the pool goes on', async (t) => {
  await t.rejects(store.pool.query('SELECT 9007199254740992::int8 AS big'), {
    name: 'RangeError',
    message: /PostgreSQL returned 9007199254740992, beyond what a JavaScript number holds exactly/,
  })
  await t.rejects(store.pool.query('SELECT -9007199254740992::int8 AS big'), RangeError)
  await t.rejects(store.pool.query('SELECT 1e16::numeric AS big'), RangeError)
  t.strictSame((await store.pool.query('SELECT 1::int8 AS one')).rows, [{ one: 1 }])
})

t.test("unicode_lower folds as JavaScript's toLowerCase, which the SQLite connection registers", async (t) => {
  const { rows } = await store.pool.query("SELECT unicode_lower('ÉCOLE') AS folded, unicode_lower(NULL) AS none")
  t.strictSame(rows, [{ folded: 'école', none: null }])
  const samples = ['ÉCOLE', 'Khan Shaykhun', 'ХАРКІВ', 'ΟΔΟΣ ΣΟΦΟΚΛΕΟΥΣ', 'İSTANBUL', 'STRAẞE', 'ÅLAND Ǆ', 'ﬁ', '北京', '']
  for (const text of samples) {
    const res = await store.pool.query<{ folded: string }>('SELECT unicode_lower($1) AS folded', [text])
    t.equal(res.rows[0]?.folded, text.toLowerCase(), text)
  }
  // A column is COLLATE "C", under which lower() folds A–Z only: unicode_lower must not depend on its argument's collation.
  await store.db.insert(actors).values({ id: 'a-ecole', name: 'ÉCOLE', aliases: [], kind: 'group', createdAt: 'x', updatedAt: 'x' })
  t.strictSame(
    (await store.pool.query("SELECT unicode_lower(name) AS folded, lower(name) AS ascii FROM actors WHERE id = 'a-ecole'")).rows,
    [{ folded: 'école', ascii: 'École' }],
  )
})

t.test('text columns sort and compare bytewise, as SQLite BINARY, in a database that sorts linguistically by default', async (t) => {
  t.strictSame((await store.pool.query("SELECT 'a' < 'B' AS linguistic")).rows, [{ linguistic: 1 }], 'the database default is not bytewise')
  const names = ['é', 'a', 'Z', 'É', 'b', 'B', 'A', 'z', 'Ä', 'ä', '10', '9', 'a b', 'ab', 'Ω', '北']
  await store.db
    .insert(actors)
    .values(names.map((name, i) => ({ id: `order-${i}`, name, aliases: [], kind: 'group', createdAt: 'x', updatedAt: 'x' })))
  const { rows } = await store.pool.query<{ name: string }>("SELECT name FROM actors WHERE id LIKE 'order-%' ORDER BY name")
  const bytewise = [...names].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))
  t.strictSame(
    rows.map((r) => r.name),
    bytewise,
  )
  t.strictSame(bytewise.slice(0, 6), ['10', '9', 'A', 'B', 'Z', 'a'], "'B' < 'a'")
  t.ok(bytewise.indexOf('Z') < bytewise.indexOf('É'), "'Z' < 'É'")
  const compared = await store.pool.query(
    "SELECT count(*) FILTER (WHERE name < 'a') AS below_a, count(*) FILTER (WHERE name > 'z') AS above_z FROM actors WHERE id LIKE 'order-%'",
  )
  const below = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y)) < 0
  t.strictSame(
    compared.rows,
    [{ below_a: names.filter((n) => below(n, 'a')).length, above_z: names.filter((n) => below('z', n)).length }],
    'comparisons with a literal follow the column too',
  )
})

t.test('every text column is COLLATE "C"', async (t) => {
  const { rows } = await store.pool.query<{ column: string; collation: string | null }>(
    `SELECT table_name || '.' || column_name AS column, collation_name AS collation FROM information_schema.columns
     WHERE table_schema = 'public' AND data_type = 'text' AND collation_name IS DISTINCT FROM 'C'`,
  )
  t.strictSame(rows, [])
})

t.test('every index of the SQLite schema exists under its name in PostgreSQL', async (t) => {
  const sqlite = openDatabase(':memory:')
  t.teardown(() => sqlite.$client.close())
  const names = (
    sqlite.$client
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name")
      .all() as Array<{
      name: string
    }>
  ).map((r) => r.name)
  t.ok(
    names.includes('claims_source_external_idx') && names.includes('api_keys_token_hash_unique'),
    `${names.length} indexes read from SQLite`,
  )
  const { rows } = await store.pool.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'")
  const inPostgres = new Set(rows.map((r) => r.name))
  t.strictSame(
    names.filter((name) => !inPostgres.has(name)),
    [],
    'none missing',
  )
})
