/**
 * GET /health of a server whose PostgreSQL goes away, through a TCP relay
 * the test holds between them: silent (the network drops packets), a 503
 * after the timeout; gone (the server is down), a 503 at once; back, 200.
 * The password of the URL is never shown.
 */
import { readFileSync } from 'node:fs'
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { PG_MIGRATIONS_FOLDER } from '../../src/db/pg/client.js'
import { HEALTH_TIMEOUT_MS } from '../../src/routes/meta/index.js'
import { type Problem, json } from '../helper.js'
import { throwawayDatabase } from './throwaway.js'

/** The newest migration's tag: the schema a migrated database reports. */
const NEWEST_MIGRATION = (
  JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> }
).entries.at(-1)?.tag

interface Relay {
  port: number
  /** Stop passing bytes either way, the connections kept open. */
  silence(): void
  /** Close every connection and stop listening: connections are refused. */
  cut(): Promise<void>
  /** Listen again on the same port, passing bytes. */
  restore(): Promise<void>
  close(): Promise<void>
}

async function relay(to: URL): Promise<Relay> {
  const sockets = new Set<Socket>()
  let silent = false
  let server: Server
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(Number(to.port || 5432), to.hostname)
        for (const [from, into] of [
          [client, upstream],
          [upstream, client],
        ] as const) {
          sockets.add(from)
          from.on('data', (chunk: Buffer) => {
            if (!silent) into.write(chunk)
          })
          from.on('error', () => into.destroy())
          from.on('close', () => {
            sockets.delete(from)
            into.destroy()
          })
        }
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
    })
  const port = await listen(0)
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return {
    port,
    silence: () => {
      silent = true
    },
    cut: close,
    restore: async () => {
      silent = false
      await listen(port)
    },
    close: () => (server.listening ? close() : Promise.resolve()),
  }
}

t.test('the health of a server whose PostgreSQL goes silent, goes away and comes back', async (t) => {
  const db = await throwawayDatabase(t)
  const target = new URL(db.url)
  const through = await relay(target)
  t.teardown(() => through.close())
  const url = new URL(db.url)
  url.host = `127.0.0.1:${through.port}`
  url.password = 'hunter2' // trust authentication never asks for it: it must show nowhere all the same
  const app = await buildApp({
    config: { dbPath: ':memory:', databaseUrl: url.toString(), apiKeys: [], logLevel: 'silent' },
    logger: false,
  })
  t.teardown(() => app.close())

  const ok = await app.inject({ method: 'GET', url: '/health' })
  t.equal(ok.statusCode, 200)
  t.match(json(ok), { status: 'ok', store: 'postgres', schema: NEWEST_MIGRATION })

  through.silence()
  const started = Date.now()
  const silent = await app.inject({ method: 'GET', url: '/health' })
  t.equal(silent.statusCode, 503, 'a silent database: 503')
  t.ok(Date.now() - started < HEALTH_TIMEOUT_MS + 1500, 'after the timeout, not a hang')
  t.equal(
    json<Problem>(silent).detail,
    `The PostgreSQL database did not answer within ${HEALTH_TIMEOUT_MS / 1000} s: this replica cannot answer requests that read or write it. Retry after 5 seconds.`,
  )

  await through.cut()
  const gone = await app.inject({ method: 'GET', url: '/health' })
  t.equal(gone.statusCode, 503, 'no database: 503')
  t.match(json<Problem>(gone), { type: 'urn:reckon:problem:store-unavailable', status: 503, detail: /^The PostgreSQL database / })
  for (const res of [silent, gone]) t.notMatch(res.body, /hunter2|postgres:\/\//, 'neither the password nor the URL')

  await through.restore()
  let back = await app.inject({ method: 'GET', url: '/health' })
  // A connection the pool took before the cut may fail once more; the next is a new one.
  for (let i = 0; i < 5 && back.statusCode !== 200; i++) back = await app.inject({ method: 'GET', url: '/health' })
  t.equal(back.statusCode, 200, 'the database back: 200 again')
})
