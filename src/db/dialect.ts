/**
 * The few places where SQLite and PostgreSQL spell the same thing
 * differently (#15): every repository writes its SQL once, and asks here for
 * the fragment of its store where they differ. Each function returns SQL
 * text for the given dialect; the text is fixed per dialect, so a statement
 * built with it is prepared once like any other.
 */
import type { Dialect } from './sql.js'

/**
 * The elements of a JSON array of strings, one row each in a column named
 * `value`, from a parameter (`?`, `@name`) or a column holding the array's
 * text: `IN (${jsonTexts(d, '?')})`. On PostgreSQL the values compare
 * bytewise, as the schema's text columns do (COLLATE "C").
 */
export function jsonTexts(dialect: Dialect, array: string): string {
  return dialect === 'sqlite'
    ? `SELECT value FROM json_each(${array})`
    : `SELECT value COLLATE "C" AS value FROM json_array_elements_text(CAST(${array} AS json)) AS value`
}
