/**
 * API keys (contract §13). Stored keys come from POST /keys and `npm run
 * keys`; keys from RECKON_API_KEYS are kept in memory only (configuration,
 * not data) and listed beside them, never revocable through the API.
 * A token is `rk_` and 43 base64url characters (256 random bits); only its
 * SHA-256 digest is stored. Every request looks its token up in the
 * database, so a key revoked by the CLI stops working at once.
 */
import { createHash, randomBytes } from 'node:crypto'
import { uuidv7 } from 'uuidv7'
import { type ApiKey, SCOPES, type Scope } from '../config.js'
import type { Sql } from '../db/sql.js'
import { ConflictError, NotFoundError } from '../errors.js'
import { nowIso } from '../lib/time.js'

export interface KeyOut {
  id: string
  name: string
  scopes: Scope[]
  /** The token's first characters, to tell keys apart. */
  prefix: string
  origin: 'api' | 'environment'
  created_at: string | null
  revoked_at: string | null
}

/** Who a request's token belongs to. */
export interface KeyIdentity {
  id: string
  scopes: ReadonlySet<Scope>
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

const PREFIX_LENGTH = 7

interface Row {
  id: string
  name: string
  scopes: string
  prefix: string
  created_at: string
  revoked_at: string | null
}

function toKey(row: Row): KeyOut {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    prefix: row.prefix,
    origin: 'api',
    created_at: row.created_at,
    revoked_at: row.revoked_at,
  }
}

/** In SCOPES order, each once. */
function ordered(scopes: Iterable<Scope>): Scope[] {
  const set = new Set(scopes)
  return SCOPES.filter((s) => set.has(s))
}

export function createKeysRepository(sql: Sql, configured: readonly ApiKey[] = []) {
  const insert =
    'INSERT INTO api_keys (id, name, scopes, token_hash, prefix, created_at) VALUES (@id, @name, @scopes, @token_hash, @prefix, @created_at)'
  const byHash = 'SELECT id, scopes FROM api_keys WHERE token_hash = ? AND revoked_at IS NULL'
  const columns = 'SELECT id, name, scopes, prefix, created_at, revoked_at FROM api_keys'

  const fromEnvironment = configured.map((k, i) => ({
    digest: tokenDigest(k.token),
    identity: { id: `env-${i + 1}`, scopes: k.scopes } satisfies KeyIdentity,
    out: {
      id: `env-${i + 1}`,
      name: `RECKON_API_KEYS entry ${i + 1}`,
      scopes: ordered(k.scopes),
      prefix: k.token.slice(0, PREFIX_LENGTH),
      origin: 'environment',
      created_at: null,
      revoked_at: null,
    } satisfies KeyOut,
  }))

  return {
    /** A new key and its token, which is not kept and cannot be shown again. */
    async create(name: string, scopes: readonly Scope[]): Promise<KeyOut & { token: string }> {
      const token = `rk_${randomBytes(32).toString('base64url')}`
      const row: Row & { token_hash: string } = {
        id: uuidv7(),
        name,
        scopes: JSON.stringify(ordered(scopes)),
        token_hash: tokenDigest(token),
        prefix: token.slice(0, PREFIX_LENGTH),
        created_at: nowIso(),
        revoked_at: null,
      }
      await sql.run(insert, {
        id: row.id,
        name,
        scopes: row.scopes,
        token_hash: row.token_hash,
        prefix: row.prefix,
        created_at: row.created_at,
      })
      return { ...toKey(row), token }
    },

    /** The configured keys, then the stored ones (revoked too), oldest first. */
    async list(): Promise<KeyOut[]> {
      return [...fromEnvironment.map((k) => k.out), ...(await sql.all<Row>(`${columns} ORDER BY id`)).map(toKey)]
    },

    /** Revokes the key (again: no change). 404 unknown, 409 a configured key. */
    async revoke(id: string): Promise<KeyOut> {
      if (fromEnvironment.some((k) => k.out.id === id)) {
        throw new ConflictError(`Key "${id}" comes from RECKON_API_KEYS: remove it there and restart to revoke it.`)
      }
      await sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [nowIso(), id])
      const row = await sql.get<Row>(`${columns} WHERE id = ?`, [id])
      if (row === undefined) throw new NotFoundError('key', id)
      return toKey(row)
    },

    /** The key a token belongs to, or null (unknown or revoked). Digests are compared by the index, not by the token. */
    async identify(token: string): Promise<KeyIdentity | null> {
      const digest = tokenDigest(token)
      const env = fromEnvironment.find((k) => k.digest === digest)
      if (env) return env.identity
      const row = await sql.get<{ id: string; scopes: string }>(byHash, [digest])
      return row === undefined ? null : { id: row.id, scopes: new Set(JSON.parse(row.scopes) as Scope[]) }
    },

    /** Whether any key can be used: then writes need one (contract §0). */
    async anyConfigured(): Promise<boolean> {
      if (fromEnvironment.length > 0) return true
      return (await sql.value('SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1')) !== undefined
    },
  }
}

export type KeysRepository = ReturnType<typeof createKeysRepository>
