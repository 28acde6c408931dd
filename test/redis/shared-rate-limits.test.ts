/**
 * Rate limits shared by replicas through Redis (RECKON_REDIS_URL): two apps on one Redis count
 * against one limit, with the same headers and 429 problem document as one replica; without the
 * URL each counts alone; deployments sharing a Redis count apart; while Redis is gone or silent
 * each replica counts alone (quickly), and shares again once Redis answers. Needs
 * RECKON_TEST_REDIS_URL: npm run test:redis.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_RETRY_MS } from '../../src/plugins/protections.js'
import { type Asserts, assertProblem } from '../helper.js'
import { isolatedRedis, keysUnder, redisClient, redisProxy, replica, testRedisUrl } from './redis.js'

testRedisUrl() // fails the file at once, saying what to set, when there is no Redis to test with

function get(app: FastifyInstance, token?: string, remoteAddress?: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'GET',
    url: '/events',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(remoteAddress ? { remoteAddress } : {}),
  })
}

/** A 200 that counted: the limit and what remains of it. */
function assertCounted(t: Asserts, res: LightMyRequestResponse, limit: number, remaining: number, what: string): void {
  t.equal(res.statusCode, 200, what)
  t.equal(res.headers['x-ratelimit-limit'], String(limit), `${what}: X-RateLimit-Limit`)
  t.equal(res.headers['x-ratelimit-remaining'], String(remaining), `${what}: X-RateLimit-Remaining ${remaining}`)
}

/** The 429 of one replica today: problem document, the limit in its detail, the four headers. */
function assertLimited(t: Asserts, res: LightMyRequestResponse, limit: number, what: string): void {
  const problem = assertProblem(t, res, 429)
  t.equal(problem.type, 'urn:reckon:problem:rate-limited', `${what}: the problem type`)
  t.match(problem.detail, `may make ${limit} requests a minute`, `${what}: the limit in the detail`)
  t.equal(res.headers['x-ratelimit-limit'], String(limit), `${what}: X-RateLimit-Limit`)
  t.equal(res.headers['x-ratelimit-remaining'], '0', `${what}: X-RateLimit-Remaining`)
  const reset = Number(res.headers['x-ratelimit-reset'])
  t.ok(reset > 0 && reset <= 60, `${what}: X-RateLimit-Reset ${reset}`)
  t.equal(res.headers['retry-after'], String(reset), `${what}: Retry-After as X-RateLimit-Reset`)
}

t.test('two replicas on one Redis: requests spread over both count against one limit', async (t) => {
  const redis = isolatedRedis(t)
  const a = await replica(t, { rateLimit: 4, redis })
  const b = await replica(t, { rateLimit: 4, redis })
  const spread = [a, b, a, b]
  for (const [i, app] of spread.entries()) assertCounted(t, await get(app, 'one'), 4, 3 - i, `request ${i + 1} of key one`)
  assertLimited(t, await get(b, 'one'), 4, 'the 5th request, on b')
  assertLimited(t, await get(a, 'one'), 4, 'the 6th request, on a')
  assertCounted(t, await get(b, 'two'), 4, 3, 'another key has its own allowance')
  assertCounted(t, await get(a, undefined, '198.51.100.7'), 4, 3, 'a client without a key, on a')
  assertCounted(t, await get(b, undefined, '198.51.100.7'), 4, 2, 'the same client, on b')

  const client = redisClient(t)
  const keys = await keysUnder(client, redis.prefix)
  t.strictSame(
    keys,
    [`${redis.prefix}rate-limit:ip:198.51.100.7`, `${redis.prefix}rate-limit:key:env-1`, `${redis.prefix}rate-limit:key:env-2`],
    'one counter per key or client, under the prefix (no token in a key name)',
  )
  t.equal(await client.get(`${redis.prefix}rate-limit:key:env-1`), '6', 'both replicas counted in it')
  const ttl = await client.pttl(`${redis.prefix}rate-limit:key:env-1`)
  t.ok(ttl > 0 && ttl <= 60_000, `the counter expires with the minute (${ttl} ms left)`)
})

t.test('without RECKON_REDIS_URL two replicas count apart', async (t) => {
  const a = await replica(t, { rateLimit: 2 })
  const b = await replica(t, { rateLimit: 2 })
  assertCounted(t, await get(a, 'one'), 2, 1, 'a: 1st')
  assertCounted(t, await get(a, 'one'), 2, 0, 'a: 2nd')
  assertLimited(t, await get(a, 'one'), 2, 'a: 3rd')
  assertCounted(t, await get(b, 'one'), 2, 1, 'b has an allowance of its own')
})

t.test('two deployments sharing a Redis count apart (RECKON_REDIS_PREFIX)', async (t) => {
  const staging = await replica(t, { rateLimit: 2, redis: isolatedRedis(t) })
  const production = await replica(t, { rateLimit: 2, redis: isolatedRedis(t) })
  assertCounted(t, await get(staging, 'one'), 2, 1, 'staging: 1st')
  assertCounted(t, await get(staging, 'one'), 2, 0, 'staging: 2nd')
  assertLimited(t, await get(staging, 'one'), 2, 'staging: 3rd')
  assertCounted(t, await get(production, 'one'), 2, 1, 'production: the same key, its own count')
})

/** Whether `a` counts in Redis again: b counts a new client once, then a must see the second request. */
async function sharedAgain(a: FastifyInstance, b: FastifyInstance, limit: number, deadline: number): Promise<boolean> {
  for (let i = 1; Date.now() < deadline; i++) {
    const client = `203.0.113.${i}`
    await get(b, undefined, client)
    if ((await get(a, undefined, client)).headers['x-ratelimit-remaining'] === String(limit - 2)) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

/** The log lines of level `level` (pino: 40 warn, 30 info) whose message matches. */
function logged(lines: string[], level: number, msg: RegExp): Array<Record<string, unknown>> {
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === level && typeof l.msg === 'string' && msg.test(l.msg))
}

t.test('Redis goes away mid-run: each replica counts alone, at once, then shares again when Redis is back', async (t) => {
  const proxy = await redisProxy(t)
  const { prefix } = isolatedRedis(t)
  // A password the test Redis does not need (it answers all the same) or its own: never in a log line.
  const through = new URL(proxy.url)
  if (through.password === '') through.password = 's3cret-not-needed'
  const logs: string[] = []
  const a = await replica(t, { rateLimit: 3, redis: { url: through.href, prefix }, logs })
  const b = await replica(t, { rateLimit: 3, redis: { url: testRedisUrl(), prefix } })
  assertCounted(t, await get(a, 'one'), 3, 2, 'shared: 1st, on a')
  assertCounted(t, await get(b, 'one'), 3, 1, 'shared: 2nd, on b')

  await proxy.cut()
  const started = Date.now()
  assertCounted(t, await get(a, 'one'), 3, 2, 'Redis gone: a counts alone, from its own first request')
  t.ok(Date.now() - started < 1000, `answered at once (${Date.now() - started} ms)`)
  assertCounted(t, await get(a, 'one'), 3, 1, 'a alone: 2nd')
  assertCounted(t, await get(a, 'one'), 3, 0, 'a alone: 3rd')
  assertLimited(t, await get(a, 'one'), 3, 'a alone: its own limit still holds')
  assertCounted(t, await get(b, 'one'), 3, 0, 'b still counts in Redis: the 3rd shared request')
  assertLimited(t, await get(b, 'one'), 3, 'b: the 4th shared request')
  const warned = logged(logs, 40, /^Redis does not answer: each replica counts its own rate limits/)
  t.equal(warned.length, 1, 'one warning for the outage, not one per request')
  t.match(warned[0], { redis: `redis://:***@127.0.0.1:${through.port}` }, 'where Redis was, password masked')
  t.notMatch(logs.join('\n'), new RegExp(through.password), 'the password in no log line')

  await proxy.restore()
  t.ok(await sharedAgain(a, b, 3, Date.now() + 10_000), 'a counts in Redis again once it is back')
  t.equal(logged(logs, 30, /^Redis answers again/).length, 1, 'and says so, once')
})

t.test('Redis stops answering (a partition): one request waits the command timeout, then the replica counts alone', async (t) => {
  const proxy = await redisProxy(t)
  const redis = isolatedRedis(t)
  const a = await replica(t, { rateLimit: 3, redis: { ...redis, url: proxy.url } })
  const b = await replica(t, { rateLimit: 3, redis })
  assertCounted(t, await get(a, 'one'), 3, 2, 'shared: 1st, on a')

  proxy.stall()
  let started = Date.now()
  assertCounted(t, await get(a, 'one'), 3, 2, 'Redis silent: a counts alone')
  const waited = Date.now() - started
  t.ok(waited >= REDIS_COMMAND_TIMEOUT_MS - 50 && waited < REDIS_COMMAND_TIMEOUT_MS + 1000, `after the command timeout (${waited} ms)`)
  started = Date.now()
  assertCounted(t, await get(a, 'one'), 3, 1, 'a alone: 2nd')
  t.ok(Date.now() - started < 100, `the next request does not wait (${Date.now() - started} ms)`)

  proxy.resume()
  await new Promise((r) => setTimeout(r, REDIS_RETRY_MS))
  t.ok(await sharedAgain(a, b, 3, Date.now() + 10_000), 'a counts in Redis again once it answers')
})

t.test('closing a replica closes its Redis connection', async (t) => {
  const redis = isolatedRedis(t)
  const app = await replica(t, { rateLimit: 3, redis })
  const client = redisClient(t)
  const named = async () =>
    String(await client.client('LIST'))
      .split('\n')
      .filter((l) => l.includes(` name=${redis.prefix}rate-limit `)).length
  t.equal(await named(), 1, 'connected as the deployment (CLIENT LIST)')
  await app.close()
  let left = await named()
  for (let i = 0; i < 20 && left > 0; i++) {
    await new Promise((r) => setTimeout(r, 50))
    left = await named()
  }
  t.equal(left, 0, 'gone after close')
})
