/** Keyset pages: every list reads `limit + 1` rows and makes its page here. */
import { encodeCursor } from './cursor.js'

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/**
 * Takes at most `limit` rows, shaping each as it comes, and reads one more
 * only to know whether a next page exists (it is not shaped). Rows may be an
 * array or an iterator; leaving the loop early closes an iterator.
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
