/**
 * Idempotency keys (contract §9): the first response to a keyed POST, kept
 * so that a retry gets it again. A key is claimed (`in_flight`) before the
 * request runs and completed (`done`) with its response, or released when the
 * response is not worth keeping (5xx), so that a retry can run again.
 *
 * Every statement is prepared once; a claim is one short transaction that
 * also purges expired keys, so the table never needs a sweeper.
 */
import { and, eq, lt, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { idempotencyKeys } from '../db/schema.js'

/** How long a key is kept after its first request: 24 hours (contract §9: "at least 24 hours"). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000

/** One keyed request: who sent it (`scope`), its key, and what it was. */
export interface IdempotentRequest {
  /** A digest of the client's bearer token, or "anonymous". */
  scope: string
  key: string
  method: string
  /** The path with its query string. */
  path: string
  /** sha256 of method, path, media type and body. */
  fingerprint: string
}

export interface StoredResponse {
  status: number
  /** Only the headers that describe the body and the resource: content-type, location. */
  headers: Record<string, string>
  /** null when the response had no body. */
  body: string | null
}

export type ClaimOutcome =
  /** The key is new (or had expired): the request runs. */
  | { state: 'claimed' }
  /** The key was used for another request. */
  | { state: 'mismatch'; method: string; path: string }
  /** The key's first request has not finished. */
  | { state: 'in_flight' }
  /** The key's first request finished: replay this. */
  | { state: 'done'; response: StoredResponse }

export function createIdempotencyRepository(db: Db) {
  const t = idempotencyKeys
  const sameKey = and(eq(t.scope, sql.placeholder('scope')), eq(t.key, sql.placeholder('key')))

  const purge = db
    .delete(t)
    .where(lt(t.expiresAt, sql.placeholder('now')))
    .prepare()
  const insert = db
    .insert(t)
    .values({
      scope: sql.placeholder('scope'),
      key: sql.placeholder('key'),
      method: sql.placeholder('method'),
      path: sql.placeholder('path'),
      fingerprint: sql.placeholder('fingerprint'),
      state: 'in_flight',
      createdAt: sql.placeholder('createdAt'),
      expiresAt: sql.placeholder('expiresAt'),
    })
    .onConflictDoNothing()
    .prepare()
  const find = db.select().from(t).where(sameKey).prepare()
  const complete = db
    .update(t)
    .set({
      state: 'done',
      status: sql`${sql.placeholder('status')}`,
      headers: sql`${sql.placeholder('headers')}`,
      body: sql`${sql.placeholder('body')}`,
    })
    .where(and(sameKey, eq(t.state, 'in_flight')))
    .prepare()
  const release = db
    .delete(t)
    .where(and(sameKey, eq(t.state, 'in_flight')))
    .prepare()

  const claim = db.$client.transaction((request: IdempotentRequest, now: Date): ClaimOutcome => {
    const createdAt = now.toISOString()
    // Expired keys go first, so that an expired key can be claimed again.
    purge.run({ now: createdAt })
    const expiresAt = new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS).toISOString()
    if (insert.run({ ...request, createdAt, expiresAt }).changes === 1) return { state: 'claimed' }

    const row = find.get({ scope: request.scope, key: request.key })
    // The insert conflicted, and nothing else writes inside this transaction.
    if (!row) throw new Error('idempotency key vanished inside its transaction')
    if (row.fingerprint !== request.fingerprint || row.method !== request.method || row.path !== request.path) {
      return { state: 'mismatch', method: row.method, path: row.path }
    }
    if (row.state === 'in_flight' || row.status === null) return { state: 'in_flight' }
    return { state: 'done', response: { status: row.status, headers: row.headers ?? {}, body: row.body } }
  })

  return {
    /**
     * Claims `request.key` for this request, unless the scope already holds
     * the key unexpired: then says what the first request became. Purges
     * every expired key on the way.
     */
    claim(request: IdempotentRequest, now: Date = new Date()): ClaimOutcome {
      return claim(request, now)
    },

    /** Keeps the response of a claimed key, for replay. */
    complete(scope: string, key: string, response: StoredResponse): void {
      complete.run({ scope, key, status: response.status, headers: JSON.stringify(response.headers), body: response.body })
    },

    /** Gives up a claimed key whose response is not kept: the next request with it runs. */
    release(scope: string, key: string): void {
      release.run({ scope, key })
    },
  }
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>
