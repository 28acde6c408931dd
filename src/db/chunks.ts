/**
 * Multi-row statements in fixed sizes (#15): a batch of rows is written
 * `max` rows a statement, and what is left in powers of two (300 rows of a
 * 256-row chunk: 256, 32, 8, 4), so that however long the batch the texts
 * are a few, each prepared once and reused, and a batch of n rows takes
 * about n / max + log2(max) statements. `max` times the parameters of a row
 * must stay within what a statement takes: 32,766 on SQLite, 65,535 on
 * PostgreSQL.
 */

/** The slices of `items`, `max` long (a power of two) and then shorter powers of two. */
export function* chunks<T>(items: readonly T[], max: number): Generator<T[]> {
  let at = 0
  for (; items.length - at >= max; at += max) yield items.slice(at, at + max)
  for (let size = max / 2; size >= 1; size /= 2) {
    if (items.length - at < size) continue
    yield items.slice(at, at + size)
    at += size
  }
}

/** `(?, ?, …), (?, ?, …), …`: `rows` rows of the given row text. */
export function valuesOf(rows: number, row: string): string {
  return Array.from({ length: rows }, () => row).join(', ')
}
