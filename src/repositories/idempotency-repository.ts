/**
 * Idempotency keys (contract §9): the first response to a keyed POST, kept
 * so that a retry gets it again. A key is claimed (`in_flight`) before the
 * request runs and completed (`done`) with its response, or released when the
 * response is not worth keeping (5xx), so that a retry can run again.
 *
 * Every statement is prepared once; a claim is one short transaction that
 * also purges expired keys, so the table never needs a sweeper.
 */
import type { Sql } from '../db/sql.js'

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

interface Row {
  method: string
  path: string
  fingerprint: string
  state: 'in_flight' | 'done'
  status: number | null
  headers: string | null
  body: string | null
}

export function createIdempotencyRepository(sql: Sql) {
  const insert = `INSERT INTO idempotency_keys (scope, key, method, path, fingerprint, state, created_at, expires_at)
    VALUES (@scope, @key, @method, @path, @fingerprint, 'in_flight', @createdAt, @expiresAt) ON CONFLICT DO NOTHING`
  const find = 'SELECT method, path, fingerprint, state, status, headers, body FROM idempotency_keys WHERE scope = ? AND key = ?'

  return {
    /**
     * Claims `request.key` for this request, unless the scope already holds
     * the key unexpired: then says what the first request became. Purges
     * every expired key on the way.
     */
    claim(request: IdempotentRequest, now: Date = new Date()): Promise<ClaimOutcome> {
      return sql.transaction(async () => {
        const createdAt = now.toISOString()
        // Expired keys go first, so that an expired key can be claimed again.
        await sql.run('DELETE FROM idempotency_keys WHERE expires_at < ?', [createdAt])
        const expiresAt = new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_MS).toISOString()
        const { scope, key, method, path, fingerprint } = request
        if ((await sql.run(insert, { scope, key, method, path, fingerprint, createdAt, expiresAt })) === 1) return { state: 'claimed' }

        const row = await sql.get<Row>(find, [request.scope, request.key])
        // The insert conflicted, and nothing else writes inside this transaction.
        if (!row) throw new Error('idempotency key vanished inside its transaction')
        if (row.fingerprint !== request.fingerprint || row.method !== request.method || row.path !== request.path) {
          return { state: 'mismatch', method: row.method, path: row.path }
        }
        if (row.state === 'in_flight' || row.status === null) return { state: 'in_flight' }
        const headers = row.headers === null ? {} : (JSON.parse(row.headers) as Record<string, string>)
        return { state: 'done', response: { status: row.status, headers, body: row.body } }
      })
    },

    /** Keeps the response of a claimed key, for replay. */
    async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
      await sql.run(
        `UPDATE idempotency_keys SET state = 'done', status = ?, headers = ?, body = ? WHERE scope = ? AND key = ? AND state = 'in_flight'`,
        [response.status, JSON.stringify(response.headers), response.body, scope, key],
      )
    },

    /** Gives up a claimed key whose response is not kept: the next request with it runs. */
    async release(scope: string, key: string): Promise<void> {
      await sql.run(`DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'in_flight'`, [scope, key])
    },
  }
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>
