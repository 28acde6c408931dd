/**
 * What the timeline of one figure group (contract §11) reads: the group's
 * claims and every claim that supersedes one of them, whatever its group or
 * kind (a correction filed as `injured` can supersede a `killed` figure) —
 * not every claim of the event. Retracted claims come with their retraction,
 * recorded ones whatever their recorded_at: `known_at` is the engine's
 * (asKnownAt), as for the summary.
 *
 * A long group is read in batches, in (stated_at, rowid) order along the
 * event's index, with a turn of the event loop between two: each batch is
 * one short statement run to its end (no iterator stays open, so writes go
 * on in between), and reading 20,000 claims at once would hold the loop for
 * a tenth of a second. The batches still read one state of the database:
 * claims and retractions are appended, never updated or deleted, so their
 * rowids only grow, and every batch reads the rows up to the largest rowids
 * there were when the first began. That holds on SQLite, where a rowid is
 * given at commit order (one writer); on PostgreSQL the whole read is one
 * REPEATABLE READ transaction instead (claimsOf).
 *
 * Rows are read as arrays (`sql.rows`): they cost half what objects do, for
 * the engine's wide rows.
 */
import { indexedBy, jsonTexts } from '../db/dialect.js'
import type { Dialect, Sql } from '../db/sql.js'
import type { GroupKey } from '../engine/timeline.js'
import type { Claim } from '../engine/types.js'
import { turn } from '../lib/streaming.js'
import { ENGINE_COLUMNS, type EngineRow, engineClaimOf } from './claims-repository.js'

/** Group claims read by one statement: a few milliseconds of work. */
const BATCH = 2000

const IN_GROUP = "c.kind = 'figure' AND c.metric = @metric AND c.population = @population AND c.party IS NOT DISTINCT FROM @party"

const COLUMNS = `${ENGINE_COLUMNS}, c.rowid`

const RETRACTION = 'LEFT JOIN retractions AS r ON r.claim_id = c.id AND r.rowid <= @retractions'

/** The next batch of the group's claims after (@stated_at, @rowid). */
const GROUP_BATCH = `SELECT ${COLUMNS}
FROM claims AS c ${RETRACTION}
WHERE c.event_id = @event AND c.stated_at >= @stated_at AND (c.stated_at > @stated_at OR c.rowid > @rowid) AND +c.rowid <= @claims
  AND ${IN_GROUP}
ORDER BY c.stated_at, c.rowid
LIMIT @batch`

/**
 * The claims outside the group that supersede one of @ids (a JSON array):
 * one seek of the supersedes index each (PostgreSQL takes no ON after a CROSS JOIN:
 * the join's condition is in WHERE). The CROSS JOIN keeps the ids
 * outside, and INDEXED BY holds the planner to that index: left to itself it
 * would read the whole event through the event's index, or, once ANALYZE has
 * seen a column that is mostly null, the whole table for each id.
 */
const superseders = (dialect: Dialect) => `SELECT ${COLUMNS}
FROM (${jsonTexts(dialect, '@ids')}) AS j CROSS JOIN claims AS c ${indexedBy(dialect, 'claims_supersedes_idx')} ${RETRACTION}
WHERE c.supersedes = j.value AND c.event_id = @event AND c.rowid <= @claims AND NOT (${IN_GROUP})`

/** The snapshot a read holds to: the largest rowids of claims and retractions, read together. */
const BOUNDS = `SELECT (SELECT COALESCE(MAX(rowid), 0) FROM claims) AS claims,
  (SELECT COALESCE(MAX(rowid), 0) FROM retractions) AS retractions`

/** A row of the statement: the engine's columns, then the claim's rowid. */
type Row = [...EngineRow, rowid: number]

export function createTimelineQuery(sql: Sql) {
  const SUPERSEDERS = superseders(sql.dialect)

  /** The claims, read in batches within the bounds of one state (see above). */
  async function read(eventId: string, key: GroupKey): Promise<Claim[]> {
    const state = {
      event: eventId,
      ...key,
      ...(await sql.get<{ claims: number; retractions: number }>(BOUNDS)),
      batch: BATCH,
    }
    const claims: Claim[] = []
    let after = { stated_at: '', rowid: 0 }
    for (;;) {
      const rows = await sql.rows<Row>(GROUP_BATCH, { ...state, ...after })
      for (const row of rows) claims.push(engineClaimOf(row))
      if (rows.length > 0) {
        for (const row of await sql.rows<Row>(SUPERSEDERS, { ...state, ids: JSON.stringify(rows.map((r) => r[0])) }))
          claims.push(engineClaimOf(row))
      }
      const last = rows[rows.length - 1]
      if (last === undefined || rows.length < BATCH) return claims
      after = { stated_at: last[5], rowid: last[24] }
      await turn()
    }
  }

  return {
    /** The claims the group's timeline needs, retracted ones included, as the database holds them when called; in no particular order. */
    async claimsOf(eventId: string, key: GroupKey): Promise<Claim[]> {
      // PostgreSQL: identity values are handed out when rows are inserted, not when their transactions commit, so a
      // bound by rowid is no snapshot there (a claim committed after the bounds were read may have a lower rowid). The
      // batches read one snapshot instead: one REPEATABLE READ, READ ONLY transaction on one pooled connection, which
      // blocks no writer. Inside a unit of work already (a savepoint), its own view is kept.
      if (sql.dialect === 'postgres' && !sql.inTransaction) {
        return sql.transaction(
          async () => {
            await sql.run('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
            return read(eventId, key)
          },
          { ordered: false },
        )
      }
      return read(eventId, key)
    },
  }
}
