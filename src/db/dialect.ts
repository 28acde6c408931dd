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

/**
 * The elements of a JSON array of strings as a table in FROM, one row each in
 * `${alias}.value`, from a column of another table of the same FROM
 * (`FROM claims AS c, ${jsonEachText(d, 'c.actor_ids', 'j')}`). On
 * PostgreSQL a LATERAL subquery, whose values compare bytewise (COLLATE "C").
 */
export function jsonEachText(dialect: Dialect, array: string, alias: string): string {
  return dialect === 'sqlite' ? `json_each(${array}) AS ${alias}` : `LATERAL (${jsonTexts(dialect, array)}) AS ${alias}`
}

/** The text of a JSON object's top-level `key` (a plain name), or null: SQLite's json_extract(x, '$.key') of a string. */
export function jsonTextField(dialect: Dialect, object: string, key: string): string {
  return dialect === 'sqlite' ? `json_extract(${object}, '$.${key}')` : `(CAST(${object} AS json) ->> '${key}')`
}

/** 1-based position of `needle` in `haystack`, 0 when absent, null when either is null: SQLite's instr. */
export function textPosition(dialect: Dialect, haystack: string, needle: string): string {
  return dialect === 'sqlite' ? `instr(${haystack}, ${needle})` : `strpos(${haystack}, ${needle})`
}

/** The last day (YYYY-MM-DD text) of the month of `month`, a YYYY-MM text. */
export function lastDayOfMonth(dialect: Dialect, month: string): string {
  return dialect === 'sqlite'
    ? `date(${month} || '-01', '+1 month', '-1 day')`
    : `to_char(CAST(${month} || '-01' AS date) + interval '1 month' - interval '1 day', 'YYYY-MM-DD')`
}

/** SQLite's `INDEXED BY index` after a table in FROM, holding the planner to that index; nothing on PostgreSQL, which has no such hint. */
export function indexedBy(dialect: Dialect, index: string): string {
  return dialect === 'sqlite' ? `INDEXED BY ${index}` : ''
}

/** A parameter (or any value) as text compared as the schema's text columns are: bytewise (COLLATE "C" on PostgreSQL; SQLite's BINARY is already). */
export function collatedText(dialect: Dialect, value: string): string {
  return dialect === 'sqlite' ? `CAST(${value} AS text)` : `CAST(${value} AS text) COLLATE "C"`
}

/**
 * After a SELECT: its rows locked until the unit of work ends, waiting for
 * another unit that holds one (`wait`) or passing those by (`skip`); nothing
 * on SQLite, where a unit of work holds the whole database.
 */
export function lockRows(dialect: Dialect, others: 'wait' | 'skip'): string {
  if (dialect === 'sqlite') return ''
  return others === 'wait' ? ' FOR UPDATE' : ' FOR UPDATE SKIP LOCKED'
}
