/**
 * Each event's dispute block (contract §10), kept in `event_disputes` so that
 * GET /events filters and sorts on it without summarising every event.
 *
 * The row is the event's summary as of the moment it was computed
 * (`computed_at`), reduced to the block: every write to an event's claims
 * (claims-service recordAll and retract) refreshes it in the same
 * transaction, an event is created with an empty one, and a new parent of an
 * actor refreshes the events that name it or a descendant (the attribution
 * status walks ancestors, §5). Names of sources and actors are not in the
 * block, so no other write needs a refresh.
 *
 * Caveat: a claim stated after the moment of the write (stated_at in the
 * future) does not count yet; it starts counting when its stated_at passes,
 * with no write to tell. `refreshDue` catches up on those: GET /events calls
 * it before reading, and it refreshes only the events that have a claim
 * stated between their row's `computed_at` and now (a range on the
 * claims_stated_idx index, normally empty).
 */
import { getTableColumns } from 'drizzle-orm'
import type Database from 'better-sqlite3'
import type { Db } from '../db/client.js'
import { toEvent } from './events-repository.js'
import { events } from '../db/schema.js'
import { type EventSummary, summarizeEvent } from '../engine/event-summary.js'
import type { ActorInfo, Claim, Directory, FigureSummary, SourceInfo } from '../engine/types.js'
import { BadRequestError } from '../errors.js'
import { encodeCursor } from '../lib/cursor.js'
import type { Page } from '../lib/pages.js'
import { nowIso } from '../lib/time.js'
import {
  type AttributionStatusName,
  type DisputeLevel,
  type DisputeOut,
  type EventListItemOut,
  type EventSort,
  firstDay,
  lastDay,
} from '../schemas/events.js'
import type { ActorsRepository } from './actors-repository.js'
import type { ClaimsRepository } from './claims-repository.js'
import { inTransaction } from './records.js'
import type { SourcesRepository } from './sources-repository.js'

/** `level_rank`: how disputed a level is; -1 when the event has no counted figure. */
export const LEVEL_RANK: Record<DisputeLevel, number> = { conflicting: 3, compatible: 2, agreement: 1, single_source: 0 }
export const NO_FIGURES_RANK = -1

/** A row of event_disputes, as the repository reads and writes it. */
export interface DisputeRow {
  event_id: string
  level: DisputeLevel | null
  level_rank: number
  relative_spread: number | null
  killed_low: number | null
  killed_high: number | null
  /** 1 when the event has a counted killed/all group: killed_high null then means unbounded. */
  killed_counted: 0 | 1
  attribution_status: AttributionStatusName
  claims: number
  computed_at: string
}

/** More disputed: the higher level, then the higher relative_spread (null below every number). */
function moreDisputed(a: FigureSummary, b: FigureSummary): boolean {
  const ra = LEVEL_RANK[a.disagreement.level]
  const rb = LEVEL_RANK[b.disagreement.level]
  if (ra !== rb) return ra > rb
  const sa = a.disagreement.relative_spread
  const sb = b.disagreement.relative_spread
  return sa !== null && (sb === null || sa > sb)
}

/**
 * The block of a summary: the most disputed group's level and relative_spread
 * (the first in summary order among equals), the range of the killed/all
 * group without a party, the attribution status, and every claim counted.
 */
export function disputeOf(eventId: string, summary: EventSummary, computedAt: string): DisputeRow {
  let top: FigureSummary | undefined
  for (const figure of summary.figures) if (!top || moreDisputed(figure, top)) top = figure
  const killed = summary.figures.find((f) => f.metric === 'killed' && f.population === 'all' && f.party === null)
  return {
    event_id: eventId,
    level: top?.disagreement.level ?? null,
    level_rank: top ? LEVEL_RANK[top.disagreement.level] : NO_FIGURES_RANK,
    relative_spread: top?.disagreement.relative_spread ?? null,
    killed_low: killed?.range.low ?? null,
    killed_high: killed?.range.high ?? null,
    killed_counted: killed ? 1 : 0,
    attribution_status: summary.attribution.status,
    claims: summary.claims_total,
    computed_at: computedAt,
  }
}

/** The row as the API shows it. */
export function toDispute(row: Pick<DisputeRow, 'level' | 'relative_spread' | 'killed_low' | 'killed_high' | 'killed_counted' | 'attribution_status' | 'claims'>): DisputeOut {
  return {
    level: row.level,
    relative_spread: row.relative_spread,
    range: row.killed_counted && row.killed_low !== null ? { low: row.killed_low, high: row.killed_high } : null,
    status: row.attribution_status,
    claims: row.claims,
  }
}

const UPSERT = `INSERT INTO event_disputes
  (event_id, level, level_rank, relative_spread, killed_low, killed_high, killed_counted, attribution_status, claims, computed_at)
VALUES (@event_id, @level, @level_rank, @relative_spread, @killed_low, @killed_high, @killed_counted, @attribution_status, @claims, @computed_at)
ON CONFLICT (event_id) DO UPDATE SET level = excluded.level, level_rank = excluded.level_rank, relative_spread = excluded.relative_spread,
  killed_low = excluded.killed_low, killed_high = excluded.killed_high, killed_counted = excluded.killed_counted,
  attribution_status = excluded.attribution_status, claims = excluded.claims, computed_at = excluded.computed_at`

const emptyInserts = new WeakMap<Db, Database.Statement>()

/** A new event's row: no figure, no stance, no claim (events-repository create). */
export function recordEmptyDispute(db: Db, eventId: string, at: string): void {
  let insert = emptyInserts.get(db)
  if (!insert) {
    insert = db.$client.prepare(UPSERT)
    emptyInserts.set(db, insert)
  }
  insert.run({
    event_id: eventId,
    level: null,
    level_rank: NO_FIGURES_RANK,
    relative_spread: null,
    killed_low: null,
    killed_high: null,
    killed_counted: 0,
    attribution_status: 'none',
    claims: 0,
    computed_at: at,
  } satisfies DisputeRow)
}

export interface DisputeDeps {
  claims: Pick<ClaimsRepository, 'forEngine'>
  sources: Pick<SourcesRepository, 'directory'>
}

function referencedSources(claims: readonly Claim[]): Set<string> {
  const ids = new Set<string>()
  for (const c of claims) {
    ids.add(c.source_id)
    for (const v of c.via) ids.add(v)
  }
  return ids
}

function namedActors(claims: readonly Claim[]): string[] {
  const ids = new Set<string>()
  for (const c of claims) {
    if (c.kind === 'attribution') for (const a of c.actor_ids) ids.add(a)
    else if (c.party !== null) ids.add(c.party)
  }
  return [...ids]
}

/** Events recomputed per transaction by backfill and refreshAll (their ids are read first: no iterator is open while writing). */
const REFRESH_CHUNK = 1000

export function createDisputesRepository(db: Db, deps: DisputeDeps) {
  const sqlite = db.$client
  const upsert = sqlite.prepare(UPSERT)
  const enqueue = sqlite.prepare('INSERT OR IGNORE INTO dispute_queue (event_id) VALUES (?)')
  const queued = sqlite.prepare('SELECT event_id FROM dispute_queue').pluck()
  const dequeue = sqlite.prepare('DELETE FROM dispute_queue WHERE event_id = ?')
  // The named actors and their ancestors: all that the attribution rules walk (§5).
  const lineages = sqlite.prepare(`WITH RECURSIVE up(id) AS (
      SELECT value FROM json_each(?)
      UNION SELECT a.parent_id FROM actors AS a JOIN up ON a.id = up.id WHERE a.parent_id IS NOT NULL)
    SELECT a.id, a.name, a.parent_id FROM actors AS a JOIN up ON a.id = up.id`)
  const allActors = sqlite.prepare('SELECT id, name, parent_id FROM actors')
  const allSources = sqlite.prepare('SELECT id, name, affiliated_actor_id FROM sources')
  const missing = sqlite.prepare('SELECT e.id FROM events AS e WHERE NOT EXISTS (SELECT 1 FROM event_disputes AS d WHERE d.event_id = e.id) ORDER BY e.id').pluck()
  const everyEvent = sqlite.prepare('SELECT id FROM events ORDER BY id').pluck()
  const oldest = sqlite.prepare('SELECT MIN(computed_at) FROM event_disputes').pluck()
  // Claims stated in (since, now] that their event's row did not count yet.
  const due = sqlite
    .prepare(`SELECT DISTINCT c.event_id FROM claims AS c JOIN event_disputes AS d ON d.event_id = c.event_id
      WHERE c.stated_at > @since AND c.stated_at <= @now AND c.stated_at > d.computed_at`)
    .pluck()
  // The actor and its descendants: a new parent changes the lineage of each. A scan of the
  // attribution claims, which is fine for what is rare (an actor moved in the tree).
  const naming = sqlite
    .prepare(`WITH RECURSIVE down(id) AS (SELECT ? UNION SELECT a.id FROM actors AS a JOIN down ON a.parent_id = down.id)
      SELECT DISTINCT c.event_id FROM claims AS c, json_each(c.actor_ids) AS j
      WHERE c.kind = 'attribution' AND j.value IN (SELECT id FROM down)`)
    .pluck()

  /** Every claim stated by `at` has been counted in every row (null: not known yet). */
  let caughtUp = 0
  let countedUpTo: string | null = null

  function compute(eventId: string, at: string, directory?: Directory): DisputeRow {
    const claims = deps.claims.forEngine(eventId)
    const dir: Directory = directory ?? {
      sources: deps.sources.directory(referencedSources(claims)),
      actors: new Map((lineages.all(JSON.stringify(namedActors(claims))) as ActorInfo[]).map((a) => [a.id, a])),
    }
    return disputeOf(eventId, summarizeEvent(claims, at, dir), at)
  }

  /** Recomputes the given events, a chunk per transaction, with the whole directory loaded once. */
  function refreshMany(ids: readonly string[]): number {
    if (ids.length === 0) return 0
    const directory: Directory = {
      sources: new Map((allSources.all() as SourceInfo[]).map((s) => [s.id, s])),
      actors: new Map((allActors.all() as ActorInfo[]).map((a) => [a.id, a])),
    }
    for (let from = 0; from < ids.length; from += REFRESH_CHUNK) {
      inTransaction(db, () => {
        const at = nowIso()
        for (const id of ids.slice(from, from + REFRESH_CHUNK)) upsert.run(compute(id, at, directory))
      })
    }
    return ids.length
  }

  return {
    /**
     * The event's block as its summary says now. Called in the transaction of
     * every write to the event's claims, after the write.
     */
    /** Marks the event's block out of date; the next reader refreshes it (refreshQueued). */
    queue(eventId: string): void {
      enqueue.run(eventId)
    },

    /** Refreshes every queued block, in one transaction. Returns how many. */
    refreshQueued(): number {
      const ids = queued.all() as string[]
      if (ids.length === 0) return 0
      inTransaction(db, () => {
        refreshMany(ids)
        for (const id of ids) dequeue.run(id)
      })
      return ids.length
    },

    refreshDispute(eventId: string): void {
      upsert.run(compute(eventId, nowIso()))
    },

    /** At start: a row for every event that lacks one (a database written by other means). Returns how many. */
    backfill(): number {
      return refreshMany(missing.all() as string[])
    },

    /** Recomputes every event's row (bench/data.ts, after writing claims straight through SQL). Returns how many. */
    refreshAll(): number {
      return refreshMany(everyEvent.all() as string[])
    },

    /** Events whose claims name the actor or a descendant of it: after a new parent (§5 walks ancestors). */
    refreshNaming(actorId: string): number {
      const ids = naming.all(actorId) as string[]
      for (const id of ids) this.refreshDispute(id)
      return ids.length
    },

    /** The caveat above: refreshes the events with a claim whose stated_at has passed since their row was computed. */
    refreshDue(now: string = nowIso()): number {
      this.refreshQueued()
      const since = countedUpTo ?? (oldest.get() as string | null)
      // No row yet: nothing can be due. A clock set back: nothing to do until it passes `since` again.
      if (since === null) countedUpTo = now
      if (since === null || since >= now) return 0
      const ids = due.all({ since, now }) as string[]
      if (ids.length > 0) {
        inTransaction(db, () => {
          for (const id of ids) upsert.run(compute(id, now))
        })
        caughtUp++
      }
      countedUpTo = now
      return ids.length
    },

    /** Bumped each time refreshDue changes a block with no write behind it: part of the lists' ETags. */
    catchUps(): number {
      return caughtUp
    },
  }
}

export type DisputesRepository = ReturnType<typeof createDisputesRepository>

/**
 * The actors repository, with a new parent refreshing the disputes it
 * changes, in the same transaction (PATCH /actors/{id} and POST /actors/bulk).
 */
export function withDisputeRefresh(db: Db, actors: ActorsRepository, disputes: DisputesRepository): ActorsRepository {
  return {
    ...actors,
    update(id, patch) {
      return inTransaction(db, () => {
        const before = actors.get(id)
        const after = actors.update(id, patch)
        if (before !== null && before.parent_id !== after.parent_id) disputes.refreshNaming(id)
        return after
      })
    },
  }
}

// ---- GET /events ----

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

const SORTS: Record<EventOrder, SortSpec> = {
  id: {
    order: 'e.id',
    key: ({ item }) => [item.id],
    after: ([id]) => (id === undefined ? null : [{ where: 'e.id > @after_id', params: { after_id: id } }]),
  },
  occurred_on: {
    order: 'e.occurred_on, e.id',
    key: ({ item }) => [item.occurred_on, item.id],
    after: ([on, id]) =>
      on === undefined || id === undefined ? null : [{ where: '(e.occurred_on, e.id) > (@after_on, @after_id)', params: { after_on: on, after_id: id } }],
  },
  '-occurred_on': {
    order: 'e.occurred_on DESC, e.id DESC',
    key: ({ item }) => [item.occurred_on, item.id],
    after: ([on, id]) =>
      on === undefined || id === undefined ? null : [{ where: '(e.occurred_on, e.id) < (@after_on, @after_id)', params: { after_on: on, after_id: id } }],
  },
  '-claims': {
    order: 'd.claims DESC, d.event_id DESC',
    key: ({ item }) => [String(item.dispute.claims), item.id],
    after: ([claims, id]) => {
      const n = num(claims)
      return n === null || id === undefined ? null : [{ where: '(d.claims, d.event_id) < (@after_claims, @after_id)', params: { after_claims: n, after_id: id } }]
    },
  },
  // Walks event_disputes_rank_idx backwards. relative_spread may be null, which a
  // row-value comparison cannot order, so the walk after a cursor is in seeks:
  // the rest of the cursor's (rank, spread), lower spreads of its rank, its
  // rank's null spreads, then the lower ranks.
  '-dispute': {
    order: 'd.level_rank DESC, d.relative_spread DESC, d.event_id DESC',
    key: ({ item, levelRank }) => [String(levelRank), item.dispute.relative_spread === null ? '' : String(item.dispute.relative_spread), item.id],
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
        { where: 'd.level_rank = @after_rank AND d.relative_spread = @after_spread AND d.event_id < @after_id', params: { ...base, after_spread: spread } },
        { where: 'd.level_rank = @after_rank AND d.relative_spread < @after_spread', params: { after_rank: rank, after_spread: spread } },
        { where: 'd.level_rank = @after_rank AND d.relative_spread IS NULL', params: { after_rank: rank } },
        lower,
      ]
    },
  },
}

/** An event's occurred_on as the first and the last day it can mean (2017-04 → 2017-04-01, 2017-04-30). */
const FIRST_DAY = "(CASE length(e.occurred_on) WHEN 4 THEN e.occurred_on || '-01-01' WHEN 7 THEN e.occurred_on || '-01' ELSE e.occurred_on END)"
const LAST_DAY =
  "(CASE length(e.occurred_on) WHEN 4 THEN e.occurred_on || '-12-31' WHEN 7 THEN date(e.occurred_on || '-01', '+1 month', '-1 day') ELSE e.occurred_on END)"

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

function filterSql(f: EventFilters): Segment {
  const where: string[] = []
  const params: Params = {}
  if (f.country !== undefined) {
    where.push("upper(json_extract(e.location, '$.country')) = @country")
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
    where.push(`e.occurred_on <= @to_day AND ${LAST_DAY} <= @to_day`)
    params.to_day = lastDay(f.to)
  }
  if (f.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM json_each(e.tags) AS t WHERE unicode_lower(t.value) = @tag)')
    params.tag = f.tag.toLowerCase()
  }
  if (f.q !== undefined) {
    where.push(
      "(instr(unicode_lower(e.title), @q) > 0 OR instr(unicode_lower(e.description), @q) > 0 OR instr(unicode_lower(json_extract(e.location, '$.place')), @q) > 0)",
    )
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

const EVENT_COLUMNS = Object.entries(getTableColumns(events))

function toListed(raw: RawRow): ListedEvent {
  const row: Record<string, unknown> = {}
  for (const [key, col] of EVENT_COLUMNS) {
    const value = raw[col.name]
    row[key] = value === null || value === undefined ? null : col.mapFromDriverValue(value)
  }
  const dispute = toDispute({
    level: raw.d_level,
    relative_spread: raw.d_relative_spread,
    killed_low: raw.d_killed_low,
    killed_high: raw.d_killed_high,
    killed_counted: raw.d_killed_counted,
    attribution_status: raw.d_attribution_status,
    claims: raw.d_claims,
  })
  return { item: { ...toEvent(row as typeof events.$inferSelect), dispute }, levelRank: raw.d_level_rank }
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
    throw badCursor(sort !== undefined && Object.hasOwn(SORTS, sort) ? `was given out for ${named(sort)}, not ${named(order)}` : 'is not a cursor from a previous page')
  }
  return key
}

/** GET /events: filtered in SQL, in the order of `sort`, a keyset page at a time. */
export function createEventListQuery(db: Db) {
  const statements = new Map<string, Database.Statement>()
  function statement(text: string): Database.Statement {
    let stmt = statements.get(text)
    if (!stmt) {
      stmt = db.$client.prepare(text)
      statements.set(text, stmt)
    }
    return stmt
  }

  return {
    page(filters: EventFilters, order: EventOrder, cursor: string | undefined, limit: number): Page<EventListItemOut> {
      const spec = SORTS[order]
      const filter = filterSql(filters)
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
        const stmt = statement(listSql([filter.where, segment.where], spec.order))
        for (const raw of stmt.iterate({ ...filter.params, ...segment.params, limit: wanted }) as IterableIterator<RawRow>) rows.push(toListed(raw))
      }
      if (rows.length <= limit) return { items: rows.map((r) => r.item), next_cursor: null }
      const kept = rows.slice(0, limit)
      const last = kept[kept.length - 1] as ListedEvent
      return { items: kept.map((r) => r.item), next_cursor: encodeCursor([order, ...spec.key(last)]) }
    },
  }
}

export type EventListQuery = ReturnType<typeof createEventListQuery>
