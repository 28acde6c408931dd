/**
 * Claims are appended, never updated or deleted; a retraction is a row of
 * its own. Status and superseded_by are derived when read.
 */
import { claims } from '../db/schema.js'
import { chunks, valuesOf } from '../db/chunks.js'
import { collatedText, jsonEachText } from '../db/dialect.js'
import type { Dialect, Sql } from '../db/sql.js'
import { type CountedSet, byStatement } from '../engine/counting.js'
import type { Claim as EngineClaim, FigureClaim, Metric, Population, Qualifier, Stance, Certainty } from '../engine/types.js'
import { interval, point } from '../engine/figure.js'
import type { ClaimOut } from '../schemas/claims.js'
import { tableCodec } from './table-codec.js'

export type ClaimInsert = typeof claims.$inferInsert

const codec = tableCodec(claims)

/** A claim as the API shows it: its columns, its retraction, and the claim that supersedes it (kept, the first by id). */
const JOINED = `SELECT ${codec.names.map((c) => `c.${c}`).join(', ')}, r.at AS retraction_at, r.reason AS retraction_reason,
  (SELECT s.id FROM claims AS s WHERE s.supersedes = c.id
    AND NOT EXISTS (SELECT 1 FROM retractions AS q WHERE q.claim_id = s.id) ORDER BY s.id LIMIT 1) AS superseded_by
  FROM claims AS c LEFT JOIN retractions AS r ON r.claim_id = c.id`

/** A row of JOINED (or of claims with the same three columns more) → the claim with its retraction and superseder. */
export function joinedOf(row: Record<string, unknown>): Joined {
  return {
    claim: codec.fromRow(row),
    retractionAt: row.retraction_at as string | null,
    retractionReason: row.retraction_reason as string | null,
    supersededBy: row.superseded_by as string | null,
  }
}

type Joined = {
  claim: typeof claims.$inferSelect
  retractionAt: string | null
  retractionReason: string | null
  supersededBy: string | null
}

function retractionOf(row: Joined): { at: string; reason: string } | null {
  return row.retractionAt !== null && row.retractionReason !== null ? { at: row.retractionAt, reason: row.retractionReason } : null
}

/** The row as the engine reads it (contract §3–§5). */
// Object.assign, not an object spread (docs/operators.md#performance): every claim a list, an export or a write answers passes through it.
export function toEngineClaim(row: Joined): EngineClaim {
  const c = row.claim
  const base = {
    id: c.id,
    event_id: c.eventId,
    source_id: c.sourceId,
    via: c.via,
    stated_at: c.statedAt,
    recorded_at: c.recordedAt,
    supersedes: c.supersedes,
    retraction: retractionOf(row),
    quote: c.quote,
    url: c.url,
  }
  if (c.kind === 'figure') {
    return Object.assign(base, {
      kind: 'figure' as const,
      metric: c.metric as Metric,
      population: c.population as Population,
      party: c.party,
      qualifier: c.qualifier as Qualifier,
      value: c.value,
      low: c.low,
      high: c.high,
      best: c.best,
    })
  }
  return Object.assign(base, {
    kind: 'attribution' as const,
    stance: c.stance as Stance,
    actor_ids: c.actorIds ?? [],
    certainty: c.certainty as Certainty,
    role: c.role,
  })
}

/**
 * Rows a multi-row statement of insertMany writes (db/chunks), within both
 * stores' limit of parameters (32,766 on SQLite): claims have 26 columns,
 * claim_lanes 6, event_lanes 3, a tally 3; an external-id lookup has 2.
 */
const CLAIMS_CHUNK = 512
const LANES_CHUNK = 1024
const TALLIES_CHUNK = 256
const LOOKUP_CHUNK = 1024

/** The key of a (source, external_id) pair in findByExternalIds' answer. */
export function externalKey(sourceId: string, externalId: string): string {
  return JSON.stringify([sourceId, externalId])
}

/** `knownAt` meaning "as the database holds it now": after every recorded_at and retraction. */
const ALL_KNOWN = '9999-12-31T23:59:59.999Z'

/** The engine's columns (EngineRow), of claims AS c joined to its retraction AS r. */
export const ENGINE_COLUMNS = `c.id, c.event_id, c.kind, c.source_id, c.via, c.stated_at, c.recorded_at, c.supersedes, c.quote, c.url,
  c.metric, c.population, c.party, c.qualifier, c.value, c.low, c.high, c.best, c.stance, c.actor_ids, c.certainty, c.role,
  r.at AS retraction_at, r.reason AS retraction_reason`
const RETRACTION_JOIN = 'LEFT JOIN retractions AS r ON r.claim_id = c.id AND r.at <= @known_at'

/**
 * The latest claim of the lane and source of `p` that is in force as of
 * @as_of, as known at @known_at (contract §3 steps 1–3): stated by then,
 * recorded by known_at, not retracted by it, and not superseded by a claim
 * that is itself kept. `below` bounds the walk further.
 */
const inForceHead = (below = '') => `SELECT l.claim_id FROM claim_lanes AS l
  WHERE l.event_id = @event AND l.lane = p.lane AND l.source_id = p.source_id
    AND l.stated_at <= @as_of AND l.recorded_at <= @known_at ${below}
    AND NOT EXISTS (SELECT 1 FROM retractions AS r WHERE r.claim_id = l.claim_id AND r.at <= @known_at)
    AND NOT EXISTS (SELECT 1 FROM claims AS s WHERE s.supersedes = l.claim_id AND s.stated_at <= @as_of AND s.recorded_at <= @known_at
      AND NOT EXISTS (SELECT 1 FROM retractions AS q WHERE q.claim_id = s.id AND q.at <= @known_at))
  ORDER BY l.stated_at DESC, l.recorded_at DESC, l.claim_id DESC LIMIT 1`

/**
 * The counted set as of @as_of (engine countedSet), each row an EngineRow
 * and a flag: 0 for a counted claim (the head of its lanes: one per figure
 * group and origin source, one per origin source and actor), 1 for the
 * previous figure of a counted one (the warnings compare them).
 */
const COUNTED_SET = `WITH heads AS (
    SELECT p.lane, p.source_id, (${inForceHead()}) AS claim_id FROM event_lanes AS p WHERE p.event_id = @event
  ), figure_heads AS (
    SELECT h.lane, h.source_id, c.stated_at FROM heads AS h JOIN claims AS c ON c.id = h.claim_id WHERE h.lane LIKE 'f|%'
  ), previous AS (
    SELECT (${inForceHead('AND l.stated_at < p.stated_at')}) AS claim_id FROM figure_heads AS p
  )
  SELECT ${ENGINE_COLUMNS}, 0 FROM claims AS c ${RETRACTION_JOIN} WHERE c.id IN (SELECT claim_id FROM heads)
  UNION ALL
  SELECT ${ENGINE_COLUMNS}, 1 FROM claims AS c ${RETRACTION_JOIN} WHERE c.id IN (SELECT claim_id FROM previous)`

/** The columns of a figure that may be null: compared with `IS NULL` when the counted figure's is, so that claims_figure_idx serves. */
const NULLABLE_FIGURE = ['party', 'value', 'low', 'high', 'best'] as const
type NullableFigure = (typeof NULLABLE_FIGURE)[number]

/**
 * What the echo rule reads of one counted figure's group (CountedSet
 * `earlier`): its source's latest claim of the group before it in statement
 * order, not retracted as known at @known_at (a walk back through
 * claim_lanes), and the other sources' claims of the group not retracted
 * with the same figure stated before it (claims_figure_idx). One text per
 * pattern of nulls among NULLABLE_FIGURE (`nulls`), made once.
 */
const echoTexts = new Map<string, string>()
const echoEvidence = (nulls: ReadonlySet<NullableFigure>): string => {
  const key = [...nulls].join()
  let text = echoTexts.get(key)
  if (text === undefined) echoTexts.set(key, (text = echoEvidenceText(nulls)))
  return text
}
const echoEvidenceText = (nulls: ReadonlySet<NullableFigure>) => {
  const equal = (column: NullableFigure) => (nulls.has(column) ? `c.${column} IS NULL` : `c.${column} = @${column}`)
  return `SELECT ${ENGINE_COLUMNS} FROM claims AS c ${RETRACTION_JOIN}
  WHERE c.id = (SELECT l.claim_id FROM claim_lanes AS l
    WHERE l.event_id = @event AND l.lane = @lane AND l.source_id = @source AND l.recorded_at <= @known_at
      AND (l.stated_at, l.recorded_at, l.claim_id) < (@stated_at, @recorded_at, @id)
      AND NOT EXISTS (SELECT 1 FROM retractions AS q WHERE q.claim_id = l.claim_id AND q.at <= @known_at)
    ORDER BY l.stated_at DESC, l.recorded_at DESC, l.claim_id DESC LIMIT 1)
  UNION ALL
  SELECT ${ENGINE_COLUMNS} FROM claims AS c ${RETRACTION_JOIN}
  WHERE c.event_id = @event AND c.metric = @metric AND c.population = @population AND ${equal('party')}
    AND c.qualifier = @qualifier AND ${equal('value')} AND ${equal('low')} AND ${equal('high')} AND ${equal('best')}
    AND c.stated_at < @stated_at AND c.source_id <> @source AND c.recorded_at <= @known_at AND r.at IS NULL`
}

/**
 * A claim's lanes (claim_lanes): a figure's is its group, `f|metric|population|party`;
 * an attribution has one per actor it names, `a|actor`.
 */
export function lanesOf(c: Pick<ClaimInsert, 'kind' | 'metric' | 'population' | 'party' | 'actorIds'>): string[] {
  if (c.kind === 'figure') return [`f|${c.metric ?? ''}|${c.population ?? ''}|${c.party ?? ''}`]
  return [...new Set(c.actorIds ?? [])].map((actor) => `a|${actor}`)
}

/** claim_lanes, event_lanes and event_tallies from the claims alone, as `insert` writes them (lanesOf). */
const reindex = (dialect: Dialect) => [
  'DELETE FROM claim_lanes',
  'DELETE FROM event_lanes',
  'DELETE FROM event_tallies',
  `INSERT INTO claim_lanes (event_id, lane, source_id, stated_at, recorded_at, claim_id)
    SELECT event_id, 'f|' || metric || '|' || population || '|' || COALESCE(party, ''), source_id, stated_at, recorded_at, id
    FROM claims WHERE kind = 'figure'`,
  `INSERT INTO claim_lanes (event_id, lane, source_id, stated_at, recorded_at, claim_id)
    SELECT c.event_id, 'a|' || j.value, c.source_id, c.stated_at, c.recorded_at, c.id
    FROM claims AS c, ${jsonEachText(dialect, 'c.actor_ids', 'j')} WHERE c.kind = 'attribution'
    ON CONFLICT DO NOTHING`,
  'INSERT INTO event_lanes (event_id, lane, source_id) SELECT DISTINCT event_id, lane, source_id FROM claim_lanes',
  `INSERT INTO event_tallies (event_id, recorded_at, claims)
    SELECT event_id, recorded_at, SUM(n) OVER (PARTITION BY event_id ORDER BY recorded_at)
    FROM (SELECT event_id, recorded_at, COUNT(*) AS n FROM claims GROUP BY event_id, recorded_at) AS t`,
]

/** A row of ENGINE_COLUMNS, in their order (read with `.raw()`: arrays cost half what objects do). */
export type EngineRow = [
  id: string,
  event_id: string,
  kind: 'figure' | 'attribution',
  source_id: string,
  via: string,
  stated_at: string,
  recorded_at: string,
  supersedes: string | null,
  quote: string | null,
  url: string | null,
  metric: Metric | null,
  population: Population | null,
  party: string | null,
  qualifier: Qualifier | null,
  value: number | null,
  low: number | null,
  high: number | null,
  best: number | null,
  stance: Stance | null,
  actor_ids: string | null,
  certainty: Certainty | null,
  role: string | null,
  retraction_at: string | null,
  retraction_reason: string | null,
]

/** A row of the counted-set statement: the claim, then 0 (counted) or 1 (the previous figure of a counted one). */
type CountedRow = [...EngineRow, previous: 0 | 1]

/**
 * The claim of a row that starts with ENGINE_COLUMNS (more columns may follow).
 * Object literals, one per kind (docs/operators.md#performance): this runs for every claim of every summary.
 */
export function engineClaimOf(r: readonly [...EngineRow, ...unknown[]]): EngineClaim {
  const retraction = r[22] !== null ? { at: r[22], reason: r[23] ?? '' } : null
  if (r[2] === 'figure') {
    return {
      kind: 'figure',
      id: r[0],
      event_id: r[1],
      source_id: r[3],
      via: JSON.parse(r[4]) as string[],
      stated_at: r[5],
      recorded_at: r[6],
      supersedes: r[7],
      retraction,
      quote: r[8],
      url: r[9],
      metric: r[10] as Metric,
      population: r[11] as Population,
      party: r[12],
      qualifier: r[13] as Qualifier,
      value: r[14],
      low: r[15],
      high: r[16],
      best: r[17],
    }
  }
  return {
    kind: 'attribution',
    id: r[0],
    event_id: r[1],
    source_id: r[3],
    via: JSON.parse(r[4]) as string[],
    stated_at: r[5],
    recorded_at: r[6],
    supersedes: r[7],
    retraction,
    quote: r[8],
    url: r[9],
    stance: r[18] as Stance,
    actor_ids: r[19] === null ? [] : (JSON.parse(r[19]) as string[]),
    certainty: r[20] as Certainty,
    role: r[21],
  }
}

/** The row as the API shows it (contract §1, read-only fields included). */
export function toClaimOut(row: Joined): ClaimOut {
  const c = row.claim
  const retraction = retractionOf(row)
  const common = {
    id: c.id,
    event_id: c.eventId,
    source_id: c.sourceId,
    via: c.via,
    stated_at: c.statedAt,
    recorded_at: c.recordedAt,
    quote: c.quote,
    url: c.url,
    language: c.language,
    note: c.note,
    external_id: c.externalId,
    supersedes: c.supersedes,
    status: retraction ? ('retracted' as const) : row.supersededBy ? ('superseded' as const) : ('active' as const),
    superseded_by: row.supersededBy,
    retraction,
  }
  const engine = toEngineClaim(row)
  if (engine.kind === 'figure') {
    return {
      kind: 'figure',
      ...common,
      metric: engine.metric,
      population: engine.population,
      party: engine.party,
      qualifier: engine.qualifier,
      value: engine.value,
      low: engine.low,
      high: engine.high,
      best: engine.best,
      interval: interval(engine),
      point: point(engine),
    }
  }
  return {
    kind: 'attribution',
    ...common,
    stance: engine.stance,
    actor_ids: engine.actor_ids,
    certainty: engine.certainty,
    role: engine.role,
  }
}

export function createClaimsRepository(sql: Sql) {
  // The summary's hot path (#14): one statement seeks the counted set, whatever the length of the event's history.
  const tally = 'SELECT claims FROM event_tallies WHERE event_id = ? AND recorded_at <= ? ORDER BY recorded_at DESC LIMIT 1'
  const statedThrough = 'SELECT stated_at FROM claims WHERE event_id = ? AND stated_at <= ? ORDER BY stated_at DESC LIMIT 1'
  const statedAfter = 'SELECT stated_at FROM claims WHERE event_id = ? AND stated_at > ? ORDER BY stated_at LIMIT 1'
  // Both sides cast: PostgreSQL's COUNT is a bigint, its SUM a numeric.
  const accounted = `SELECT CASE WHEN CAST((SELECT COUNT(*) FROM claims) AS bigint) = CAST((SELECT COALESCE(SUM(t.claims), 0) FROM event_tallies AS t
    WHERE t.recorded_at = (SELECT MAX(u.recorded_at) FROM event_tallies AS u WHERE u.event_id = t.event_id)) AS bigint) THEN 1 ELSE 0 END`
  const d = sql.dialect
  // The bulk-ingest hot path (#15): multi-row statements in fixed sizes (db/chunks), positional parameters.
  const insertClaims = (
    n: number,
  ) => `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, quote, url, language, note,
       external_id, supersedes, fingerprint, metric, population, party, qualifier, value, low, high, best,
       stance, actor_ids, certainty, role)
     VALUES ${valuesOf(n, `(${Array.from({ length: 26 }, () => '?').join(', ')})`)}`
  const insertLanes = (n: number) =>
    `INSERT INTO claim_lanes (event_id, lane, source_id, stated_at, recorded_at, claim_id) VALUES ${valuesOf(n, '(?, ?, ?, ?, ?, ?)')}`
  const insertPairs = (n: number) =>
    `INSERT INTO event_lanes (event_id, lane, source_id) VALUES ${valuesOf(n, '(?, ?, ?)')} ON CONFLICT DO NOTHING`
  const pair = `${collatedText(d, '?')}, ${collatedText(d, '?')}`
  // A tally for each (event, recorded_at) of the batch that has none: the event's count just before it, as the table
  // holds it before the batch (its step function, so rows opened by an earlier chunk change nothing).
  const openTallies = (n: number) => `WITH b (event_id, recorded_at) AS (VALUES ${valuesOf(n, `(${pair})`)})
    INSERT INTO event_tallies (event_id, recorded_at, claims)
    SELECT b.event_id, b.recorded_at, COALESCE((SELECT t.claims FROM event_tallies AS t
      WHERE t.event_id = b.event_id AND t.recorded_at <= b.recorded_at ORDER BY t.recorded_at DESC LIMIT 1), 0)
    FROM b WHERE 1 = 1 ON CONFLICT (event_id, recorded_at) DO NOTHING`
  // Then every tally at or after a (event, recorded_at) of the batch counts its n claims: those of the batch's own
  // moments, and later ones (normally none: a clock set back).
  const addTallies = (n: number) => `WITH b (event_id, recorded_at, n) AS (VALUES ${valuesOf(n, `(${pair}, CAST(? AS integer))`)})
    UPDATE event_tallies SET claims = claims + (SELECT SUM(b.n) FROM b
      WHERE b.event_id = event_tallies.event_id AND b.recorded_at <= event_tallies.recorded_at)
    WHERE event_id IN (SELECT b.event_id FROM b) AND EXISTS (SELECT 1 FROM b
      WHERE b.event_id = event_tallies.event_id AND b.recorded_at <= event_tallies.recorded_at)`
  // CROSS JOIN: SQLite then keeps k the outer loop, a seek of the index per pair (with JOIN it scans the whole index
  // for a long k); PostgreSQL plans the two alike.
  const byExternalId = (n: number) => `WITH k (source_id, external_id) AS (VALUES ${valuesOf(n, `(${pair})`)})
    SELECT c.source_id, c.external_id, c.id, c.fingerprint FROM k CROSS JOIN claims AS c
    WHERE c.source_id = k.source_id AND c.external_id = k.external_id AND c.external_id IS NOT NULL`

  /**
   * Appends the claims, with their lanes (claim_lanes, event_lanes) and
   * their events' tallies (event_tallies), in multi-row statements of fixed
   * sizes (db/chunks): a batch of thousands in a few dozen statements.
   */
  async function insertMany(rows: ReadonlyArray<Required<ClaimInsert>>): Promise<void> {
    for (const chunk of chunks(rows, CLAIMS_CHUNK)) {
      const params: unknown[] = []
      for (const r of chunk) {
        params.push(
          r.id,
          r.eventId,
          r.kind,
          r.sourceId,
          JSON.stringify(r.via),
          r.statedAt,
          r.recordedAt,
          r.quote,
          r.url,
          r.language,
          r.note,
          r.externalId,
          r.supersedes,
          r.fingerprint,
          r.metric,
          r.population,
          r.party,
          r.qualifier,
          r.value,
          r.low,
          r.high,
          r.best,
          r.stance,
          r.actorIds === null ? null : JSON.stringify(r.actorIds),
          r.certainty,
          r.role,
        )
      }
      await sql.run(insertClaims(chunk.length), params)
    }

    const lanes: string[][] = []
    const pairs = new Map<string, string[]>()
    const tallies = new Map<string, { eventId: string; recordedAt: string; n: number }>()
    for (const r of rows) {
      for (const lane of lanesOf(r)) {
        lanes.push([r.eventId, lane, r.sourceId, r.statedAt, r.recordedAt, r.id])
        pairs.set(JSON.stringify([r.eventId, lane, r.sourceId]), [r.eventId, lane, r.sourceId])
      }
      const moment = JSON.stringify([r.eventId, r.recordedAt])
      const tally = tallies.get(moment)
      if (tally) tally.n++
      else tallies.set(moment, { eventId: r.eventId, recordedAt: r.recordedAt, n: 1 })
    }
    for (const chunk of chunks(lanes, LANES_CHUNK)) await sql.run(insertLanes(chunk.length), chunk.flat())
    for (const chunk of chunks([...pairs.values()], LANES_CHUNK)) await sql.run(insertPairs(chunk.length), chunk.flat())
    // All opened before any is added to: an added-to tally is no longer the step function openTallies reads.
    const moments = [...tallies.values()]
    for (const chunk of chunks(moments, TALLIES_CHUNK)) {
      await sql.run(
        openTallies(chunk.length),
        chunk.flatMap((m) => [m.eventId, m.recordedAt]),
      )
    }
    for (const chunk of chunks(moments, TALLIES_CHUNK)) {
      await sql.run(
        addTallies(chunk.length),
        chunk.flatMap((m) => [m.eventId, m.recordedAt, m.n]),
      )
    }
  }

  return {
    async get(id: string): Promise<ClaimOut | null> {
      const row = await sql.get<Record<string, unknown>>(`${JOINED} WHERE c.id = ?`, [id])
      return row ? toClaimOut(joinedOf(row)) : null
    },

    /** Every claim of the event as the API shows it, for its history. */
    async allOfEvent(eventId: string): Promise<ClaimOut[]> {
      return (await sql.all<Record<string, unknown>>(`${JOINED} WHERE c.event_id = ?`, [eventId])).map((row) => toClaimOut(joinedOf(row)))
    },

    /** Every claim of the event, retracted and superseded included, for the engine (provenance: it shows them all). */
    async forEngine(eventId: string): Promise<EngineClaim[]> {
      const rows = await sql.rows<EngineRow>(`SELECT ${ENGINE_COLUMNS} FROM claims AS c ${RETRACTION_JOIN} WHERE c.event_id = @event`, {
        event: eventId,
        known_at: ALL_KNOWN,
      })
      return rows.map(engineClaimOf)
    },

    /**
     * Every claim of every event stated by `asOf`, retracted and superseded
     * ones included, for the engine: what sources' track records are learnt
     * from (#16), never a claim stated later.
     */
    async allStatedBy(asOf: string): Promise<EngineClaim[]> {
      const rows = await sql.rows<EngineRow>(
        `SELECT ${ENGINE_COLUMNS} FROM claims AS c ${RETRACTION_JOIN} WHERE c.stated_at <= @as_of ORDER BY c.stated_at, c.id`,
        { as_of: asOf, known_at: ALL_KNOWN },
      )
      return rows.map(engineClaimOf)
    },

    /**
     * What the event's summary as of `asOf` shows (engine countedSet), as
     * the database held it at `knownAt` (default: as it holds it now):
     * sought through claim_lanes, one walk back from `asOf` per (lane,
     * origin source) past claims not in force, so its cost follows the
     * sources and groups, not the length of the history.
     */
    async countedAt(eventId: string, asOf: string, knownAt: string = ALL_KNOWN): Promise<CountedSet> {
      const set: CountedSet = { counted: [], previous: [], earlier: [] }
      for (const row of await sql.rows<CountedRow>(COUNTED_SET, { event: eventId, as_of: asOf, known_at: knownAt })) {
        if (row[24] === 0) set.counted.push(engineClaimOf(row))
        else set.previous.push(engineClaimOf(row) as FigureClaim)
      }
      const earlier = new Map<string, FigureClaim>()
      for (const c of set.counted) {
        if (c.kind !== 'figure') continue
        const nulls = new Set(NULLABLE_FIGURE.filter((column) => c[column] === null))
        const params = {
          event: eventId,
          known_at: knownAt,
          lane: lanesOf({ kind: 'figure', metric: c.metric, population: c.population, party: c.party })[0],
          source: c.source_id,
          stated_at: c.stated_at,
          recorded_at: c.recorded_at,
          id: c.id,
          metric: c.metric,
          population: c.population,
          qualifier: c.qualifier,
          ...Object.fromEntries(NULLABLE_FIGURE.filter((column) => !nulls.has(column)).map((column) => [column, c[column]])),
        }
        for (const row of await sql.rows<EngineRow>(echoEvidence(nulls), params)) earlier.set(row[0], engineClaimOf(row) as FigureClaim)
      }
      set.earlier = [...earlier.values()].sort(byStatement)
      return set
    },

    /** How many claims the event had at `knownAt` (default: has now), whatever their status or date: claims_total. */
    async totalAt(eventId: string, knownAt: string = ALL_KNOWN): Promise<number> {
      return (await sql.value<number>(tally, [eventId, knownAt])) ?? 0
    },

    /**
     * The latest stated_at of the event's claims that is at most `moment`, or
     * null: with the event's revision, which claims count "as of now".
     */
    async statedThrough(eventId: string, moment: string): Promise<string | null> {
      return (await sql.value<string>(statedThrough, [eventId, moment])) ?? null
    },

    /** The earliest stated_at after `moment`, or null: when a summary as of `moment` stops showing now. */
    async statedAfter(eventId: string, moment: string): Promise<string | null> {
      return (await sql.value<string>(statedAfter, [eventId, moment])) ?? null
    },

    /**
     * The claims recorded under any of the (source, external_id) pairs, keyed
     * by externalKey: a few statements however many pairs (db/chunks).
     */
    async findByExternalIds(
      pairs: ReadonlyArray<{ sourceId: string; externalId: string }>,
    ): Promise<Map<string, { id: string; fingerprint: string }>> {
      const found = new Map<string, { id: string; fingerprint: string }>()
      for (const chunk of chunks(pairs, LOOKUP_CHUNK)) {
        const params: unknown[] = []
        for (const p of chunk) params.push(p.sourceId, p.externalId)
        type Found = { source_id: string; external_id: string; id: string; fingerprint: string }
        for (const row of await sql.all<Found>(byExternalId(chunk.length), params)) {
          found.set(externalKey(row.source_id, row.external_id), { id: row.id, fingerprint: row.fingerprint })
        }
      }
      return found
    },

    /**
     * At start: rebuilds every claim's lanes and tally when they do not
     * account for every claim — a database migrated from before them, or
     * claims written straight through SQL (bench/data.ts). Returns whether
     * it did. One count of the claims when nothing is to do.
     */
    async reindexIfIncomplete(): Promise<boolean> {
      if (Number(await sql.value(accounted)) === 1) return false
      await sql.transaction(async () => {
        for (const statement of reindex(sql.dialect)) await sql.run(statement)
      })
      return true
    },

    insertMany,

    /** Appends one claim: insertMany of one row (the one way claims are written). */
    insert: (r: Required<ClaimInsert>): Promise<void> => insertMany([r]),

    async retract(claimId: string, at: string, reason: string): Promise<void> {
      await sql.run('INSERT INTO retractions (claim_id, at, reason) VALUES (?, ?, ?)', [claimId, at, reason])
    },
  }
}

export type ClaimsRepository = ReturnType<typeof createClaimsRepository>
