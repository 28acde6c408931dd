/**
 * GET /claims and GET /events/{id}/claims (contract §10): claims filtered in
 * SQL, in (stated_at, id) order, a keyset page at a time: each page is one
 * short query (see src/lib/formats.ts on streaming).
 */
import type { Sql } from '../db/sql.js'
import type { Metric } from '../engine/types.js'
import { decodeCursor } from '../lib/cursor.js'
import { type Page, takePage } from '../lib/pages.js'
import type { ClaimOut } from '../schemas/claims.js'
import { joinedOf, toClaimOut } from './claims-repository.js'

export const CLAIM_STATUSES = ['active', 'superseded', 'retracted'] as const

export interface ClaimFilters {
  event_id?: string | undefined
  source_id?: string | undefined
  kind?: 'figure' | 'attribution' | undefined
  metric?: Metric | undefined
  status?: (typeof CLAIM_STATUSES)[number] | undefined
  /** Normalised moments (ISO 8601 UTC with milliseconds), both inclusive. */
  stated_from?: string | undefined
  stated_to?: string | undefined
}

type Filter = keyof ClaimFilters

// Status as claims-repository derives it: retracted when a retraction exists;
// else superseded when a claim that is not retracted names it in `supersedes`
// (superseded_by: the first such claim by id).
const LIVE_SUPERSEDERS = `FROM claims AS s
    WHERE s.supersedes = c.id AND NOT EXISTS (SELECT 1 FROM retractions AS sr WHERE sr.claim_id = s.id)`

const STATUS: Record<(typeof CLAIM_STATUSES)[number], string> = {
  retracted: 'r.claim_id IS NOT NULL',
  superseded: `r.claim_id IS NULL AND EXISTS (SELECT 1 ${LIVE_SUPERSEDERS})`,
  active: `r.claim_id IS NULL AND NOT EXISTS (SELECT 1 ${LIVE_SUPERSEDERS})`,
}

const CONDITIONS: Record<Exclude<Filter, 'status'>, string> = {
  event_id: 'c.event_id = @event_id',
  source_id: 'c.source_id = @source_id',
  kind: 'c.kind = @kind',
  metric: 'c.metric = @metric',
  stated_from: 'c.stated_at >= @stated_from',
  stated_to: 'c.stated_at <= @stated_to',
}

// The first term makes the keyset condition a range on stated_at that an index can seek.
const AFTER = 'c.stated_at >= @after_stated_at AND (c.stated_at > @after_stated_at OR c.id > @after_id)'

function selectSql(where: readonly string[]): string {
  return `SELECT c.*, r.at AS retraction_at, r.reason AS retraction_reason,
  (SELECT s.id ${LIVE_SUPERSEDERS} ORDER BY s.id LIMIT 1) AS superseded_by
FROM claims AS c LEFT JOIN retractions AS r ON r.claim_id = c.id
${where.length > 0 ? `WHERE ${where.map((w) => `(${w})`).join(' AND ')}` : ''}
ORDER BY c.stated_at, c.id
LIMIT @limit`
}

export function createClaimsQuery(sql: Sql) {
  return {
    /** At most `limit` claims after `cursor`, ordered by (stated_at, id); the cursor is the last one's key. */
    async page(filters: ClaimFilters, cursor: string | undefined, limit: number): Promise<Page<ClaimOut>> {
      const where: string[] = []
      const params: Record<string, string | number> = { limit: limit + 1 }
      for (const [name, condition] of Object.entries(CONDITIONS) as Array<[Exclude<Filter, 'status'>, string]>) {
        const value = filters[name]
        if (value === undefined) continue
        where.push(condition)
        params[name] = value
      }
      if (filters.status !== undefined) where.push(STATUS[filters.status])
      if (cursor !== undefined) {
        const [statedAt, id] = decodeCursor(cursor, 2) as [string, string]
        where.push(AFTER)
        params.after_stated_at = statedAt
        params.after_id = id
      }
      // One prepared statement per combination of filters, prepared when first asked for.
      const rows = await sql.all<Record<string, unknown>>(selectSql(where), params)
      return takePage(
        rows,
        limit,
        (raw) => toClaimOut(joinedOf(raw)),
        (c) => [c.stated_at, c.id],
      )
    },
  }
}
