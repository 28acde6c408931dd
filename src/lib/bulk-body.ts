/**
 * Turning an NDJSON or CSV body into rows (contract §9), so that all three
 * formats go through the same validation. Rows are counted from 0; each row
 * also keeps the line of the file it starts on, for error messages.
 *
 * A body of 20,000 rows is read a slice at a time, the event loop served
 * between slices (#14: in one piece a CSV of 20,000 claims held it ~300 ms).
 */
import { Parser } from 'csv-parse'
import type { FastifyRequest } from 'fastify'
import { finished } from 'node:stream/promises'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { BadRequestError, type FieldError, ProblemError } from '../errors.js'
import { findJsonError } from './json-syntax.js'
import { fromSpreadsheetSafe } from './spreadsheet-safe.js'
import { didYouMean, quoted } from './suggest.js'

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

export interface ParsedRows<T> {
  rows: T[]
  /** The 1-based line of the file each row starts on. */
  lines: number[]
}

/** Rows read between two turns of the event loop (a few milliseconds of work each). */
const SLICE_ROWS = 2000
/** Bytes of CSV parsed between two turns of the event loop (~4 ms). */
const SLICE_BYTES = 64 * 1024

export async function parseNdjson(text: string): Promise<ParsedRows<unknown>> {
  const rows: unknown[] = []
  const lines: number[] = []
  const errors: FieldError[] = []
  // A byte order mark (spreadsheets and Windows editors write one) is not part of the first line.
  const all = text.replace(/^\uFEFF/, '').split('\n')
  for (let i = 0; i < all.length; i++) {
    if (i > 0 && i % SLICE_ROWS === 0) await nextTurn()
    const line = all[i] as string
    if (line.trim() === '') continue
    try {
      rows.push(JSON.parse(line))
    } catch {
      const where = findJsonError(line)
      const at = where ? `at column ${where.column}, ${where.message}` : 'it is not JSON'
      errors.push({
        path: `/${rows.length}`,
        in: 'body',
        message: `line ${i + 1}: is not valid JSON: ${at}.`,
        line: i + 1,
        ...(where ? { column: where.column } : {}),
      })
      rows.push(null)
    }
    lines.push(i + 1)
    if (rows.length > MAX_BULK_ROWS) throw tooManyRows(rows.length)
  }
  if (errors.length > 0) {
    // The first ten in the detail, as for field errors (plugins/errors): a bad file may have thousands.
    const more = errors.length > 10 ? `, and ${errors.length - 10} more` : ''
    throw new BadRequestError(
      `Some NDJSON lines are not JSON: line ${errors
        .slice(0, 10)
        .map((e) => e.line)
        .join(', ')}${more}.`,
      errors,
    )
  }
  return { rows, lines }
}

function cell(column: string, text: string): unknown {
  if (LIST_COLUMNS.has(column)) {
    return text
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part !== '')
  }
  // Anything else ("1,200", "70+") stays text, for the schema to refuse with the value quoted.
  if (NUMBER_COLUMNS.has(column) && /^-?\d+$/.test(text)) return Number(text)
  return fromSpreadsheetSafe(text)
}

/** Counts line breaks (\n, \r\n, \r) in bytes [from, to) of a UTF-8 buffer. */
function breaks(bytes: Buffer, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) n++
  }
  return n
}

interface Parsed {
  record: string[]
  info: { bytes: number }
}

/** 1, 3 and 5. */
function inWords(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** The records of a CSV text (csv-parse's parser, fed a slice at a time): as csv-parse/sync reads them, or its error. */
async function csvRecords(bytes: Buffer): Promise<Parsed[]> {
  const parser = new Parser({ bom: true, skip_empty_lines: true, info: true })
  const records: Parsed[] = []
  let failure: unknown = null
  parser.on('data', (record: Parsed) => records.push(record))
  parser.on('error', (err: unknown) => (failure = err))
  for (let at = 0; at < bytes.length && failure === null; at += SLICE_BYTES) {
    parser.write(bytes.subarray(at, at + SLICE_BYTES))
    await nextTurn()
  }
  if (failure === null) {
    parser.end()
    await finished(parser).catch((err: unknown) => (failure = err))
  }
  if (failure !== null) throw failure
  return records
}

/**
 * A header row of contract field names; an empty cell is an absent field.
 * With `columns`, a header outside them is refused with the nearest name.
 */
export async function parseCsv(text: string, columns?: readonly string[]): Promise<ParsedRows<Record<string, unknown>>> {
  // csv-parse's own line count goes astray on \r\n inside quoted cells: lines are counted below from each record's byte offset.
  const bytes = Buffer.from(text, 'utf8')
  let records: Parsed[]
  try {
    records = await csvRecords(bytes)
  } catch (err) {
    const line = typeof err === 'object' && err !== null && 'lines' in err ? Number(err.lines) : undefined
    const message = err instanceof Error ? err.message : String(err)
    throw new BadRequestError(`The CSV could not be read${line ? ` (line ${line})` : ''}: ${message}`, [
      {
        path: line && line > 1 ? `/${line - 2}` : '',
        in: 'body',
        message: `${line ? `line ${line}: ` : ''}is not well-formed CSV`,
        ...(line ? { line } : {}),
      },
    ])
  }
  const lines: number[] = []
  let line = 1
  let end = 0
  for (const [i, { info }] of records.entries()) {
    if (i > 0 && i % SLICE_ROWS === 0) await nextTurn()
    let start = end
    while (bytes[start] === 0x0a || bytes[start] === 0x0d) start++
    line += breaks(bytes, end, start)
    lines.push(line)
    line += breaks(bytes, start, info.bytes)
    end = info.bytes
  }
  const [header, ...data] = records
  if (!header) return { rows: [], lines: [] }
  if (data.length > MAX_BULK_ROWS) throw tooManyRows(data.length)
  const names = header.record.map((name) => name.trim())
  // A column named twice would have its later cells silently replace the earlier ones.
  const twice = names.filter((name, i) => name !== '' && names.indexOf(name) !== i)
  if (twice.length > 0) {
    const each = [...new Set(twice)]
    throw new BadRequestError(
      `The CSV header (line ${lines[0]}) names ${each.length === 1 ? 'a column' : 'columns'} more than once: ${each.map((u) => quoted(u)).join(', ')}. Each column may appear once.`,
      each.map((name) => ({
        path: '',
        in: 'body' as const,
        message: `line ${lines[0]}: column ${quoted(name)} appears ${names.filter((n) => n === name).length} times (columns ${inWords(names.flatMap((n, i) => (n === name ? [String(i + 1)] : [])))})`,
        line: lines[0] ?? 1,
      })),
    )
  }
  if (columns) {
    const unknown = names.filter((name) => name !== '' && !columns.includes(name))
    if (unknown.length > 0) {
      throw new BadRequestError(
        `The CSV header (line ${lines[0]}) names ${unknown.length === 1 ? 'a column' : 'columns'} this operation does not read: ${unknown.map((u) => quoted(u)).join(', ')}. The columns are ${columns.join(', ')}.`,
        unknown.map((name) => ({
          path: '',
          in: 'body' as const,
          message: `line ${lines[0]}: unknown column ${quoted(name)}.${didYouMean(name, columns) || ` Expected one of ${columns.join(', ')}.`}`,
          line: lines[0] ?? 1,
        })),
      )
    }
  }
  const rows: Array<Record<string, unknown>> = []
  for (const { record } of data) {
    if (rows.length > 0 && rows.length % SLICE_ROWS === 0) await nextTurn()
    const row: Record<string, unknown> = {}
    names.forEach((column, i) => {
      const text = record[i] ?? ''
      if (text !== '') row[column] = cell(column, text)
    })
    rows.push(row)
  }
  return { rows, lines: lines.slice(1) }
}

/** The file lines of the rows of a request's NDJSON or CSV body, kept for its error messages. */
const ROW_LINES = new WeakMap<FastifyRequest, number[]>()

/** The line of the file on which row `row` of the request's body starts, if it came from a file. */
export function rowLine(request: FastifyRequest, row: number): number | undefined {
  return ROW_LINES.get(request)?.[row]
}

function bodyParser(parseText: (text: string) => Promise<ParsedRows<unknown>>) {
  return async (request: FastifyRequest, body: string | Buffer): Promise<unknown[]> => {
    const { rows, lines } = await parseText(body.toString())
    ROW_LINES.set(request, lines)
    return rows
  }
}

/** Content type parsers (parseAs: 'string') for application/x-ndjson and text/csv, resolving with the rows. */
export const ndjsonBody = bodyParser(parseNdjson)
export const csvBody = (columns: readonly string[]) => bodyParser((text) => parseCsv(text, columns))
