/** SQLite's parameters numbered for PostgreSQL (src/db/pg/sql-text.ts): the text and the values in the numbers' order. */
import t from 'tap'
import { numbered } from '../../src/db/pg/sql-text.js'

t.test('? parameters are numbered in order; the values are the array as given', async (t) => {
  const n = numbered('SELECT a FROM t WHERE b = ? AND c > ? LIMIT ?')
  t.equal(n.text, 'SELECT a FROM t WHERE b = $1 AND c > $2 LIMIT $3')
  t.strictSame(n.values(['x', 2, 10]), ['x', 2, 10])
  t.strictSame(numbered('SELECT 1').values(undefined), [])
})

t.test('@name parameters: one number per name, reused where the name repeats; values taken by name', async (t) => {
  const n = numbered('SELECT * FROM e WHERE id > @after AND (@metric IS NULL OR m = @metric) LIMIT @limit')
  t.equal(n.text, 'SELECT * FROM e WHERE id > $1 AND ($2 IS NULL OR m = $2) LIMIT $3')
  t.strictSame(n.values({ limit: 5, metric: null, after: '', unused: 'ignored' }), ['', null, 5])
  t.throws(() => n.values({ after: '', limit: 5 }), { message: /no value for @metric/ }, 'a missing name is an error, not a null')
})

t.test('quoted strings and identifiers are left as they are', async (t) => {
  const n = numbered(`SELECT '?' || 'it''s @x' AS "who?", "@col" FROM t WHERE a = ? AND b LIKE '%?%'`)
  t.equal(n.text, `SELECT '?' || 'it''s @x' AS "who?", "@col" FROM t WHERE a = $1 AND b LIKE '%?%'`)
  t.equal(
    numbered("SELECT a FROM t WHERE e = @x AND b = 'user@example.org'").text,
    "SELECT a FROM t WHERE e = $1 AND b = 'user@example.org'",
  )
})

t.test('a statement that mixes both kinds is refused', async (t) => {
  t.throws(() => numbered('SELECT a FROM t WHERE b = ? AND c = @c'), { message: /mixes \? and @name/ })
})
