/**
 * Lists and exports (contract §10): one list answers JSON, NDJSON or CSV,
 * pages with a `Link: <…>; rel="next"` header, and, as NDJSON or CSV without
 * a `limit`, streams every row from the cursor on.
 *
 * Streaming reads the list in keyset batches: each batch is one short query,
 * rendered and pushed into a Readable that asks for the next batch only when
 * the client has taken the last one. No read stays open between batches (on
 * SQLite a long read would pin the WAL; on PostgreSQL hold a connection). So
 * memory holds one batch, and writes go on while an export runs.
 */
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { stringify } from 'csv-stringify/sync'
import { z } from 'zod'
import { BadRequestError } from '../errors.js'
import { canonical } from './canonical.js'
import { slugify } from './slug.js'
import { spreadsheetSafe } from './spreadsheet-safe.js'
import type { Page } from './pages.js'

export const FORMATS = ['json', 'ndjson', 'csv'] as const
export type Format = (typeof FORMATS)[number]

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
}

/** A page when `limit` is not given (JSON always pages). */
export const DEFAULT_LIMIT = 50
/** Rows read per query while streaming an export. */
export const EXPORT_BATCH = 500

// ---- the query (schemas/list-fields validates it) ----

export interface FormatQuery {
  format?: Format | undefined
  hxl?: boolean | undefined
  /** CSV: cells exactly as stored, not made spreadsheet-safe. */
  raw?: boolean | undefined
}

export interface ListQueryFields extends FormatQuery {
  limit?: number | undefined
  cursor?: string | undefined
}

/** The OpenAPI response of a list or export: JSON by the zod schema, NDJSON and CSV as text. */
export function formatsResponse<T extends z.ZodType>(json: T, description: string) {
  return {
    description,
    content: {
      'application/json': { schema: json },
      'application/x-ndjson': { schema: z.string().meta({ description: 'One JSON item per line.' }) },
      'text/csv': {
        schema: z.string().meta({
          description:
            'RFC 4180, UTF-8: a header row of field names (with `hxl=true`, a row of HXL hashtags under it), then one row per item. ' +
            'Text cells that a spreadsheet would run as a formula begin with an apostrophe unless `raw=true`. Sent with `Content-Disposition: attachment; filename="reckon-….csv"`.',
        }),
      },
    },
  }
}

// ---- choosing the format ----

const MEDIA: Array<{ type: string; subtype: string; format: Format }> = [
  { type: 'application', subtype: 'json', format: 'json' },
  { type: 'application', subtype: 'x-ndjson', format: 'ndjson' },
  { type: 'application', subtype: 'ndjson', format: 'ndjson' },
  { type: 'text', subtype: 'csv', format: 'csv' },
]

interface Match {
  q: number
  specificity: number
  order: number
}

/** Accept headers naming one type, as clients send them: answered without parsing. */
const PLAIN_ACCEPT = new Map<string, Format>([
  ['*/*', 'json'],
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['application/ndjson', 'ndjson'],
  ['text/csv', 'csv'],
])

/**
 * The format an Accept header asks for: each format takes the quality of the
 * most specific range that names it; the best quality wins, then the more
 * specific range, then the one listed first, then json, ndjson, csv in that
 * order. A header that accepts none of them gets JSON.
 */
export function negotiateFormat(accept: string | undefined): Format {
  if (!accept) return 'json'
  const plain = PLAIN_ACCEPT.get(accept)
  if (plain !== undefined) return plain
  const matches = new Map<Format, Match>()
  accept.split(',').forEach((part, order) => {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    const [type, subtype] = range.split('/')
    if (!type || !subtype) return
    let q = 1
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim())
      if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0
    }
    const specificity = type === '*' ? 0 : subtype === '*' ? 1 : 2
    for (const media of MEDIA) {
      if ((type !== '*' && type !== media.type) || (subtype !== '*' && subtype !== media.subtype)) continue
      const known = matches.get(media.format)
      if (!known || specificity > known.specificity) matches.set(media.format, { q, specificity, order })
    }
  })
  let best: { format: Format; match: Match } | undefined
  for (const format of FORMATS) {
    const match = matches.get(format)
    if (!match || match.q <= 0) continue
    if (
      !best ||
      match.q > best.match.q ||
      (match.q === best.match.q &&
        (match.specificity > best.match.specificity || (match.specificity === best.match.specificity && match.order < best.match.order)))
    ) {
      best = { format, match }
    }
  }
  return best?.format ?? 'json'
}

/** `?format=` wins over Accept; `hxl=true` is for CSV only (400 otherwise). */
export function chooseFormat(request: FastifyRequest, query: FormatQuery): Format {
  const format = query.format ?? negotiateFormat(request.headers.accept)
  if (query.hxl === true && format !== 'csv') {
    throw new BadRequestError(`hxl=true is for CSV; this request asks for ${format}.`, [
      { path: '/hxl', in: 'query', message: 'is only for CSV (format=csv or Accept: text/csv)' },
    ])
  }
  return format
}

/**
 * The representation a list or document request gets, as a label for its
 * ETag: `json`, `ndjson`, `csv` or `csv+hxl`, decided as chooseFormat
 * decides (`format` wins over Accept). It reads the raw query, before
 * validation: a value the schema will refuse gets a label of its own
 * (starting with `!`), so that no refused request shares a tag, and a 304,
 * with a valid one.
 */
export function representationOf(format: unknown, hxl: unknown, accept: string | undefined): string {
  const named = typeof format === 'string' ? canonical(format) : format // as the schema reads it: CSV is csv
  const chosen = named === undefined ? negotiateFormat(accept) : (FORMATS as readonly unknown[]).includes(named) ? (named as Format) : null
  if (chosen === null) return `!format=${String(format)}`
  if (hxl === undefined || hxl === 'false') return chosen
  return hxl === 'true' && chosen === 'csv' ? 'csv+hxl' : `!${chosen}+hxl=${String(hxl)}`
}

// ---- the Link header ----

/** `</path?same&query&cursor=…>; rel="next"`: the request's own relative URL with the next cursor. */
export function nextLink(url: string, cursor: string): string {
  const at = url.indexOf('?')
  const path = at === -1 ? url : url.slice(0, at)
  const params = new URLSearchParams(at === -1 ? '' : url.slice(at + 1))
  params.set('cursor', cursor)
  return `<${path}?${params.toString()}>; rel="next"`
}

// ---- CSV and NDJSON ----

export interface Column {
  /** The header: a snake_case field name (nested fields joined with `_`). */
  name: string
  /** Where the value sits in the item. */
  path: readonly string[]
  /** HXL hashtag with attributes; empty when none fits. */
  hxl: string
}

export function column(name: string, hxl = '', path: readonly string[] = [name]): Column {
  return { name, path, hxl }
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}

/** Arrays joined with `;`; an object of strings as `key=value;…`; null and absent as an empty cell. */
export function cellText(value: unknown): string {
  if (Array.isArray(value)) return value.map(scalarText).join(';')
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}=${scalarText(v)}`)
      .join(';')
  }
  return scalarText(value)
}

function valueAt(item: unknown, path: readonly string[]): unknown {
  let at: unknown = item
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}

// CRLF between records (RFC 4180); csv-stringify quotes a field holding the
// delimiter, a quote or the record delimiter, and this makes it quote a lone
// \n or \r as well, which spreadsheets would otherwise read as a new row.
const CSV_OPTIONS = { record_delimiter: '\r\n', quoted_match: /[\r\n]/ } as const

/**
 * One CSV cell. Numbers and booleans are written as they are (a -3 stays -3);
 * every other value is text and, unless `raw`, made spreadsheet-safe. Ids,
 * slugs, dates, codes and enums cannot begin with a formula character, so
 * treating them as text costs nothing and needs no list of columns.
 */
export function csvCell(value: unknown, raw: boolean): string {
  const text = cellText(value)
  return raw || typeof value === 'number' || typeof value === 'boolean' ? text : spreadsheetSafe(text)
}

export interface Renderer<T> {
  /** What comes before the first item (the CSV header rows). */
  head: string
  items(items: readonly T[]): string
}

/** CSV rows; text cells spreadsheet-safe unless `raw` (the header rows are names and hashtags, safe as they are). */
export function csvRenderer<T>(columns: readonly Column[], hxl: boolean, raw = false): Renderer<T> {
  const header: string[][] = [columns.map((c) => c.name)]
  if (hxl) header.push(columns.map((c) => c.hxl))
  return {
    head: stringify(header, CSV_OPTIONS),
    items: (items) =>
      items.length === 0
        ? ''
        : stringify(
            items.map((item) => columns.map((c) => csvCell(valueAt(item, c.path), raw))),
            CSV_OPTIONS,
          ),
  }
}

export function ndjsonRenderer<T>(): Renderer<T> {
  return { head: '', items: (items) => items.map((item) => `${JSON.stringify(item)}\n`).join('') }
}

function renderer<T>(format: Exclude<Format, 'json'>, columns: readonly Column[], query: FormatQuery): Renderer<T> {
  return format === 'csv' ? csvRenderer<T>(columns, query.hxl === true, query.raw === true) : ndjsonRenderer<T>()
}

/**
 * A Readable over a keyset list: `first` is already read (so that a bad cursor
 * is a 400 before any byte is sent); each later read fetches one batch.
 */
export function exportStream<T>(first: Page<T>, next: (cursor: string) => Promise<Page<T>>, render: Renderer<T>): Readable {
  let head = render.head
  /** A page read and not yet rendered, or the cursor of the next one to read (fetched by the read() that needs it). */
  let pending: Page<T> | string = first
  return new Readable({
    // Node calls read() again only after a push: one page is read at a time.
    async read() {
      try {
        for (;;) {
          const page: Page<T> = typeof pending === 'string' ? await next(pending) : pending
          const text = head + render.items(page.items)
          head = ''
          if (page.next_cursor === null) {
            if (text !== '') this.push(text)
            this.push(null)
            return
          }
          pending = page.next_cursor
          // An empty batch (a page of events with no figure group) reads on; otherwise wait for the next read().
          if (text !== '') {
            this.push(text)
            return
          }
        }
      } catch (err) {
        this.destroy(err instanceof Error ? err : new Error(String(err)))
      }
    },
  })
}

// ---- file names ----

/** Query parameters that shape the answer, not which rows it holds: never in a file name (as_of has its own place). */
const NOT_IN_NAME = new Set(['limit', 'cursor', 'format', 'hxl', 'raw', 'as_of'])
/** A date, partial date or date-time (as_of, known_at, stated_from, from, to): its date part. */
const DATED = /^(\d{4}(?:-\d{2}){0,2})(?:[Tt ]|$)/
/** At most this many characters of one filter value, and of the name before its as-of date. */
const PART_MAX = 40
const BASE_MAX = 120

const EXTENSIONS: Record<Exclude<Format, 'json'>, string> = { csv: 'csv', ndjson: 'ndjson' }

function namePart(key: string, value: unknown): string {
  const labelled = (text: string) => [slugify(key), text].filter((p) => p !== '').join('-')
  if (typeof value === 'string') {
    const date = DATED.exec(value)?.[1]
    // A bare date would not say which bound it is: stated-from-2017-04-04.
    return date === undefined ? slugify(value).slice(0, PART_MAX).replace(/-+$/, '') : labelled(date)
  }
  if (typeof value === 'number' || typeof value === 'boolean') return labelled(slugify(String(value)))
  return ''
}

/**
 * The one naming rule of every export (RFC 6266 `filename`): `reckon-`, the
 * route's path with a path parameter in place of the collection it is taken
 * from (/events/{id}/summary → khan-shaykhun-summary), each filter given in
 * the query schema's order (a value as itself, a date with its parameter's
 * name: stated-from-2017-04-04), and `as-of-<date>` when the rows are
 * computed as of a moment. Slugs only ([a-z0-9-]): ASCII, no quoting or
 * `filename*` needed, nothing a file system or shell treats specially.
 *
 *   GET /summaries?as_of=2017-04-06&format=csv  → reckon-summaries-as-of-2017-04-06.csv
 *   GET /claims?event_id=khan-shaykhun          → reckon-claims-khan-shaykhun.csv
 *   GET /events/khan-shaykhun/timeline?metric=killed&population=all → reckon-khan-shaykhun-timeline-killed-all.csv
 */
export function exportFileName(
  route: string,
  params: Readonly<Record<string, unknown>>,
  query: Readonly<Record<string, unknown>>,
  format: Exclude<Format, 'json'>,
  asOf?: string,
): string {
  const parts = ['reckon']
  for (const segment of route.split('/')) {
    if (segment === '') continue
    if (segment.startsWith(':')) {
      const value = slugify(String(params[segment.slice(1)] ?? ''))
      if (parts.length > 1) parts.pop() // events/khan-shaykhun → khan-shaykhun
      if (value !== '') parts.push(value)
    } else {
      const part = slugify(segment)
      if (part !== '') parts.push(part)
    }
  }
  for (const [key, value] of Object.entries(query)) {
    if (NOT_IN_NAME.has(key)) continue
    const part = namePart(key, value)
    if (part !== '') parts.push(part)
  }
  let base = parts.join('-')
  if (base.length > BASE_MAX) base = base.slice(0, BASE_MAX).replace(/-+$/, '')
  const moment = asOf ?? (typeof query.as_of === 'string' ? query.as_of : undefined)
  const date = moment === undefined ? undefined : DATED.exec(moment)?.[1]
  return `${base}${date === undefined ? '' : `-as-of-${date}`}.${EXTENSIONS[format]}`
}

/** `Content-Disposition: attachment` with the export's file name, for an NDJSON or CSV answer. */
export function nameDownload(
  request: FastifyRequest,
  reply: FastifyReply,
  format: Exclude<Format, 'json'>,
  asOf: string | undefined,
): void {
  const route = request.routeOptions.url ?? request.url.split('?')[0] ?? ''
  const name = exportFileName(route, request.params as Record<string, unknown>, request.query as Record<string, unknown>, format, asOf)
  reply.header('content-disposition', `attachment; filename="${name}"`)
}

// ---- sending ----

/** How every list answers, for route descriptions. */
export const EXPORT_DOC =
  'Answers JSON (default), NDJSON or CSV, chosen by `format` or else by the Accept header. JSON always pages: `{ items, next_cursor }`, ' +
  '`limit` default 50, at most 1000. NDJSON and CSV with `limit` answer that page; without `limit` they stream every row from `cursor` on, ' +
  'read in batches so that memory stays flat however many rows. A page with a next one carries `Link: <…>; rel="next"`: the same URL with the next cursor. ' +
  'CSV: RFC 4180, a header row of field names, lists joined with `;`, an empty cell for null; `hxl=true` adds a row of HXL hashtags. ' +
  "A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading apostrophe (`'=…`), so that a spreadsheet " +
  'shows it instead of running it as a formula; numbers never change, and `raw=true` writes every cell exactly as stored (JSON and NDJSON always are). ' +
  'NDJSON and CSV come with `Content-Disposition: attachment; filename="reckon-….csv"`: the route, its filters, and the as-of date where the rows are computed as of one.'

export interface Listing<T> {
  /** At most `limit` items after `cursor` (from the start without one), in list order. */
  page(cursor: string | undefined, limit: number): Promise<Page<T>>
  /** CSV columns, in order. */
  columns: readonly Column[]
  /** Items fetched per query when streaming (default EXPORT_BATCH). */
  batch?: number
  /** The moment the rows are computed as of, when they are (for the file name); else the query's `as_of`, if any. */
  asOf?: string
}

/**
 * The one way a list answers. JSON: a page `{ items, next_cursor }`, through
 * the route's zod schema. NDJSON or CSV with `limit`: that page as text. NDJSON
 * or CSV without `limit`: every item from the cursor on, streamed. A page
 * that has a next one carries `Link: <…>; rel="next"`.
 */
export async function sendList<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  query: ListQueryFields,
  listing: Listing<T>,
): Promise<FastifyReply> {
  const format = chooseFormat(request, query)
  varyOn(reply, 'Accept')
  if (format !== 'json' && query.limit === undefined) {
    const batch = listing.batch ?? EXPORT_BATCH
    const first = await listing.page(query.cursor, batch)
    const stream = exportStream(first, (cursor) => listing.page(cursor, batch), renderer<T>(format, listing.columns, query))
    nameDownload(request, reply, format, listing.asOf)
    return reply.type(CONTENT_TYPES[format]).send(stream)
  }
  const page = await pageInSlices(listing, query.cursor, query.limit ?? DEFAULT_LIMIT)
  if (page.next_cursor !== null) reply.header('link', nextLink(request.url, page.next_cursor))
  if (format === 'json') return reply.send(page)
  nameDownload(request, reply, format, listing.asOf)
  return sendRows(reply, format, listing.columns, query, page.items)
}

/**
 * A page of `limit` items read a batch at a time, the event loop served
 * between batches (a page of 1,000 summaries is 1,000 computations): the
 * same page as one read of `limit`. A batch with a next cursor took all it
 * was asked for (Listing.page), so it counts in the listing's own units
 * (GET /summaries counts events, not rows).
 */
export async function pageInSlices<T>(listing: Listing<T>, cursor: string | undefined, limit: number): Promise<Page<T>> {
  const batch = listing.batch ?? EXPORT_BATCH
  let page = await listing.page(cursor, Math.min(batch, limit))
  const items = page.items
  for (let left = limit - batch; left > 0 && page.next_cursor !== null; left -= batch) {
    await new Promise((resolve) => setImmediate(resolve))
    page = await listing.page(page.next_cursor, Math.min(batch, left))
    items.push(...page.items)
  }
  return { items, next_cursor: page.next_cursor }
}

/** A document that is JSON as itself, and as NDJSON or CSV a handful of rows (GET /events/{id}/summary). */
/** A JSON document serialized ahead of the request (a stored summary): sendDocument sends its text as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** Adds a header name to Vary, keeping what is there (CORS varies on Origin). */
export function varyOn(reply: FastifyReply, name: string): void {
  const current = reply.getHeader('vary')
  if (current === undefined) {
    reply.header('vary', name) // the usual case, on every JSON read: no list to merge
    return
  }
  if (current === name) return // set already (the ETag hook sets it before the handler runs)
  const names = String(current)
    .split(',')
    .map((n) => n.trim())
  if (!names.some((n) => n.toLowerCase() === name.toLowerCase() || n === '*')) reply.header('vary', [...names, name].join(', '))
}

export async function sendDocument<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  query: FormatQuery,
  doc: {
    json: () => Promise<unknown>
    rows: () => Promise<readonly T[]>
    columns: readonly Column[]
    /** The moment the rows were computed as of (for the file name), asked once they are; else the query's `as_of`, if any. */
    asOf?: () => Promise<string>
  },
): Promise<FastifyReply> {
  const format = chooseFormat(request, query)
  varyOn(reply, 'Accept')
  if (format === 'json') {
    const body = await doc.json()
    // Already serialized (and validated when it was): sent as it is, past the serializer.
    return body instanceof JsonText ? reply.type('application/json; charset=utf-8').send(body.text) : reply.send(body)
  }
  const rows = await doc.rows()
  nameDownload(request, reply, format, await doc.asOf?.())
  return sendRows(reply, format, doc.columns, query, rows)
}

/** NDJSON or CSV rows in one body: a Buffer, which Fastify sends as it is, with no serializer and no added charset. */
function sendRows<T>(
  reply: FastifyReply,
  format: Exclude<Format, 'json'>,
  columns: readonly Column[],
  query: FormatQuery,
  items: readonly T[],
): FastifyReply {
  const render = renderer<T>(format, columns, query)
  return reply.type(CONTENT_TYPES[format]).send(Buffer.from(render.head + render.items(items)))
}

// ---- columns from a zod schema ----

function unwrapped(schema: z.ZodType): z.ZodType {
  let at = schema
  while (at instanceof z.ZodOptional || at instanceof z.ZodNullable || at instanceof z.ZodDefault) {
    at = at.unwrap() as z.ZodType
  }
  return at
}

/**
 * The CSV columns of an output object schema, in its field order: nested
 * objects flattened (`location_place`), lists and records kept whole (one
 * cell). `hxl` names the hashtag of each column that has one.
 */
export function columnsOf(schema: z.ZodType, hxl: Readonly<Record<string, string>> = {}, prefix: readonly string[] = []): Column[] {
  const object = unwrapped(schema)
  if (!(object instanceof z.ZodObject)) throw new TypeError('columnsOf needs an object schema')
  const out: Column[] = []
  for (const [key, field] of Object.entries(object.shape as Record<string, z.ZodType>)) {
    const path = [...prefix, key]
    if (unwrapped(field) instanceof z.ZodObject) {
      out.push(...columnsOf(field, hxl, path))
    } else {
      const name = path.join('_')
      out.push(column(name, hxl[name] ?? '', path))
    }
  }
  return out
}
