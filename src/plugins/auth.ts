/**
 * API keys (contract §0, §13): `Authorization: Bearer <token>`, never a
 * token in the URL. Two hooks, so that the rate limiter (registered between
 * them) counts requests per key:
 *   - identify: who the token belongs to (request.apiKey), or no one;
 *   - enforce: the scope the route needs — `write` for writes once any key
 *     exists, `read` for reads in read-key mode, `admin` for /keys always.
 * admin includes write, write includes read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Scope } from '../config.js'
import { BadRequestError, UnauthorizedError } from '../errors.js'
import type { KeyIdentity, KeysRepository } from '../repositories/keys-repository.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs whatever the mode (the /keys routes: admin). */
    scope?: Scope
    /** Open to all even in read-key mode (health, the API's description, Swagger UI: plugins/swagger marks its routes). */
    public?: boolean
    /** A POST that writes nothing (POST /drafts): authorised as a read. */
    readOnly?: boolean
  }
  interface FastifyRequest {
    /** The key the request's token belongs to; null with no (valid) token. */
    apiKey: KeyIdentity | null
    /** A token was sent and is not a key's (unknown or revoked). */
    badToken: boolean
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Query parameters that would carry a token in a URL, where logs, histories and Referer headers keep it. */
const TOKEN_PARAMS = /(?:^|[?&])(access_token|api_key|apikey|token|key)=/i

export function grants(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  if (scopes.has('admin')) return true
  return needed === 'read' ? scopes.has('read') || scopes.has('write') : scopes.has(needed)
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1] ?? ''
}

export interface AuthOptions {
  keys: KeysRepository
  /** Reads need a key with `read` too. */
  readsNeedKey: boolean
}

export async function identify(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  app.decorateRequest('apiKey', null)
  app.decorateRequest('badToken', false)
  // Callback hooks (here and below): every request runs them, and most wait on nothing (a promise only when the store is asked).
  app.addHook('onRequest', (request, _reply, done) => {
    const query = request.url.indexOf('?')
    const param = query === -1 ? null : TOKEN_PARAMS.exec(request.url.slice(query))
    if (param) {
      return done(
        new BadRequestError(
          'API keys are never accepted in URLs: send "Authorization: Bearer <token>", and revoke a token that was sent in a URL.',
          [{ path: `/${param[1] as string}`, in: 'query', message: 'must not be sent: tokens go in the Authorization header' }],
        ),
      )
    }
    const token = bearer(request)
    if (token === null) return done()
    if (token === '') {
      request.apiKey = null
      request.badToken = true
      return done()
    }
    opts.keys.identify(token).then((key) => {
      request.apiKey = key
      request.badToken = key === null
      done()
    }, done)
  })
}

export async function enforce(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  app.addHook('onRequest', (request, _reply, done) => {
    const config = request.routeOptions.config
    const open = config.public === true
    const reads = SAFE_METHODS.has(request.method) || config.readOnly === true
    const needed: Scope | null = config.scope ?? (reads ? (opts.readsNeedKey && !open ? 'read' : null) : 'write')
    if (needed === null) return done()
    refusal(request, needed, config.scope === undefined, opts.keys).then((refused) => done(refused), done)
  })
}

/** Why the request may not have what it needs, or undefined when it may. */
async function refusal(
  request: FastifyRequest,
  needed: Scope,
  byDefault: boolean,
  keys: KeysRepository,
): Promise<UnauthorizedError | undefined> {
  // Writes are open until a key exists (contract §0); admin routes and read-key mode never are.
  if (needed === 'write' && byDefault && !(await keys.anyConfigured())) return undefined
  if (request.badToken) return new UnauthorizedError('The API key is not valid (unknown or revoked).', 'invalid_token')
  if (request.apiKey === null) {
    return new UnauthorizedError(`This needs an API key with the ${needed} scope: send "Authorization: Bearer <token>".`, null)
  }
  if (!grants(request.apiKey.scopes, needed)) {
    return new UnauthorizedError(`The API key does not have the ${needed} scope.`, 'insufficient_scope')
  }
  return undefined
}

export const identifyPlugin = fp(identify, { name: 'auth-identify' })
export const enforcePlugin = fp(enforce, { name: 'auth-enforce' })
