/** API keys (contract §13, issue #5): made, listed, revoked; hashed at rest; scopes; read-key mode; never in URLs or logs. */
import { createHash } from 'node:crypto'
import t from 'tap'
import { testStore } from '../store.js'
import { buildApp } from '../../src/app.js'
import { parseApiKeys } from '../../src/config.js'
import { type Problem, type Teardown, json } from '../helper.js'

const ADMIN = 'admin-token-0123456789'
const auth = (token: string) => ({ authorization: `Bearer ${token}` })

async function app(t: Teardown, extra: { apiKeys?: string; readsNeedKey?: boolean; logStream?: { write(line: string): void } } = {}) {
  const instance = await buildApp({
    config: {
      ...(await testStore()),
      apiKeys: parseApiKeys(extra.apiKeys ?? ''),
      logLevel: 'info',
      readsNeedKey: extra.readsNeedKey ?? false,
    },
    ...(extra.logStream ? { logStream: extra.logStream } : { logger: false }),
  })
  t.teardown(() => instance.close())
  return instance
}

interface Key {
  id: string
  name: string
  scopes: string[]
  prefix: string
  origin: string
  created_at: string | null
  revoked_at: string | null
  token?: string
}

const EVENT = { id: 'ev', title: 'An event', occurred_on: '2017-04-04' }

t.test('POST /keys answers the token once; GET /keys never shows it; the token works at once', async (t) => {
  const a = await app(t, { apiKeys: `${ADMIN}:admin` })
  const made = await a.inject({
    method: 'POST',
    url: '/keys',
    headers: auth(ADMIN),
    payload: { name: 'data desk', scopes: ['write', 'read'] },
  })
  t.equal(made.statusCode, 201)
  const key = json<Key>(made)
  t.match(key, { name: 'data desk', scopes: ['read', 'write'], origin: 'api', revoked_at: null })
  t.match(key.token, /^rk_[A-Za-z0-9_-]{43}$/, '256 random bits')
  t.equal(key.prefix, key.token?.slice(0, 7))

  const listed = await a.inject({ method: 'GET', url: '/keys', headers: auth(ADMIN) })
  t.equal(listed.statusCode, 200)
  t.notOk(listed.body.includes(key.token as string), 'no token in the list')
  t.notOk(listed.body.includes(ADMIN), 'nor a configured one')
  t.strictSame(
    json<{ items: Key[] }>(listed).items.map((k) => [k.id, k.origin, 'token' in k]),
    [
      ['env-1', 'environment', false],
      [key.id, 'api', false],
    ],
  )

  const row = (await a.sql.get<Record<string, unknown>>('SELECT * FROM api_keys')) ?? {}
  t.equal(
    row.token_hash,
    createHash('sha256')
      .update(key.token as string)
      .digest('hex'),
    'stored as its SHA-256 digest',
  )
  t.notOk(JSON.stringify(row).includes(key.token as string), 'the token itself is stored nowhere')

  const write = await a.inject({ method: 'POST', url: '/events', headers: auth(key.token as string), payload: EVENT })
  t.equal(write.statusCode, 201, 'the new key writes')
})

t.test('/keys needs the admin scope, whatever the mode', async (t) => {
  const a = await app(t, { apiKeys: `${ADMIN}:admin,writer:read+write` })
  for (const [headers, why] of [
    [{}, 'no key'],
    [auth('writer'), 'a write key'],
    [auth('nonsense'), 'an unknown token'],
  ] as const) {
    const res = await a.inject({ method: 'GET', url: '/keys', headers })
    t.equal(res.statusCode, 401, why)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.headers['www-authenticate'], /^Bearer realm="reckon"/)
  }
  const none = await app(t)
  t.equal((await none.inject({ method: 'GET', url: '/keys' })).statusCode, 401, 'even with no key configured: admin is never open')
  t.equal((await none.inject({ method: 'POST', url: '/events', payload: EVENT })).statusCode, 201, 'while writes are')
})

t.test('revoking: at once, listed with revoked_at, again changes nothing; configured keys are revoked in the configuration', async (t) => {
  const a = await app(t, { apiKeys: `${ADMIN}:admin` })
  const key = json<Key>(
    await a.inject({ method: 'POST', url: '/keys', headers: auth(ADMIN), payload: { name: 'script', scopes: ['write'] } }),
  )
  const revoked = await a.inject({ method: 'DELETE', url: `/keys/${key.id}`, headers: auth(ADMIN) })
  t.equal(revoked.statusCode, 200)
  const at = json<Key>(revoked).revoked_at
  t.ok(at)
  const denied = await a.inject({ method: 'POST', url: '/events', headers: auth(key.token as string), payload: EVENT })
  t.equal(denied.statusCode, 401)
  t.match(denied.headers['www-authenticate'], /error="invalid_token"/)
  t.equal(
    json<Key>(await a.inject({ method: 'DELETE', url: `/keys/${key.id}`, headers: auth(ADMIN) })).revoked_at,
    at,
    'a second revocation keeps the first date',
  )
  t.equal((await a.inject({ method: 'DELETE', url: '/keys/nope', headers: auth(ADMIN) })).statusCode, 404)
  const env = await a.inject({ method: 'DELETE', url: '/keys/env-1', headers: auth(ADMIN) })
  t.equal(env.statusCode, 409)
  t.match(json<Problem>(env).detail, /RECKON_API_KEYS/)
})

t.test('a key made with no key configured closes writes to the anonymous', async (t) => {
  const a = await app(t)
  t.equal((await a.inject({ method: 'POST', url: '/events', payload: EVENT })).statusCode, 201, 'open while there is no key')
  const made = await a.writes.now(() => a.keys.create('first', ['admin'])) // as `npm run keys -- create` does
  t.equal((await a.inject({ method: 'POST', url: '/events', payload: { ...EVENT, id: 'ev-2' } })).statusCode, 401, 'closed once one exists')
  t.equal(
    (await a.inject({ method: 'POST', url: '/events', headers: auth(made.token), payload: { ...EVENT, id: 'ev-2' } })).statusCode,
    201,
  )
  await a.writes.now(() => a.keys.revoke(made.id))
  t.equal(
    (await a.inject({ method: 'POST', url: '/events', payload: { ...EVENT, id: 'ev-3' } })).statusCode,
    201,
    'open again when none is left',
  )
})

t.test('scopes: read < write < admin; request bodies are checked', async (t) => {
  const a = await app(t, { apiKeys: `${ADMIN}:admin,reader:read` })
  const res = await a.inject({ method: 'POST', url: '/events', headers: auth('reader'), payload: EVENT })
  t.equal(res.statusCode, 401)
  t.match(res.headers['www-authenticate'], /error="insufficient_scope"/)
  t.equal((await a.inject({ method: 'POST', url: '/events', headers: auth(ADMIN), payload: EVENT })).statusCode, 201, 'admin writes')
  for (const [payload, path] of [
    [{ name: 'x', scopes: [] }, '/scopes'],
    [{ name: 'x', scopes: ['root'] }, '/scopes/0'],
    [{ name: 'x', scopes: ['read', 'read'] }, '/scopes'],
    [{ scopes: ['read'] }, '/name'],
  ] as const) {
    const bad = await a.inject({ method: 'POST', url: '/keys', headers: auth(ADMIN), payload })
    t.equal(bad.statusCode, 400)
    t.ok(
      json<Problem>(bad).errors?.some((e) => e.path === path),
      `names ${path}`,
    )
  }
})

t.test('read-key mode: reads need read; health and the API description stay open', async (t) => {
  const a = await app(t, { apiKeys: `${ADMIN}:admin,reader:read`, readsNeedKey: true })
  const anonymous = await a.inject({ method: 'GET', url: '/events' })
  t.equal(anonymous.statusCode, 401)
  t.match(json<Problem>(anonymous).detail, /read scope/)
  t.equal((await a.inject({ method: 'GET', url: '/events', headers: auth('reader') })).statusCode, 200)
  t.equal((await a.inject({ method: 'GET', url: '/events', headers: auth('wrong') })).statusCode, 401)
  for (const url of ['/health', '/openapi.json', '/docs/']) {
    t.equal((await a.inject({ method: 'GET', url })).statusCode, 200, `${url} is open`)
  }
})

t.test('tokens are refused in URLs, and never written to the logs', async (t) => {
  const lines: string[] = []
  const a = await app(t, { apiKeys: `${ADMIN}:admin`, logStream: { write: (line) => lines.push(line) } })
  for (const param of ['access_token', 'api_key', 'token', 'key']) {
    const res = await a.inject({ method: 'GET', url: `/events?limit=5&${param}=${ADMIN}` })
    t.equal(res.statusCode, 400, param)
    t.strictSame(json<Problem>(res).errors, [
      { path: `/${param}`, in: 'query', message: 'must not be sent: tokens go in the Authorization header' },
    ])
  }
  await a.inject({ method: 'POST', url: '/events', headers: auth(ADMIN), payload: EVENT })
  await a.inject({ method: 'POST', url: '/events', headers: auth(`${ADMIN}-wrong`), payload: EVENT })
  t.ok(lines.length >= 10, `${lines.length} log lines`)
  t.notOk(lines.join('\n').includes(ADMIN), 'no token in any log line')
  t.ok(
    lines.some((l) => l.includes('token=[redacted]')),
    'the URL is logged with the value masked',
  )
})
