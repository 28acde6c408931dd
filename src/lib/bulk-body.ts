/**
 * Turning an NDJSON or CSV body into rows (contract §9), so that all three
 * formats go through the same validation. Rows are counted from 0.
 */
import { parse } from 'csv-parse/sync'
import { BadRequestError, ProblemError } from '../errors.js'

export const MAX_BULK_ROWS = 50_000
export const MAX_BULK_BYTES = 32 * 1024 * 1024

/** CSV cells that hold lists, `;`-separated. */
const LIST_COLUMNS = new Set(['via', 'actor_ids', 'aliases', 'tags'])
/** CSV cells that hold whole numbers. */
const NUMBER_COLUMNS = new Set(['value', 'low', 'high', 'best'])

export function tooManyRows(count: number): ProblemError {
  return new ProblemError(
    413,
    'too-many-rows',
    'Too many rows',
    `A batch takes at most ${MAX_BULK_ROWS} rows; this one has ${count}. Split it into several requests.`,
  )
}

export function parseNdjson(text: string): unknown[] {
  const rows: unknown[] = []
  const errors: Array<{ path: string; in: 'body'; message: string }> = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      rows.push(JSON.parse(line))
    } catch {
      errors.push({ path: `/${rows.length}`, in: 'body', message: 'is not valid JSON' })
      rows.push(null)
    }
    if (rows.length > MAX_BULK_ROWS) throw tooManyRows(rows.length)
  }
  if (errors.length > 0) throw new BadRequestError('Some NDJSON lines are not JSON.', errors)
  return rows
}

function cell(column: string, text: string): unknown {
  if (LIST_COLUMNS.has(column)) {
    return text
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part !== '')
  }
  if (NUMBER_COLUMNS.has(column) && /^\d+$/.test(text)) return Number(text)
  return text
}

/** A header row of contract field names; an empty cell is an absent field. */
export function parseCsv(text: string): Array<Record<string, unknown>> {
  let records: string[][]
  try {
    records = parse(text, { bom: true, skip_empty_lines: true }) as string[][]
  } catch (err) {
    const line = typeof err === 'object' && err !== null && 'lines' in err ? Number(err.lines) : undefined
    const message = err instanceof Error ? err.message : String(err)
    throw new BadRequestError(`The CSV could not be read${line ? ` (line ${line})` : ''}: ${message}`, [
      { path: line && line > 1 ? `/${line - 2}` : '', in: 'body', message: 'is not well-formed CSV' },
    ])
  }
  const [header, ...data] = records
  if (!header) return []
  if (data.length > MAX_BULK_ROWS) throw tooManyRows(data.length)
  const columns = header.map((name) => name.trim())
  return data.map((record) => {
    const row: Record<string, unknown> = {}
    columns.forEach((column, i) => {
      const text = record[i] ?? ''
      if (text !== '') row[column] = cell(column, text)
    })
    return row
  })
}
