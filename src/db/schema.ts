/**
 * The tables. Claims and retractions are append-only: no code path updates
 * or deletes a row of either (contract §1, "Claims are immutable").
 */
import { sql } from 'drizzle-orm'
import { type AnySQLiteColumn, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

export interface Location {
  place?: string
  admin1?: string
  country?: string
  lat?: number
  lon?: number
}

export const actors = sqliteTable(
  'actors',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    aliases: text('aliases', { mode: 'json' }).$type<string[]>().notNull(),
    kind: text('kind').notNull(),
    parentId: text('parent_id').references((): AnySQLiteColumn => actors.id),
    notes: text('notes'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('actors_parent_idx').on(t.parentId)],
)

export const sources = sqliteTable('sources', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  aliases: text('aliases', { mode: 'json' }).$type<string[]>().notNull(),
  kind: text('kind').notNull(),
  country: text('country'),
  url: text('url'),
  affiliatedActorId: text('affiliated_actor_id').references(() => actors.id),
  notes: text('notes'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
})

/**
 * One row per alias, so that "an alias may belong to one source only" is a
 * unique index rather than a scan. `key` is the alias folded to lower case.
 */
export const aliases = sqliteTable(
  'aliases',
  {
    namespace: text('namespace', { enum: ['source', 'actor'] }).notNull(),
    key: text('key').notNull(),
    ownerId: text('owner_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.key] }), index('aliases_owner_idx').on(t.namespace, t.ownerId)],
)

export const events = sqliteTable(
  'events',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    occurredOn: text('occurred_on').notNull(),
    endedOn: text('ended_on'),
    location: text('location', { mode: 'json' }).$type<Location>(),
    description: text('description'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    externalIds: text('external_ids', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    /** The seq of the latest change (the change log's) to the event or its claims: its revision, for caches and ETags. */
    revision: integer('revision').notNull().default(1),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('events_occurred_on_idx').on(t.occurredOn)],
)

export const claims = sqliteTable(
  'claims',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    kind: text('kind', { enum: ['figure', 'attribution'] }).notNull(),
    sourceId: text('source_id')
      .notNull()
      .references(() => sources.id),
    via: text('via', { mode: 'json' }).$type<string[]>().notNull(),
    statedAt: text('stated_at').notNull(),
    recordedAt: text('recorded_at').notNull(),
    quote: text('quote'),
    url: text('url'),
    language: text('language'),
    note: text('note'),
    externalId: text('external_id'),
    supersedes: text('supersedes').references((): AnySQLiteColumn => claims.id),
    /** Hash of the claim as submitted, to tell an identical external_id replay from a different one. */
    fingerprint: text('fingerprint').notNull(),
    // figure
    metric: text('metric'),
    population: text('population'),
    party: text('party').references(() => actors.id),
    qualifier: text('qualifier'),
    value: integer('value'),
    low: integer('low'),
    high: integer('high'),
    best: integer('best'),
    // attribution
    stance: text('stance'),
    actorIds: text('actor_ids', { mode: 'json' }).$type<string[]>(),
    certainty: text('certainty'),
    role: text('role'),
  },
  (t) => [
    index('claims_event_stated_idx').on(t.eventId, t.statedAt),
    // A summary's possible echoes (#16): the claims of a figure group with one figure, stated before a moment.
    index('claims_figure_idx').on(t.eventId, t.metric, t.population, t.party, t.qualifier, t.value, t.low, t.high, t.statedAt),
    index('claims_source_stated_idx').on(t.sourceId, t.statedAt, t.id),
    // Lists and exports walk all claims in (stated_at, id) order.
    index('claims_stated_idx').on(t.statedAt, t.id),
    index('claims_supersedes_idx').on(t.supersedes),
    uniqueIndex('claims_source_external_idx')
      .on(t.sourceId, t.externalId)
      .where(sql`external_id IS NOT NULL`),
  ],
)

/**
 * Where each claim stands in its lanes, so that a summary as of any moment
 * seeks the claims it counts instead of reading the event's history (#14).
 * A figure has one lane, its group: `f|metric|population|party`; an
 * attribution has one per actor it names: `a|actor` (contract §3.4, §3.5).
 * Written with the claims by the claims repository (insertMany), and
 * rebuilt at start when they do not account for every claim (claims
 * written straight through SQL); never updated, like the claims.
 */
export const claimLanes = sqliteTable(
  'claim_lanes',
  {
    eventId: text('event_id').notNull(),
    lane: text('lane').notNull(),
    sourceId: text('source_id').notNull(),
    statedAt: text('stated_at').notNull(),
    recordedAt: text('recorded_at').notNull(),
    claimId: text('claim_id').notNull(),
  },
  // The §3 order within a (lane, origin source): a summary walks it backwards from its moment.
  (t) => [primaryKey({ columns: [t.eventId, t.lane, t.sourceId, t.statedAt, t.recordedAt, t.claimId] })],
)

/** The (lane, origin source) pairs of each event: the counted set has at most one claim per pair. */
export const eventLanes = sqliteTable(
  'event_lanes',
  {
    eventId: text('event_id').notNull(),
    lane: text('lane').notNull(),
    sourceId: text('source_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.lane, t.sourceId] })],
)

/**
 * How many claims each event had, at each recorded_at of its claims:
 * `claims_total` as the database held it at any `known_at` is one seek.
 * Kept by the claims repository as it writes claims (insertMany).
 */
export const eventTallies = sqliteTable(
  'event_tallies',
  {
    eventId: text('event_id').notNull(),
    recordedAt: text('recorded_at').notNull(),
    /** Claims of the event recorded at or before recorded_at. */
    claims: integer('claims').notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.recordedAt] })],
)

/** A retraction is a fact recorded about a claim, not an edit of it. */
export const retractions = sqliteTable('retractions', {
  claimId: text('claim_id')
    .primaryKey()
    .references(() => claims.id),
  at: text('at').notNull(),
  reason: text('reason').notNull(),
})

/** Every write, in order: the change feed of contract §11 reads this. */
export const changes = sqliteTable(
  'changes',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    type: text('type').notNull(),
    id: text('id').notNull(),
    eventId: text('event_id'),
  },
  (t) => [index('changes_event_idx').on(t.eventId)],
)

/**
 * Idempotency-Key (contract §9): the first response to a keyed POST, replayed
 * to retries. `scope` separates clients (a digest of their API key, or
 * "anonymous"); rows expire after `expires_at`.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    /** sha256 of method, path and body: the same key with another request is a 422. */
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['in_flight', 'done'] }).notNull(),
    status: integer('status'),
    headers: text('headers', { mode: 'json' }).$type<Record<string, string>>(),
    body: text('body'),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_expires_idx').on(t.expiresAt)],
)

/**
 * The event as it stood after each write to its metadata, so that its
 * history (contract §11) shows what every edit changed.
 */
export const eventRevisions = sqliteTable(
  'event_revisions',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    seq: integer('seq').notNull(),
    at: text('at').notNull(),
    type: text('type', { enum: ['event.created', 'event.updated'] }).notNull(),
    snapshot: text('snapshot', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.seq] })],
)

/**
 * Each event's dispute block (contract §10), kept up to date by every write
 * to its claims so that GET /events can filter and sort on it without
 * summarising every event. `level_rank` orders levels: conflicting 3,
 * compatible 2, agreement 1, single_source 0, no figures -1.
 */
export const eventDisputes = sqliteTable(
  'event_disputes',
  {
    eventId: text('event_id')
      .primaryKey()
      .references(() => events.id),
    level: text('level'),
    levelRank: integer('level_rank').notNull(),
    relativeSpread: real('relative_spread'),
    killedLow: integer('killed_low'),
    killedHigh: integer('killed_high'),
    killedCounted: integer('killed_counted', { mode: 'boolean' }).notNull(),
    attributionStatus: text('attribution_status').notNull(),
    claims: integer('claims').notNull(),
    computedAt: text('computed_at').notNull(),
  },
  (t) => [
    index('event_disputes_rank_idx').on(t.levelRank, t.relativeSpread, t.eventId),
    index('event_disputes_claims_idx').on(t.claims, t.eventId),
  ],
)

/**
 * Events whose dispute block is out of date: writes queue them here (cheap,
 * in the write's transaction) and readers of the blocks refresh them first,
 * so bulk ingest does not summarise an event once per batch.
 */
export const disputeQueue = sqliteTable('dispute_queue', {
  eventId: text('event_id')
    .primaryKey()
    .references(() => events.id),
})

/**
 * Each event's whole summary as of `computed_at`, serialized, beside its
 * dispute block and refreshed with it: GET /events/{id}/summary "now" sends
 * it as it is, with as_of spliced in between `head` and `tail`, for as long
 * as it shows now — the event's `revision` and the `directory` (sources' and
 * actors' revisions) unchanged, and no claim stated since (`until` is the
 * next stated_at; `through` the latest stated_at by then). Its own table,
 * so that event_disputes stays narrow for the lists that scan it.
 */
export const storedSummaries = sqliteTable('stored_summaries', {
  eventId: text('event_id')
    .primaryKey()
    .references(() => events.id),
  head: text('head').notNull(),
  tail: text('tail').notNull(),
  revision: integer('revision').notNull(),
  directory: text('directory').notNull(),
  /** The latest stated_at, at most computed_at, of the event's claims (null: none yet): with the revision, which of them it counts. */
  through: text('through'),
  until: text('until'),
  computedAt: text('computed_at').notNull(),
})

/**
 * API keys made through POST /keys or `npm run keys` (contract §13): the
 * token is shown once and stored only as its SHA-256 digest (tokens are 256
 * random bits: a slow hash would add nothing). `prefix` is the token's first
 * characters, so a person can tell keys apart; `revoked_at` set means revoked
 * (keys are never deleted).
 */
export const apiKeys = sqliteTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
})
