/**
 * Write keys from RECKON_API_KEYS (contract §0): when any key is configured,
 * every write needs `Authorization: Bearer <token>` with the write scope.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { ApiKey, Scope } from '../config.js'
import { UnauthorizedError } from '../errors.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** admin includes write, write includes read. */
function grants(scopes: Set<Scope>, needed: Scope): boolean {
  if (scopes.has('admin')) return true
  return needed === 'read' ? scopes.has('read') || scopes.has('write') : scopes.has(needed)
}

export default fp(async function authPlugin(app: FastifyInstance, opts: { apiKeys: ApiKey[] }) {
  if (opts.apiKeys.length === 0) return
  // Compare digests in constant time, so that neither length nor content leaks.
  const keys = opts.apiKeys.map((k) => ({ digest: digest(k.token), scopes: k.scopes }))
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method)) return
    const header = request.headers.authorization
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
    if (!match?.[1]) {
      throw new UnauthorizedError('Writes need an API key: send "Authorization: Bearer <token>".', null)
    }
    const presented = digest(match[1])
    const key = keys.find((k) => timingSafeEqual(k.digest, presented))
    if (!key) throw new UnauthorizedError('The API key is not valid.', 'invalid_token')
    if (!grants(key.scopes, 'write')) {
      throw new UnauthorizedError('The API key does not have the write scope.', 'insufficient_scope')
    }
  })
})
