/**
 * RECKON_REDIS_URL at start, with no Redis needed: a Redis that does not answer stops the start
 * with a message naming the variable and the address (never the password), and a non-zero exit,
 * within REDIS_START_TIMEOUT_MS; the tests with a real Redis are in test/redis (npm run test:redis).
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { REDIS_START_TIMEOUT_MS, rateLimitPlugin } from '../../src/plugins/protections.js'
import { childEnv, childNode } from '../helper.js'

/** A port on which nothing listens (one the OS gave, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

t.test('the plugin gives up on a Redis that does not answer, saying where and why', async (t) => {
  const port = await closedPort()
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  const started = Date.now()
  await t.rejects(
    async () =>
      await app.register(rateLimitPlugin, {
        perMinute: 3,
        redis: { url: `redis://:s3cret@127.0.0.1:${port}/1`, prefix: 'reckon:' },
        redisStartTimeoutMs: 300,
      }),
    {
      message: `RECKON_REDIS_URL: could not use Redis at redis://:***@127.0.0.1:${port}/1 within 0.3 s (connect ECONNREFUSED 127.0.0.1:${port}). Start Redis or correct the URL (host, port, password); without RECKON_REDIS_URL each replica counts its own rate limits.`,
    },
  )
  t.ok(Date.now() - started < 3000, `gave up in ${Date.now() - started} ms`)
})

/** Runs src/server.ts with `env`: its exit code, what it printed, and how long it ran. */
async function start(env: Record<string, string>): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now()
  const child = spawn(...childNode(['--import', 'tsx', 'src/server.ts']), {
    env: childEnv({ HOST: '127.0.0.1', PORT: '0', RECKON_DB: ':memory:', LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  clearTimeout(killer)
  return { code, output, ms: Date.now() - started }
}

t.test('the server exits 1 when Redis does not answer, within the start timeout, without printing the password', async (t) => {
  const port = await closedPort()
  const { code, output, ms } = await start({ RECKON_REDIS_URL: `redis://reckon:s3cret@127.0.0.1:${port}/0` })
  t.equal(code, 1, 'a non-zero exit')
  t.match(output, `RECKON_REDIS_URL: could not use Redis at redis://reckon:***@127.0.0.1:${port}/0 within 5 s (connect ECONNREFUSED`)
  t.notMatch(output, /s3cret/, 'no password')
  t.notMatch(output, /Server listening/, 'never listened')
  t.ok(ms < REDIS_START_TIMEOUT_MS + 15_000, `exited after ${ms} ms (not a hang)`)
})

t.test('the server exits 1 on a malformed RECKON_REDIS_URL, naming it, without printing the password', async (t) => {
  const { code, output } = await start({ RECKON_REDIS_URL: 'http://:s3cret@127.0.0.1:6379' })
  t.equal(code, 1)
  t.match(output, 'RECKON_REDIS_URL must start with redis:// or rediss:// (its scheme is "http")')
  t.notMatch(output, /s3cret/, 'no password')
})
