/**
 * GET /events (contract §10): events with their dispute blocks, filtered and
 * sorted in SQL, a keyset page at a time. It reads the blocks stored in
 * `event_disputes` (disputes-repository keeps them) and shows them as the
 * engine's toDispute does; nothing is summarised here.
 */
import { jsonTextField, jsonTexts, lastDayOfMonth, textPosition } from '../db/dialect.js'
import type { Dialect, Sql } from '../db/sql.js'
import { events } from '../db/schema.js'
import { LEVEL_RANK, NO_FIGURES_RANK, toDispute } from '../engine/dispute.js'
import { BadRequestError } from '../errors.js'
import { encodeCursor } from '../lib/cursor.js'
import type { Page } from '../lib/pages.js'
import {
  type AttributionStatusName,
  type DisputeLevel,
  type EventListItemOut,
  type EventSort,
  firstDay,
  lastDay,
} from '../schemas/events.js'
import { toEvent } from './events-repository.js'
import { tableCodec } from './table-codec.js'

export interface EventFilters {
  /** Upper case. */
  country?: string | undefined
  /** Partial dates as given. */
  from?: string | undefined
  to?: string | undefined
  tag?: string | undefined
  q?: string | undefined
  level?: DisputeLevel | 'none' | undefined
  attribution_status?: AttributionStatusName | undefined
}

/** Without `sort`, id order. */
export type EventOrder = EventSort | 'id'

type Params = Record<string, string | number | null>

/** A part of the keyset walk: rows after the cursor come from these conditions, in this order. */
interface Segment {
  where: string
  params: Params
}

interface SortSpec {
  order: string
  /** The cursor's key after the sort's name. */
  key(item: ListedEvent): string[]
  /** Null when the key is not one this sort gives out. */
  after(key: readonly string[]): Segment[] | null
}

interface ListedEvent {
  item: EventListItemOut
  levelRank: number
}

/** A number from a cursor, or null when it is not one. */
function num(text: string | undefined): number | null {
  if (text === undefined || text === '' || text.trim() !== text) return null
  const n = Number(text)
  return Number.isFinite(n) ? n : null
}

/** By occurred_on, then id, in one direction: after a cursor, a row-value comparison on events_occurred_on_idx. */
function byOccurredOn(direction: 'ASC' | 'DESC'): SortSpec {
  const beyond = direction === 'ASC' ? '>' : '<'
  return {
    order: direction === 'ASC' ? 'e.occurred_on, e.id' : 'e.occurred_on DESC, e.id DESC',
    key: ({ item }) => [item.occurred_on, item.id],
    after: ([on, id]) =>
      on === undefined || id === undefined
        ? null
        : [{ where: `(e.occurred_on, e.id) ${beyond} (@after_on, @after_id)`, params: { after_on: on, after_id: id } }],
  }
}

const SORTS: Record<EventOrder, SortSpec> = {
  id: {
    order: 'e.id',
    key: ({ item }) => [item.id],
    after: ([id]) => (id === undefined ? null : [{ where: 'e.id > @after_id', params: { after_id: id } }]),
  },
  occurred_on: byOccurredOn('ASC'),
  '-occurred_on': byOccurredOn('DESC'),
  '-claims': {
    order: 'd.claims DESC, d.event_id DESC',
    key: ({ item }) => [String(item.dispute.claims), item.id],
    after: ([claims, id]) => {
      const n = num(claims)
      return n === null || id === undefined
        ? null
        : [{ where: '(d.claims, d.event_id) < (@after_claims, @after_id)', params: { after_claims: n, after_id: id } }]
    },
  },
  // Walks event_disputes_rank_idx backwards. relative_spread may be null, which a
  // row-value comparison cannot order, so the walk after a cursor is in seeks:
  // the rest of the cursor's (rank, spread), lower spreads of its rank, its
  // rank's null spreads, then the lower ranks.
  '-dispute': {
    // NULLS LAST: SQLite's order for DESC, said out loud for PostgreSQL, which puts nulls first.
    order: 'd.level_rank DESC, d.relative_spread DESC NULLS LAST, d.event_id DESC',
    key: ({ item, levelRank }) => [
      String(levelRank),
      item.dispute.relative_spread === null ? '' : String(item.dispute.relative_spread),
      item.id,
    ],
    after: ([rankText, spreadText, id]) => {
      const rank = num(rankText)
      const spread = spreadText === '' ? null : num(spreadText)
      if (rank === null || id === undefined || (spread === null && spreadText !== '')) return null
      const base = { after_rank: rank, after_id: id }
      const lower: Segment = { where: 'd.level_rank < @after_rank', params: { after_rank: rank } }
      if (spread === null) {
        return [{ where: 'd.level_rank = @after_rank AND d.relative_spread IS NULL AND d.event_id < @after_id', params: base }, lower]
      }
      return [
        {
          where: 'd.level_rank = @after_rank AND d.relative_spread = @after_spread AND d.event_id < @after_id',
          params: { ...base, after_spread: spread },
        },
        { where: 'd.level_rank = @after_rank AND d.relative_spread < @after_spread', params: { after_rank: rank, after_spread: spread } },
        { where: 'd.level_rank = @after_rank AND d.relative_spread IS NULL', params: { after_rank: rank } },
        lower,
      ]
    },
  },
}

/** An event's occurred_on as the first and the last day it can mean (2017-04 → 2017-04-01, 2017-04-30). */
const FIRST_DAY =
  "(CASE length(e.occurred_on) WHEN 4 THEN e.occurred_on || '-01-01' WHEN 7 THEN e.occurred_on || '-01' ELSE e.occurred_on END)"
const lastDaySql = (dialect: Dialect) =>
  `(CASE length(e.occurred_on) WHEN 4 THEN e.occurred_on || '-12-31' WHEN 7 THEN ${lastDayOfMonth(dialect, 'e.occurred_on')} ELSE e.occurred_on END)`

/**
 * The least occurred_on text whose first day is on or after `day`: the day
 * without its trailing "-01"s (2017-04-01 → 2017-04, 2017-01-01 → 2017), so
 * that `e.occurred_on >= floor` is a range on events_occurred_on_idx.
 */
function occurredFloor(day: string): string {
  if (day.endsWith('-01-01')) return day.slice(0, 4)
  if (day.endsWith('-01')) return day.slice(0, 7)
  return day
}

function filterSql(dialect: Dialect, f: EventFilters): Segment {
  const where: string[] = []
  const params: Params = {}
  if (f.country !== undefined) {
    where.push(`upper(${jsonTextField(dialect, 'e.location', 'country')}) = @country`)
    params.country = f.country.toUpperCase()
  }
  // Rule: an event is within from…to when every day its occurred_on can mean is.
  if (f.from !== undefined) {
    const day = firstDay(f.from)
    where.push(`e.occurred_on >= @from_floor AND ${FIRST_DAY} >= @from_day`)
    params.from_floor = occurredFloor(day)
    params.from_day = day
  }
  if (f.to !== undefined) {
    // occurred_on is a prefix of its last day, so never after it: the first term is a range on the index.
    where.push(`e.occurred_on <= @to_day AND ${lastDaySql(dialect)} <= @to_day`)
    params.to_day = lastDay(f.to)
  }
  if (f.tag !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM (${jsonTexts(dialect, 'e.tags')}) AS t WHERE unicode_lower(t.value) = @tag)`)
    params.tag = f.tag.toLowerCase()
  }
  if (f.q !== undefined) {
    const within = (text: string) => `${textPosition(dialect, `unicode_lower(${text})`, '@q')} > 0`
    where.push(`(${within('e.title')} OR ${within('e.description')} OR ${within(jsonTextField(dialect, 'e.location', 'place'))})`)
    params.q = f.q.toLowerCase()
  }
  if (f.level !== undefined) {
    where.push('d.level_rank = @level_rank')
    params.level_rank = f.level === 'none' ? NO_FIGURES_RANK : LEVEL_RANK[f.level]
  }
  if (f.attribution_status !== undefined) {
    where.push('d.attribution_status = @attribution_status')
    params.attribution_status = f.attribution_status
  }
  return { where: where.map((w) => `(${w})`).join(' AND '), params }
}

function listSql(where: readonly string[], order: string): string {
  const conditions = where.filter((w) => w !== '')
  return `SELECT e.*, d.level AS d_level, d.level_rank AS d_level_rank, d.relative_spread AS d_relative_spread,
  d.killed_low AS d_killed_low, d.killed_high AS d_killed_high, d.killed_counted AS d_killed_counted,
  d.attribution_status AS d_attribution_status, d.claims AS d_claims
FROM events AS e JOIN event_disputes AS d ON d.event_id = e.id
${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
ORDER BY ${order}
LIMIT @limit`
}

type RawRow = Record<string, unknown> & {
  d_level: DisputeLevel | null
  d_level_rank: number
  d_relative_spread: number | null
  d_killed_low: number | null
  d_killed_high: number | null
  d_killed_counted: 0 | 1
  d_attribution_status: AttributionStatusName
  d_claims: number
}

const eventCodec = tableCodec(events)

function toListed(raw: RawRow): ListedEvent {
  const dispute = toDispute({
    level: raw.d_level,
    relative_spread: raw.d_relative_spread,
    killed_low: raw.d_killed_low,
    killed_high: raw.d_killed_high,
    killed_counted: raw.d_killed_counted,
    attribution_status: raw.d_attribution_status,
    claims: raw.d_claims,
  })
  // Assigned, not spread (docs/operators.md#performance): once per item of every page.
  return { item: Object.assign(toEvent(eventCodec.fromRow(raw)), { dispute }), levelRank: raw.d_level_rank }
}

function badCursor(message: string): BadRequestError {
  return new BadRequestError('The cursor is not one this API gave out for this list.', [{ path: '/cursor', in: 'query', message }])
}

/** The cursor's key for `order`: a 400 when it is not a cursor, or one of another sort. */
function cursorKey(cursor: string, order: EventOrder): string[] {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw badCursor('is not a cursor from a previous page')
  }
  if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p): p is string => typeof p === 'string')) {
    throw badCursor('is not a cursor from a previous page')
  }
  const [sort, ...key] = parts
  if (sort !== order) {
    const named = (s: string) => (s === 'id' ? 'no sort (id order)' : `sort=${s}`)
    throw badCursor(
      sort !== undefined && Object.hasOwn(SORTS, sort)
        ? `was given out for ${named(sort)}, not ${named(order)}`
        : 'is not a cursor from a previous page',
    )
  }
  return key
}

/** GET /events: filtered in SQL, in the order of `sort`, a keyset page at a time. */
export function createEventListQuery(sql: Sql) {
  return {
    async page(filters: EventFilters, order: EventOrder, cursor: string | undefined, limit: number): Promise<Page<EventListItemOut>> {
      const spec = SORTS[order]
      const filter = filterSql(sql.dialect, filters)
      let segments: Segment[] = [{ where: '', params: {} }]
      if (cursor !== undefined) {
        const after = spec.after(cursorKey(cursor, order))
        if (after === null) throw badCursor('is not a cursor from a previous page')
        segments = after
      }
      const rows: ListedEvent[] = []
      for (const segment of segments) {
        const wanted = limit + 1 - rows.length
        if (wanted <= 0) break
        const text = listSql([filter.where, segment.where], spec.order)
        for (const raw of await sql.all<RawRow>(text, { ...filter.params, ...segment.params, limit: wanted })) rows.push(toListed(raw))
      }
      if (rows.length <= limit) return { items: rows.map((r) => r.item), next_cursor: null }
      const kept = rows.slice(0, limit)
      const last = kept[kept.length - 1] as ListedEvent
      return { items: kept.map((r) => r.item), next_cursor: encodeCursor([order, ...spec.key(last)]) }
    },
  }
}
