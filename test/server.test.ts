/** End to end: the real server process, on a real port, over HTTP. */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { readFixture } from '../src/demo/load-fixture.js'
import { childEnv, childNode, tempDir } from './helper.js'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function waitFor(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in time`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

t.test('npm start equivalent: serves the API on a port, on a file database, with write keys', async (t) => {
  const dir = tempDir(t, 'e2e')
  const port = await freePort()
  const dbPath = join(dir, 'nested', 'reckon.db')
  const child = spawn(...childNode(['--import', 'tsx', 'src/server.ts']), {
    env: childEnv({ PORT: String(port), HOST: '127.0.0.1', RECKON_DB: dbPath, RECKON_API_KEYS: 'desk:read+write', LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    child.kill('SIGTERM')
  })

  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}/health`, Date.now() + 20_000)
  const auth = { 'content-type': 'application/json', authorization: 'Bearer desk' }

  const denied = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(denied.status, 401)
  t.match(denied.headers.get('content-type'), /application\/problem\+json/)

  const fixture = readFixture()
  for (const [url, items] of [
    ['/actors', fixture.actors],
    ['/sources', fixture.sources],
    ['/events', [fixture.event]],
  ] as const) {
    for (const item of items) {
      const res = await fetch(`${base}${url}`, { method: 'POST', headers: auth, body: JSON.stringify(item) })
      t.equal(res.status, 201, `POST ${url}`)
    }
  }
  for (const claim of fixture.claims) {
    const res = await fetch(`${base}/events/khan-shaykhun/claims`, { method: 'POST', headers: auth, body: JSON.stringify(claim) })
    t.equal(res.status, 201)
  }
  const res = await fetch(`${base}/events/khan-shaykhun/summary?as_of=2017-04-06`)
  t.equal(res.status, 200)
  const summary = (await res.json()) as {
    figures: Array<{ metric: string; population: string; points: { median: number } }>
    attribution: { status: string }
  }
  t.equal(summary.figures.find((f) => f.metric === 'killed' && f.population === 'all')?.points.median, 64)
  t.equal(summary.attribution.status, 'contested')

  const docs = await fetch(`${base}/docs/`)
  t.equal(docs.status, 200)

  child.kill('SIGTERM')
  t.equal(await exited, 0, `the server shuts down cleanly on SIGTERM ${stderr}`)
})
