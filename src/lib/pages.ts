/** Keyset pages read from an iterator (better-sqlite3 `.iterate()`). */
import { encodeCursor } from './cursor.js'

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/**
 * Takes at most `limit` rows, shaping each as it comes, and reads one more
 * only to know whether a next page exists. Leaving the loop early closes the
 * iterator, so the statement is free again when this returns.
 */
export function takePage<R, T>(rows: Iterable<R>, limit: number, shape: (row: R) => T, key: (item: T) => string[]): Page<T> {
  const items: T[] = []
  for (const row of rows) {
    if (items.length === limit) {
      const last = items[items.length - 1] as T
      return { items, next_cursor: encodeCursor(key(last)) }
    }
    items.push(shape(row))
  }
  return { items, next_cursor: null }
}
