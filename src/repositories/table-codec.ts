/** Rows read by column name ↔ a table's fields, as the schema maps them (src/db/schema.ts). */
import { type InferSelectModel, getTableColumns } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'

/**
 * The table's columns as the schema declares them: rows
 * read by name are mapped to the record's fields as drizzle maps them (JSON
 * text parsed, booleans), and fields to the values written.
 */
export function tableCodec<T extends SQLiteTable>(table: T) {
  const columns = Object.entries(getTableColumns(table)) as Array<[string, SQLiteColumn]>
  return {
    names: columns.map(([, column]) => column.name),
    fromRow(row: Record<string, unknown>): InferSelectModel<T> {
      const out: Record<string, unknown> = {}
      for (const [key, column] of columns) {
        const value = row[column.name]
        out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value)
      }
      return out as InferSelectModel<T>
    },
    /** The columns `values` sets, by name, with the values written. */
    toColumns(values: Record<string, unknown>): Array<[string, unknown]> {
      const out: Array<[string, unknown]> = []
      for (const [key, column] of columns) {
        if (!(key in values)) continue
        const value = values[key]
        out.push([column.name, value === null || value === undefined ? null : column.mapToDriverValue(value)])
      }
      return out
    },
  }
}
