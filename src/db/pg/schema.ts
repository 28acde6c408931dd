/**
 * The PostgreSQL tables (#15): src/db/schema.ts table for table, column for
 * column, with the same table, column and index names, so that one SQL text
 * runs on both stores and answers alike (docs/postgresql.md):
 *
 * - every text column is `COLLATE "C"`: it compares and sorts bytewise, as
 *   SQLite's BINARY collation does, whatever the database's own locale;
 * - integers are `integer` where SQLite's values fit 32 bits, `bigint` where
 *   they need not (figures up to 10^12, counts, change-log seqs and what
 *   holds one), read back as JS numbers (src/db/pg/client.ts);
 * - booleans stay integer 0/1 and JSON stays text, as SQLite stores them;
 * - claims and retractions have an explicit `rowid` column, the insertion
 *   order SQLite gives every table, which the timeline reads (`c.rowid`);
 * - an index column that may be null sorts its nulls first, as SQLite's do;
 * - composite primary keys are named `<table>_pkey`, as PostgreSQL names the
 *   others (drizzle's default name for claim_lanes' passes the 63-byte limit).
 *
 * The initial migration (migrations/postgres) also creates the SQL function
 * unicode_lower(text), which the SQLite connection registers in JavaScript.
 */
import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  customType,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import type { Location } from '../schema.js'

/** Text compared and sorted bytewise: SQLite's BINARY collation. */
const text = customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
})

/** A JSON value stored as text, as SQLite's `text({ mode: 'json' })` stores it. */
function jsonText<T>(name: string) {
  return customType<{ data: T; driverData: string }>({
    dataType: () => 'text COLLATE "C"',
    toDriver: (value) => JSON.stringify(value),
    fromDriver: (value) => JSON.parse(value) as T,
  })(name)
}

/** A boolean stored as integer 0/1, as SQLite's `integer({ mode: 'boolean' })` stores it: the same SQL (`= 1`) reads both. */
const integerBoolean = customType<{ data: boolean; driverData: number }>({
  dataType: () => 'integer',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Number(value) === 1,
})

/** An integer that may pass 2^31 (a figure, a count, a seq), at most Number.MAX_SAFE_INTEGER in practice. */
function big(name: string) {
  return bigint(name, { mode: 'number' })
}

/**
 * The insertion order of a table's rows, which SQLite keeps as the implicit
 * `rowid`. Its sequence stops at Number.MAX_SAFE_INTEGER, so a value always
 * reads back exactly as a JS number.
 */
function rowid(table: string) {
  return big('rowid')
    .generatedAlwaysAsIdentity({ name: `${table}_rowid_seq`, maxValue: Number.MAX_SAFE_INTEGER })
    .unique(`${table}_rowid_unique`)
}

export const actors = pgTable(
  'actors',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    aliases: jsonText<string[]>('aliases').notNull(),
    kind: text('kind').notNull(),
    parentId: text('parent_id').references((): AnyPgColumn => actors.id),
    notes: text('notes'),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('actors_parent_idx').on(t.parentId.asc().nullsFirst())],
)

export const sources = pgTable('sources', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  aliases: jsonText<string[]>('aliases').notNull(),
  kind: text('kind').notNull(),
  country: text('country'),
  url: text('url'),
  affiliatedActorId: text('affiliated_actor_id').references(() => actors.id),
  notes: text('notes'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
})

export const aliases = pgTable(
  'aliases',
  {
    namespace: text('namespace').$type<'source' | 'actor'>().notNull(),
    key: text('key').notNull(),
    ownerId: text('owner_id').notNull(),
  },
  (t) => [primaryKey({ name: 'aliases_pkey', columns: [t.namespace, t.key] }), index('aliases_owner_idx').on(t.namespace, t.ownerId)],
)

export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    occurredOn: text('occurred_on').notNull(),
    endedOn: text('ended_on'),
    location: jsonText<Location>('location'),
    description: text('description'),
    tags: jsonText<string[]>('tags').notNull(),
    externalIds: jsonText<Record<string, string>>('external_ids').notNull(),
    /** A changes.seq. */
    revision: big('revision').notNull().default(1),
    createdAt: text('created_at').notNull(),
    updatedAt: text('updated_at').notNull(),
  },
  (t) => [index('events_occurred_on_idx').on(t.occurredOn)],
)

export const claims = pgTable(
  'claims',
  {
    rowid: rowid('claims'),
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    kind: text('kind').$type<'figure' | 'attribution'>().notNull(),
    sourceId: text('source_id')
      .notNull()
      .references(() => sources.id),
    via: jsonText<string[]>('via').notNull(),
    statedAt: text('stated_at').notNull(),
    recordedAt: text('recorded_at').notNull(),
    quote: text('quote'),
    url: text('url'),
    language: text('language'),
    note: text('note'),
    externalId: text('external_id'),
    supersedes: text('supersedes').references((): AnyPgColumn => claims.id),
    fingerprint: text('fingerprint').notNull(),
    // figure: counts up to 10^12 (src/schemas/claims.ts)
    metric: text('metric'),
    population: text('population'),
    party: text('party').references(() => actors.id),
    qualifier: text('qualifier'),
    value: big('value'),
    low: big('low'),
    high: big('high'),
    best: big('best'),
    // attribution
    stance: text('stance'),
    actorIds: jsonText<string[]>('actor_ids'),
    certainty: text('certainty'),
    role: text('role'),
  },
  (t) => [
    index('claims_event_stated_idx').on(t.eventId, t.statedAt),
    // A summary's possible echoes (#16): the claims of a figure group with one figure, stated before a moment.
    index('claims_figure_idx').on(t.eventId, t.metric, t.population, t.party, t.qualifier, t.value, t.low, t.high, t.statedAt),
    index('claims_source_stated_idx').on(t.sourceId, t.statedAt, t.id),
    index('claims_stated_idx').on(t.statedAt, t.id),
    index('claims_supersedes_idx').on(t.supersedes.asc().nullsFirst()),
    uniqueIndex('claims_source_external_idx')
      .on(t.sourceId, t.externalId)
      .where(sql`external_id IS NOT NULL`),
  ],
)

export const claimLanes = pgTable(
  'claim_lanes',
  {
    eventId: text('event_id').notNull(),
    lane: text('lane').notNull(),
    sourceId: text('source_id').notNull(),
    statedAt: text('stated_at').notNull(),
    recordedAt: text('recorded_at').notNull(),
    claimId: text('claim_id').notNull(),
  },
  (t) => [primaryKey({ name: 'claim_lanes_pkey', columns: [t.eventId, t.lane, t.sourceId, t.statedAt, t.recordedAt, t.claimId] })],
)

export const eventLanes = pgTable(
  'event_lanes',
  {
    eventId: text('event_id').notNull(),
    lane: text('lane').notNull(),
    sourceId: text('source_id').notNull(),
  },
  (t) => [primaryKey({ name: 'event_lanes_pkey', columns: [t.eventId, t.lane, t.sourceId] })],
)

export const eventTallies = pgTable(
  'event_tallies',
  {
    eventId: text('event_id').notNull(),
    recordedAt: text('recorded_at').notNull(),
    /** A count. */
    claims: big('claims').notNull(),
  },
  (t) => [primaryKey({ name: 'event_tallies_pkey', columns: [t.eventId, t.recordedAt] })],
)

export const retractions = pgTable('retractions', {
  rowid: rowid('retractions'),
  claimId: text('claim_id')
    .primaryKey()
    .references(() => claims.id),
  at: text('at').notNull(),
  reason: text('reason').notNull(),
})

export const changes = pgTable(
  'changes',
  {
    seq: big('seq').primaryKey().generatedAlwaysAsIdentity({ name: 'changes_seq_seq', maxValue: Number.MAX_SAFE_INTEGER }),
    at: text('at').notNull(),
    type: text('type').notNull(),
    id: text('id').notNull(),
    eventId: text('event_id'),
  },
  (t) => [index('changes_event_idx').on(t.eventId.asc().nullsFirst())],
)

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    fingerprint: text('fingerprint').notNull(),
    state: text('state').$type<'in_flight' | 'done'>().notNull(),
    /** An HTTP status. */
    status: integer('status'),
    headers: jsonText<Record<string, string>>('headers'),
    body: text('body'),
    createdAt: text('created_at').notNull(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [primaryKey({ name: 'idempotency_keys_pkey', columns: [t.scope, t.key] }), index('idempotency_expires_idx').on(t.expiresAt)],
)

export const eventRevisions = pgTable(
  'event_revisions',
  {
    eventId: text('event_id')
      .notNull()
      .references(() => events.id),
    /** The event's own count of revisions (1, 2, …), not a changes.seq. */
    seq: integer('seq').notNull(),
    at: text('at').notNull(),
    type: text('type').$type<'event.created' | 'event.updated'>().notNull(),
    snapshot: jsonText<Record<string, unknown>>('snapshot').notNull(),
  },
  (t) => [primaryKey({ name: 'event_revisions_pkey', columns: [t.eventId, t.seq] })],
)

export const eventDisputes = pgTable(
  'event_disputes',
  {
    eventId: text('event_id')
      .primaryKey()
      .references(() => events.id),
    level: text('level'),
    /** -1 to 3. */
    levelRank: integer('level_rank').notNull(),
    relativeSpread: doublePrecision('relative_spread'),
    killedLow: big('killed_low'),
    killedHigh: big('killed_high'),
    killedCounted: integerBoolean('killed_counted').notNull(),
    attributionStatus: text('attribution_status').notNull(),
    /** A count. */
    claims: big('claims').notNull(),
    computedAt: text('computed_at').notNull(),
  },
  (t) => [
    index('event_disputes_rank_idx').on(t.levelRank, t.relativeSpread.asc().nullsFirst(), t.eventId),
    index('event_disputes_claims_idx').on(t.claims, t.eventId),
  ],
)

export const disputeQueue = pgTable('dispute_queue', {
  eventId: text('event_id')
    .primaryKey()
    .references(() => events.id),
})

export const storedSummaries = pgTable('stored_summaries', {
  eventId: text('event_id')
    .primaryKey()
    .references(() => events.id),
  head: text('head').notNull(),
  tail: text('tail').notNull(),
  /** events.revision: a changes.seq. */
  revision: big('revision').notNull(),
  directory: text('directory').notNull(),
  through: text('through'),
  until: text('until'),
  computedAt: text('computed_at').notNull(),
})

export const apiKeys = pgTable('api_keys', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  scopes: jsonText<string[]>('scopes').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  prefix: text('prefix').notNull(),
  createdAt: text('created_at').notNull(),
  revokedAt: text('revoked_at'),
})
