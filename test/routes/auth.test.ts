import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build, json, post } from '../helper.js'

interface Problem {
  type: string
  title: string
  status: number
  detail: string
  errors?: unknown[]
}

const KEYS = 'w1:read+write,r1:read,a1:admin'

type Asserts = Pick<typeof t, 'equal' | 'match' | 'notMatch' | 'ok' | 'type'>

function bearer(token: string) {
  return { authorization: `Bearer ${token}` }
}

function assertUnauthorized(t: Asserts, res: LightMyRequestResponse, what: string): Problem {
  t.equal(res.statusCode, 401, what)
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`)
  const challenge = res.headers['www-authenticate']
  t.type(challenge, 'string', `${what}: www-authenticate`)
  t.match(challenge, /^Bearer\b/, `${what}: a Bearer challenge`)
  const problem = json<Problem>(res)
  t.equal(problem.status, 401, what)
  t.type(problem.type, 'string')
  t.type(problem.title, 'string')
  t.type(problem.detail, 'string')
  t.notMatch(res.body, /w1|r1|a1/, `${what}: no token is echoed`)
  return problem
}

const source = { name: 'Syrian Observatory for Human Rights', kind: 'monitor' }

t.test('with keys configured, a write without Authorization is a 401 problem with a challenge', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  const res = await post(app, '/sources', source)
  assertUnauthorized(t, res, 'no header')
  t.notMatch(String(res.headers['www-authenticate']), /error=/, 'no error code when no credentials were sent (RFC 6750 §3.1)')
  for (const [method, url] of [
    ['POST', '/actors'],
    ['POST', '/events'],
    ['PATCH', '/sources/x'],
    ['PATCH', '/events/x'],
  ] as const) {
    assertUnauthorized(t, await app.inject({ method, url, payload: {} }), `${method} ${url}`)
  }
  const list = await app.inject({ method: 'GET', url: '/sources' })
  t.strictSame(json<{ items: unknown[] }>(list).items, [], 'nothing was written')
})

t.test('a malformed Authorization header is a 401', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  for (const authorization of ['w1', 'Basic dzE6', 'Bearer', 'Bearer ', 'Token w1', 'Bearer w1 extra']) {
    assertUnauthorized(t, await post(app, '/sources', source, { authorization }), JSON.stringify(authorization))
  }
})

t.test('an unknown token is a 401 invalid_token', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  for (const token of ['nope', 'w1x', 'W1', 'w', 'w1:read+write']) {
    const res = await post(app, '/sources', source, bearer(token))
    assertUnauthorized(t, res, token)
    t.match(res.headers['www-authenticate'], /error="invalid_token"/, token)
  }
})

t.test('a read-only token on a write is a 401 insufficient_scope', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  const res = await post(app, '/sources', source, bearer('r1'))
  assertUnauthorized(t, res, 'read-only token')
  t.match(res.headers['www-authenticate'], /error="insufficient_scope"/)
  const patch = await app.inject({ method: 'PATCH', url: '/sources/x', payload: {}, headers: bearer('r1') })
  assertUnauthorized(t, patch, 'read-only token on PATCH')
  t.equal((await app.inject({ method: 'GET', url: '/sources' })).body, JSON.stringify({ items: [], next_cursor: null }))
})

t.test('write and admin tokens can write', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  const w = await post(app, '/sources', source, bearer('w1'))
  t.equal(w.statusCode, 201, 'write scope')
  const a = await post(app, '/sources', { ...source, id: 'sohr-2' }, bearer('a1'))
  t.equal(a.statusCode, 201, 'admin scope includes write')
  const lower = await post(app, '/actors', { name: 'Government', kind: 'state' }, { authorization: 'bearer w1' })
  t.equal(lower.statusCode, 201, 'the scheme is case-insensitive')
  const patch = await app.inject({ method: 'PATCH', url: '/sources/sohr-2', payload: { notes: 'x' }, headers: bearer('w1') })
  t.equal(patch.statusCode, 200)
  t.equal(json<{ notes: string }>(patch).notes, 'x')
})

t.test('authentication comes before validation', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  const res = await post(app, '/sources', { bogus: true })
  t.equal(res.statusCode, 401, 'an unauthenticated invalid body is a 401, not a 400')
  const authed = await post(app, '/sources', { bogus: true }, bearer('w1'))
  t.equal(authed.statusCode, 400, 'an authenticated invalid body is a 400')
})

t.test('reads need no token', async (t) => {
  const app = await build(t, { apiKeys: KEYS })
  t.equal((await post(app, '/sources', { ...source, id: 'sohr' }, bearer('w1'))).statusCode, 201)
  for (const url of ['/sources', '/sources/sohr', '/actors', '/events', '/health']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['www-authenticate'], undefined, url)
  }
  const missing = await app.inject({ method: 'GET', url: '/sources/nope' })
  t.equal(missing.statusCode, 404, 'an unknown record is still a 404, not a 401')
  const badToken = await app.inject({ method: 'GET', url: '/sources', headers: bearer('nope') })
  t.equal(badToken.statusCode, 200, 'a GET is not refused for a stray token')
})

t.test('without keys configured, writes are open', async (t) => {
  const app = await build(t)
  const res = await post(app, '/sources', source)
  t.equal(res.statusCode, 201)
  const withToken = await post(app, '/actors', { name: 'Government', kind: 'state' }, bearer('anything'))
  t.equal(withToken.statusCode, 201, 'a stray token is ignored')
  const patch = await app.inject({ method: 'PATCH', url: '/actors/government', payload: { notes: 'n' } })
  t.equal(patch.statusCode, 200)
})
