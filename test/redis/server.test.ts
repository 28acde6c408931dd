/**
 * End to end: two server processes (src/server.ts, configured by the environment as deployed) on
 * one Redis share a rate limit, and each stops promptly on SIGTERM, its Redis connection closed.
 * Needs RECKON_TEST_REDIS_URL: npm run test:redis.
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import t from 'tap'
import { type Teardown, childEnv, childNode } from '../helper.js'
import { isolatedRedis } from './redis.js'

interface Server {
  base: string
  /** SIGTERM, then its exit code and how long it took to exit. */
  stop(): Promise<{ code: number | null; ms: number }>
}

async function server(t: Teardown, env: Record<string, string>): Promise<Server> {
  const child = spawn(...childNode(['--import', 'tsx', 'src/server.ts']), {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', RECKON_DB: ':memory:', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => child.kill('SIGKILL'))
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not listen within 30 s')), 30_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (listening?.[1]) {
        clearTimeout(timer)
        resolve(listening[1])
      }
    })
    void exited.then((code) => reject(new Error(`the server exited (${code}) before it listened`)))
  })
  return {
    base,
    stop: async () => {
      const started = Date.now()
      child.kill('SIGTERM')
      const code = await exited
      return { code, ms: Date.now() - started }
    },
  }
}

t.test('two server processes on one Redis share RECKON_RATE_LIMIT, and stop promptly', async (t) => {
  const { url, prefix } = isolatedRedis(t)
  const env = { RECKON_REDIS_URL: url, RECKON_REDIS_PREFIX: prefix, RECKON_RATE_LIMIT: '2', RECKON_API_KEYS: 'desk:read' }
  const [a, b] = await Promise.all([server(t, env), server(t, env)])
  if (!a || !b) throw new Error('two servers')
  const get = (s: Server) => fetch(`${s.base}/events`, { headers: { authorization: 'Bearer desk' } })
  const first = await get(a)
  t.equal(first.status, 200, 'a: 1st')
  t.equal(first.headers.get('x-ratelimit-remaining'), '1')
  const second = await get(b)
  t.equal(second.status, 200, 'b: 2nd')
  t.equal(second.headers.get('x-ratelimit-remaining'), '0')
  const third = await get(a)
  t.equal(third.status, 429, 'a: the 3rd across both')
  t.match(third.headers.get('content-type'), /^application\/problem\+json/)
  t.ok(Number(third.headers.get('retry-after')) > 0, 'Retry-After')
  for (const [name, s] of [
    ['a', a],
    ['b', b],
  ] as const) {
    const { code, ms } = await s.stop()
    t.equal(code, 0, `${name} exits 0 on SIGTERM`)
    t.ok(ms < 5000, `${name} exits in ${ms} ms: nothing holds the process`)
  }
})
