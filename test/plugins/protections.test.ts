/** Rate limits, CORS, security headers, load shedding, timeouts and body limits (issue #5): each refusal a problem document. */
import { connect } from 'node:net'
import t from 'tap'
import { testStore } from '../store.js'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import { parseApiKeys } from '../../src/config.js'
import { PAGE_ONLY_HEADERS } from '../../src/plugins/protections.js'
import { type Problem, type Teardown, json } from '../helper.js'

type Extra = Partial<Pick<Config, 'rateLimit' | 'corsOrigins' | 'trustProxy' | 'requestTimeoutMs' | 'maxEventLoopDelayMs'>>

async function app(t: Teardown, extra: Extra = {}, apiKeys = '') {
  const instance = await buildApp({
    config: { ...(await testStore()), apiKeys: parseApiKeys(apiKeys), logLevel: 'silent', ...extra },
    logger: false,
  })
  t.teardown(() => instance.close())
  return instance
}

t.test('behind trusted proxies (RECKON_TRUST_PROXY), clients without a key count by their forwarded address', async (t) => {
  // light-my-request's requests come from 127.0.0.1: the proxy here.
  const from = (a: Awaited<ReturnType<typeof app>>, forwarded: string) =>
    a.inject({ method: 'GET', url: '/events', headers: { 'x-forwarded-for': forwarded } })
  const statuses = async (a: Awaited<ReturnType<typeof app>>, forwarded: string, n: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await from(a, forwarded)).statusCode)
    return out
  }
  for (const trustProxy of [['127.0.0.1'], ['127.0.0.0/8', '10.0.0.0/8'], 1]) {
    const a = await app(t, { rateLimit: 2, trustProxy })
    t.strictSame(await statuses(a, '203.0.113.5', 3), [200, 200, 429], `${JSON.stringify(trustProxy)}: one client's allowance`)
    t.strictSame(await statuses(a, '203.0.113.6', 2), [200, 200], 'another client has its own')
    // A client's own X-Forwarded-For, before the proxy's: the proxy's entry (the last) is the client.
    t.strictSame(await statuses(a, '198.51.100.1, 203.0.113.5', 1), [429], 'an address a client claims for itself is not believed')
  }
  const untrusted = await app(t, { rateLimit: 2 })
  t.strictSame(
    [...(await statuses(untrusted, '203.0.113.5', 2)), ...(await statuses(untrusted, '203.0.113.6', 1))],
    [200, 200, 429],
    'without it, every client of the proxy shares its allowance',
  )
})

t.test('rate limit: per key, then per client address; a 429 problem with Retry-After', async (t) => {
  const a = await app(t, { rateLimit: 3 }, 'one:read+write,two:read+write')
  const get = (token?: string) => a.inject({ method: 'GET', url: '/events', headers: token ? { authorization: `Bearer ${token}` } : {} })
  for (let i = 0; i < 3; i++) {
    const ok = await get('one')
    t.equal(ok.statusCode, 200)
    t.equal(ok.headers['x-ratelimit-limit'], '3')
    t.equal(ok.headers['x-ratelimit-remaining'], String(2 - i))
  }
  const limited = await get('one')
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], /^application\/problem\+json/)
  t.match(json<Problem>(limited), { type: 'urn:reckon:problem:rate-limited', status: 429, detail: /3 requests a minute/ })
  t.ok(
    Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60,
    `Retry-After ${String(limited.headers['retry-after'])}`,
  )
  t.equal((await get('two')).statusCode, 200, 'another key has its own allowance')
  for (let i = 0; i < 3; i++) t.equal((await get()).statusCode, 200, 'so does a client without a key')
  t.equal((await get()).statusCode, 429)
})

t.test('CORS: only configured origins, with the headers a dashboard reads', async (t) => {
  const a = await app(t, { corsOrigins: ['https://desk.example.org'] })
  const allowed = await a.inject({ method: 'GET', url: '/events', headers: { origin: 'https://desk.example.org' } })
  t.equal(allowed.headers['access-control-allow-origin'], 'https://desk.example.org')
  t.match(allowed.headers['access-control-expose-headers'], /ETag/)
  t.match(allowed.headers.vary, /Origin/)
  const preflight = await a.inject({
    method: 'OPTIONS',
    url: '/claims',
    headers: {
      origin: 'https://desk.example.org',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,idempotency-key',
    },
  })
  t.equal(preflight.statusCode, 204)
  t.match(preflight.headers['access-control-allow-methods'], /POST/)
  t.match(preflight.headers['access-control-allow-headers'], /Idempotency-Key/)
  const other = await a.inject({ method: 'GET', url: '/events', headers: { origin: 'https://elsewhere.example' } })
  t.equal(other.statusCode, 200, 'answered (CORS is for browsers)…')
  t.equal(other.headers['access-control-allow-origin'], undefined, '…without letting another origin’s page read it')
  const none = await app(t)
  t.equal(
    (await none.inject({ method: 'GET', url: '/events', headers: { origin: 'https://desk.example.org' } })).headers[
      'access-control-allow-origin'
    ],
    undefined,
    'no origins configured: no CORS',
  )
})

t.test('security headers: a strict CSP on the API; Swagger UI and the landing page carry their own', async (t) => {
  const a = await app(t)
  const api = await a.inject({ method: 'GET', url: '/events' })
  t.match(api.headers['content-security-policy'], /default-src 'self'/)
  t.match(api.headers['content-security-policy'], /object-src 'none'/)
  t.equal(api.headers['x-content-type-options'], 'nosniff')
  t.equal(api.headers['cross-origin-resource-policy'], 'cross-origin', 'charts can be embedded elsewhere')
  t.equal(api.headers['x-powered-by'], undefined)
  t.equal(api.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(api.headers['referrer-policy'], 'no-referrer')
  t.equal(api.headers['strict-transport-security'], undefined, 'HSTS is for the TLS proxy in front')
  for (const name of PAGE_ONLY_HEADERS) t.equal(api.headers[name], undefined, `${name}: for pages, not API responses`)
  const docs = await a.inject({ method: 'GET', url: '/docs' })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-security-policy'], /script-src 'self'/, 'Swagger UI: its own policy (it works under it: test/browser)')
  const landing = await a.inject({ method: 'GET', url: '/' })
  t.match(landing.headers['content-security-policy'], /style-src 'unsafe-inline'/)
  for (const page of [docs, landing]) {
    t.equal(page.headers['cross-origin-opener-policy'], 'same-origin', 'pages: every helmet header')
    t.equal(page.headers['x-dns-prefetch-control'], 'off')
    t.equal(page.headers['x-content-type-options'], 'nosniff')
    t.equal(page.headers['x-frame-options'], 'SAMEORIGIN')
  }
})

t.test('under pressure: a 503 problem with Retry-After while the event loop lags, then service again', async (t) => {
  const a = await buildApp({ config: { ...(await testStore()), apiKeys: [], logLevel: 'silent', maxEventLoopDelayMs: 20 }, logger: false })
  t.teardown(() => a.close())
  await a.ready()
  // The event loop blocked again and again, as by runaway computations, for more than one of under-pressure's 1 s samples.
  const until = Date.now() + 1500
  while (Date.now() < until) {
    const busyUntil = Date.now() + 60
    while (Date.now() < busyUntil) {
      // busy
    }
    await new Promise((r) => setImmediate(r))
  }
  let shed: Awaited<ReturnType<typeof a.inject>> | null = null
  for (let i = 0; i < 40 && shed === null; i++) {
    await new Promise((r) => setTimeout(r, 25))
    const res = await a.inject({ method: 'GET', url: '/events' })
    if (res.statusCode === 503) shed = res
  }
  t.ok(shed, 'a request was shed after the lag')
  if (shed) {
    t.match(shed.headers['content-type'], /^application\/problem\+json/)
    t.match(json<Problem>(shed), { type: 'urn:reckon:problem:overloaded', status: 503 })
    t.equal(shed.headers['retry-after'], '5')
  }
  let served = false
  for (let i = 0; i < 100 && !served; i++) {
    await new Promise((r) => setTimeout(r, 50))
    served = (await a.inject({ method: 'GET', url: '/events' })).statusCode === 200
  }
  t.ok(served, 'served again once the loop is responsive')
})

t.test('a request that does not arrive whole in time gets a 408 problem document', async (t) => {
  const a = await app(t, { requestTimeoutMs: 500 })
  await a.listen({ port: 0, host: '127.0.0.1' })
  const address = a.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /events HTTP/1.1\r\nHost: x\r\n')) // headers never finished
    let text = ''
    socket.on('data', (chunk) => (text += String(chunk)))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
    setTimeout(() => {
      socket.destroy()
      resolve(text)
    }, 5000)
  })
  t.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  t.match(answer, /Content-Type: application\/problem\+json/)
  t.match(answer, /"type":"urn:reckon:problem:request-timeout"/)
})

t.test('bodies over 1 MiB are refused with a 413 problem; bulk routes take more', async (t) => {
  const a = await app(t)
  const big = { id: 'big', title: 'x', occurred_on: '2017', description: 'y'.repeat(1024 * 1024) }
  const res = await a.inject({ method: 'POST', url: '/events', payload: big })
  t.equal(res.statusCode, 413)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  // Few rows, each large: the limit is on bytes, and a row costs a PostgreSQL store several round trips.
  const rows = Array.from({ length: 1000 }, (_, i) => ({
    id: `ev-${i}`,
    title: `Event number ${i} with a longer title`,
    occurred_on: '2017',
    description: 'd'.repeat(1100),
  }))
  t.ok(JSON.stringify(rows).length > 1024 * 1024)
  t.equal((await a.inject({ method: 'POST', url: '/events/bulk', payload: rows })).statusCode, 200, 'a bulk body of more than 1 MiB')
})
