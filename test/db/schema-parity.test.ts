/**
 * The PostgreSQL schema (src/db/pg/schema.ts) mirrors SQLite's
 * (src/db/schema.ts), so that one SQL text runs on both stores: the same
 * tables, columns, nullability, keys, defaults and index names, read through
 * drizzle's getTableConfig on each side. The one difference allowed is the
 * explicit `rowid` column PostgreSQL gives the tables whose SQLite rowid the
 * code reads. Needs no PostgreSQL.
 */
import { is } from 'drizzle-orm'
import { type PgColumn, PgTable, getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core'
import { type SQLiteColumn, SQLiteTable, getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core'
import t from 'tap'
import * as pgSchema from '../../src/db/pg/schema.js'
import * as sqliteSchema from '../../src/db/schema.js'

/** The tables whose SQLite rowid the code reads (timeline-query.ts): PostgreSQL has it as a column. */
const ROWID_TABLES = ['claims', 'retractions']

const sqliteTables = new Map(
  (Object.values(sqliteSchema) as unknown[])
    .filter((v): v is SQLiteTable => is(v, SQLiteTable))
    .map((table) => [sqliteTableConfig(table).name, sqliteTableConfig(table)]),
)
const pgTables = new Map(
  (Object.values(pgSchema) as unknown[])
    .filter((v): v is PgTable => is(v, PgTable))
    .map((table) => [pgTableConfig(table).name, pgTableConfig(table)]),
)

/** A SQLite column's type, and the PostgreSQL types that keep its answers. */
function expectedTypes(column: SQLiteColumn): string[] {
  switch (column.getSQLType()) {
    case 'text':
      return ['text COLLATE "C"']
    case 'integer':
      return ['integer', 'bigint']
    case 'real':
      return ['double precision']
    default:
      return [`(no PostgreSQL type for ${column.getSQLType()})`]
  }
}

function shape(column: SQLiteColumn | PgColumn) {
  return {
    notNull: column.notNull,
    primary: column.primary,
    unique: column.isUnique ? column.uniqueName : null,
    default: column.default,
  }
}

t.test('both schemas hold tables', async (t) => {
  t.ok(sqliteTables.size >= 16, `${sqliteTables.size} SQLite tables`)
  t.equal(pgTables.size, sqliteTables.size)
})

t.test('PostgreSQL has no table SQLite lacks', async (t) => {
  t.strictSame(
    [...pgTables.keys()].filter((name) => !sqliteTables.has(name)),
    [],
  )
})

for (const [name, lite] of sqliteTables) {
  t.test(`${name}: the same in PostgreSQL`, async (t) => {
    const pg = pgTables.get(name)
    if (pg === undefined) return t.fail(`no table ${name} in src/db/pg/schema.ts`)

    const pgColumns = pg.columns.filter((c) => !(c.name === 'rowid' && ROWID_TABLES.includes(name)))
    t.strictSame(
      pgColumns.map((c) => c.name),
      lite.columns.map((c) => c.name),
      'the same columns, in the same order',
    )
    for (const column of lite.columns) {
      const twin = pg.columns.find((c) => c.name === column.name)
      if (twin === undefined) continue
      t.strictSame(shape(twin), shape(column), `${column.name}: nullability, primary key, uniqueness, default`)
      t.ok(expectedTypes(column).includes(twin.getSQLType()), `${column.name}: ${column.getSQLType()} as ${twin.getSQLType()}`)
      if (column.columnType === 'SQLiteTextJson') {
        t.equal(twin.mapToDriverValue(['a', 1]), '["a",1]', `${column.name}: JSON stored as text`)
        t.strictSame(twin.mapFromDriverValue('{"a":[1]}'), { a: [1] })
      }
      if (column.columnType === 'SQLiteBoolean') {
        t.strictSame([twin.mapToDriverValue(true), twin.mapToDriverValue(false)], [1, 0], `${column.name}: a boolean stored as 1 and 0`)
        t.strictSame([twin.mapFromDriverValue(1), twin.mapFromDriverValue(0)], [true, false])
      }
    }

    t.strictSame(
      pg.primaryKeys.map((k) => k.columns.map((c) => c.name)),
      lite.primaryKeys.map((k) => k.columns.map((c) => c.name)),
      'the same composite primary key',
    )
    const indexes = (config: typeof lite | typeof pg) =>
      config.indexes
        .map((i) => ({
          name: i.config.name,
          unique: i.config.unique,
          columns: i.config.columns.map((c) => (c as { name: string }).name),
          partial: i.config.where !== undefined,
        }))
        .sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))
    t.strictSame(indexes(pg), indexes(lite), 'the same indexes: names, columns, uniqueness, partial or not')
    const foreignKeys = (config: typeof lite | typeof pg) =>
      config.foreignKeys
        .map((fk) => fk.reference())
        .map((r) => ({
          columns: r.columns.map((c) => c.name),
          table: is(r.foreignTable, PgTable) ? pgTableConfig(r.foreignTable).name : sqliteTableConfig(r.foreignTable as SQLiteTable).name,
          references: r.foreignColumns.map((c) => c.name),
        }))
        .sort((a, b) => a.columns.join().localeCompare(b.columns.join()))
    t.strictSame(foreignKeys(pg), foreignKeys(lite), 'the same foreign keys')
  })
}

t.test('the explicit rowid columns: an identity, unique, within Number.MAX_SAFE_INTEGER', async (t) => {
  for (const name of ROWID_TABLES) {
    const rowid = pgTables.get(name)?.columns.find((c) => c.name === 'rowid')
    t.equal(rowid?.getSQLType(), 'bigint', `${name}.rowid`)
    t.equal(rowid?.generatedIdentity?.type, 'always')
    t.equal(rowid?.generatedIdentity?.sequenceOptions?.maxValue, Number.MAX_SAFE_INTEGER)
    t.equal(rowid?.isUnique, true)
  }
  const rowids = [...pgTables].filter(([, config]) => config.columns.some((c) => c.name === 'rowid')).map(([name]) => name)
  t.strictSame(rowids, ROWID_TABLES, 'no other table has one')
  const seq = pgTables.get('changes')?.columns.find((c) => c.name === 'seq')
  t.equal(seq?.generatedIdentity?.sequenceOptions?.maxValue, Number.MAX_SAFE_INTEGER, 'changes.seq: the same bound')
})
