/**
 * What the tests of rate limits shared through Redis need (npm run test:redis): the Redis to use
 * (RECKON_TEST_REDIS_URL, required), replicas (apps built as test/helper's build() does, with a rate
 * limit and that Redis), a key prefix of the test's own whose keys are deleted at teardown, and a
 * TCP proxy to Redis that a test can cut or stall.
 */
import { randomUUID } from 'node:crypto'
import { type Socket, connect, createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp } from '../../src/app.js'
import { type RedisConfig, parseApiKeys, parseRedisUrl } from '../../src/config.js'
import type { Teardown } from '../helper.js'

/** The Redis the tests use; they write only keys under prefixes of their own (isolatedRedis). */
export function testRedisUrl(): string {
  const url = process.env.RECKON_TEST_REDIS_URL
  if (url === undefined || url === '') {
    throw new Error(
      'The tests in test/redis need a Redis: set RECKON_TEST_REDIS_URL (RECKON_TEST_REDIS_URL=redis://127.0.0.1:6379 npm run test:redis)',
    )
  }
  return parseRedisUrl(url)
}

/** A client of the test's own, to look at the keys; closed at teardown. */
export function redisClient(t: Teardown, url = testRedisUrl()): Redis {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  t.teardown(() => client.quit())
  return client
}

/** The keys under `prefix`, sorted. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys.sort()
}

/**
 * A deployment's part of the test Redis: a prefix no other test (or run) uses, whose keys, and
 * only those, are deleted at teardown.
 */
export function isolatedRedis(t: Teardown, url = testRedisUrl()): RedisConfig {
  const prefix = `reckon-test-${randomUUID()}:`
  const cleaner = redisClient(t)
  t.teardown(async () => {
    const keys = await keysUnder(cleaner, prefix)
    if (keys.length > 0) await cleaner.del(...keys)
  })
  return { url, prefix }
}

export interface ReplicaOptions {
  /** Requests a minute per key or client. */
  rateLimit: number
  /** Shared through this Redis; absent: the replica counts alone. */
  redis?: RedisConfig
  /** RECKON_API_KEYS. */
  apiKeys?: string
  /** Where its log lines go (at info), for a test that reads them; none: no logs. */
  logs?: string[]
}

/** One replica of Reckon: an app on its own in-memory database (as test/helper's build()), closed at teardown. */
export async function replica(t: Teardown, opts: ReplicaOptions): Promise<FastifyInstance> {
  const { logs } = opts
  const app = await buildApp({
    config: {
      dbPath: ':memory:',
      apiKeys: parseApiKeys(opts.apiKeys ?? 'one:read,two:read'),
      logLevel: logs ? 'info' : 'silent',
      rateLimit: opts.rateLimit,
      ...(opts.redis ? { redis: opts.redis } : {}),
    },
    ...(logs ? { logStream: { write: (line: string) => void logs.push(line) } } : { logger: false }),
  })
  t.teardown(() => app.close())
  return app
}

export interface RedisProxy {
  /** The test Redis's URL, through the proxy. */
  url: string
  /** Redis goes away: the proxy stops listening and cuts every connection. */
  cut(): Promise<void>
  /** Redis is back: the proxy listens again on the same port. */
  restore(): Promise<void>
  /** Redis stops answering, connections open (a network partition): nothing is forwarded. */
  stall(): void
  /** What was held back flows again. */
  resume(): void
}

/** A TCP proxy in front of the test Redis, closed at teardown. */
export async function redisProxy(t: Teardown, target = testRedisUrl()): Promise<RedisProxy> {
  const to = new URL(target)
  const host = to.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(to.port || 6379)
  const pairs = new Set<[Socket, Socket]>()
  let stalled = false
  const flow = ([a, b]: [Socket, Socket]) => {
    a.pipe(b)
    b.pipe(a)
  }
  const hold = ([a, b]: [Socket, Socket]) => {
    a.unpipe(b)
    b.unpipe(a)
    a.pause()
    b.pause()
  }
  const server = createServer((client) => {
    const pair: [Socket, Socket] = [client, connect(port, host)]
    pairs.add(pair)
    const drop = () => {
      pair[0].destroy()
      pair[1].destroy()
      pairs.delete(pair)
    }
    for (const socket of pair) {
      socket.on('error', drop)
      socket.on('close', drop)
    }
    if (stalled) hold(pair)
    else flow(pair)
  })
  const listen = (on: number) => new Promise<void>((resolve) => server.listen(on, '127.0.0.1', resolve))
  await listen(0)
  const address = server.address()
  const own = typeof address === 'object' && address !== null ? address.port : 0
  const url = new URL(target)
  url.hostname = '127.0.0.1'
  url.port = String(own)
  const cut = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve()
      server.close(() => resolve())
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      pairs.clear()
    })
  t.teardown(cut)
  return {
    url: url.href,
    cut,
    restore: () => listen(own),
    stall: () => {
      stalled = true
      for (const pair of pairs) hold(pair)
    },
    resume: () => {
      stalled = false
      for (const pair of pairs) flow(pair)
    },
  }
}
