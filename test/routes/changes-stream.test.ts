/**
 * GET /changes/stream over a real socket: the server listens on a free port
 * and a small SSE parser reads the body of a `fetch`.
 */
import type { Socket } from 'node:net'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import t from 'tap'
import { openDatabase } from '../../src/db/client.js'
import { openPostgres } from '../../src/db/pg/client.js'
import { PostgresSql } from '../../src/db/pg/sql.js'
import { type Sql, SqliteSql } from '../../src/db/sql.js'
import errorsPlugin from '../../src/plugins/errors.js'
import changesRoutes, { type ChangesRoutesOptions } from '../../src/routes/changes/index.js'
import { type Change, type Teardown, build, createAll, figureClaim, get, json, patch, post, succeeded as ok, tempDir } from '../helper.js'
import { testStore } from '../store.js'

interface SseEvent {
  id: string
  event: string
  data: string
  /** ms since the client connected */
  at: number
}

/**
 * The event-stream interpretation of the HTML standard, as much as these
 * tests need: `field: value` lines, `:` comments, a blank line dispatches.
 */
class SseClient {
  readonly events: SseEvent[] = []
  readonly comments: Array<{ text: string; at: number }> = []
  retry: number | null = null
  /** Whether `retry:` came before the first event. */
  retryFirst = false
  ended = false
  /** 'end' when the server ended the body, 'error' when the connection broke (or was dropped here). */
  endedBy: 'end' | 'error' | null = null
  private buffer = ''
  private lastId = ''
  private type = ''
  private data: string[] = []
  private readonly waiters = new Set<() => void>()
  private readonly started = Date.now()

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {
    void this.pump()
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController()
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`)
    return new SseClient(response, controller)
  }

  get ids(): number[] {
    return this.events.map((e) => Number(e.id))
  }

  get heartbeats(): number[] {
    return this.comments.filter((c) => c.text === 'heartbeat').map((c) => c.at)
  }

  /** Drops the connection, as a client that goes away does. */
  disconnect(): void {
    this.controller.abort()
  }

  /** Resolves once `done()` holds; rejects if the stream ends first or after `ms`. */
  until(done: () => boolean, what: string, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        reject(new Error(`timed out waiting for ${what} (${this.events.length} events)`))
      }, ms)
      const check = () => {
        if (done()) {
          clearTimeout(timer)
          this.waiters.delete(check)
          resolve()
        } else if (this.ended) {
          clearTimeout(timer)
          this.waiters.delete(check)
          reject(new Error(`the stream ended before ${what}`))
        }
      }
      this.waiters.add(check)
      check()
    })
  }

  private async pump(): Promise<void> {
    const body = this.response.body
    if (body === null) throw new Error('no body')
    const reader = body.getReader()
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) {
          this.endedBy = 'end'
          break
        }
        this.feed(decoder.decode(value, { stream: true }))
      }
    } catch {
      this.endedBy = 'error' // dropped by disconnect(), or cut by the server
    } finally {
      this.ended = true
      this.wake()
    }
  }

  private feed(text: string): void {
    this.buffer += text
    for (let end = this.buffer.indexOf('\n'); end !== -1; end = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '')
      this.buffer = this.buffer.slice(end + 1)
      this.line(line)
    }
    this.wake()
  }

  private line(line: string): void {
    const at = Date.now() - this.started
    if (line === '') {
      if (this.data.length > 0) this.events.push({ id: this.lastId, event: this.type || 'message', data: this.data.join('\n'), at })
      this.data = []
      this.type = ''
      return
    }
    if (line.startsWith(':')) {
      this.comments.push({ text: line.slice(1).trim(), at })
      return
    }
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') this.lastId = value
    else if (field === 'event') this.type = value
    else if (field === 'data') this.data.push(value)
    else if (field === 'retry' && /^\d+$/.test(value)) {
      this.retry = Number(value)
      this.retryFirst = this.events.length === 0
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter()
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return `http://127.0.0.1:${address.port}`
}

/**
 * When a fetch is aborted, undici opens a spare connection to the server and
 * sends nothing on it; a Node server's close() waits for such a connection
 * (closeIdleConnections() does not count it as idle). Tests that disconnect
 * clients destroy those sockets on close, so that their teardown does not
 * wait for undici. Sockets that carried a request are left alone: ending the
 * streams is the plugin's job, and the tests of close() do not use this.
 */
function dropSpareSockets(app: FastifyInstance): FastifyInstance {
  const sockets = new Set<Socket>()
  const used = new WeakSet<Socket>()
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  app.server.on('request', (request: { socket: Socket }) => used.add(request.socket))
  app.addHook('preClose', async () => {
    for (const socket of sockets) if (!used.has(socket)) socket.destroy()
  })
  return app
}

async function changes(app: FastifyInstance, query = ''): Promise<Change[]> {
  const res = await get(app, `/changes?limit=1000${query ? `&${query}` : ''}`)
  if (res.statusCode !== 200) throw new Error(`GET /changes: ${res.statusCode} ${res.body}`)
  return json<{ items: Change[] }>(res).items
}

const figure = (value: number) => figureClaim({ value })

const seed = (app: FastifyInstance) =>
  createAll(app, [
    ['/sources', { id: 'sohr', name: 'SOHR', kind: 'monitor' }],
    ['/events', { id: 'ev', title: 'An event', occurred_on: '2017-04-04' }],
    ['/events', { id: 'other', title: 'Another event', occurred_on: '2017-04-05' }],
  ])

/** The nth write of a varied mix: claims on two events, a bulk of three, metadata edits. */
async function write(app: FastifyInstance, n: number): Promise<void> {
  switch (n % 4) {
    case 0:
      await ok(post(app, '/events/ev/claims', figure(n)))
      break
    case 1:
      await ok(
        post(app, '/claims/bulk', [
          { event_id: 'other', ...figure(n) },
          { event_id: 'ev', ...figure(n + 1) },
          { event_id: 'other', ...figure(n + 2) },
        ]),
      )
      break
    case 2:
      await ok(patch(app, '/sources/sohr', { notes: `edit ${n}` }), 200)
      break
    default:
      await ok(patch(app, '/events/other', { description: `edit ${n}` }), 200)
  }
}

/** Writes in the background, one after another, until stopped. */
function writer(app: FastifyInstance, pauseMs: number) {
  let running = true
  let n = 0
  const done = (async () => {
    while (running) {
      await write(app, n++)
      await sleep(pauseMs)
    }
  })()
  return {
    /** Resolves once more than `count` writes have been made (throws after 10 s: the writer is stuck). */
    async past(count: number): Promise<void> {
      const deadline = Date.now() + 10_000
      while (n <= count) {
        if (Date.now() > deadline) throw new Error(`only ${n} writes in 10 s`)
        await sleep(5)
      }
    },
    async stop(): Promise<number> {
      running = false
      await done
      return n
    },
  }
}

/** An app with the changes routes alone, with options the full app does not take, on the suite's store (test/store.ts). */
async function streamApp(
  t: Teardown,
  dbPath: string,
  options: ChangesRoutesOptions,
  instrument?: (sql: Sql) => Sql,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  const store = await testStore(dbPath)
  let sql: Sql
  if (store.databaseUrl === undefined) {
    const db = openDatabase(dbPath)
    app.decorate('db', db)
    sql = new SqliteSql(db)
  } else {
    app.decorate('db', null)
    sql = new PostgresSql((await openPostgres(store.databaseUrl)).pool)
  }
  const opened = sql
  app.decorate('sql', instrument ? instrument(sql) : sql)
  app.addHook('onClose', async () => {
    await opened.close()
  })
  await app.register(errorsPlugin)
  await app.register(changesRoutes, { prefix: '/changes', ...options })
  t.teardown(() => app.close())
  return app
}

function tempDbPath(t: Teardown): string {
  const dir = tempDir(t, 'changes')
  return join(dir, 'reckon.db')
}

t.test('the stream sends what is there, then each change as it is written', async (t) => {
  const app = dropSpareSockets(await build(t))
  await seed(app)
  await ok(post(app, '/events/ev/claims', figure(1)))
  const base = await listen(app)

  const client = await SseClient.connect(`${base}/changes/stream`)
  t.teardown(() => client.disconnect())
  t.match(client.response.headers.get('content-type'), /^text\/event-stream/)
  t.match(client.response.headers.get('cache-control'), /no-cache/)
  await client.until(() => client.events.length === 4, 'the catch-up')
  t.equal(client.retry, 3000, 'a retry hint')
  t.ok(client.retryFirst, 'before the first event')
  t.strictSame(client.ids, [1, 2, 3, 4])

  const written = Date.now()
  await write(app, 1) // a bulk of three claims
  await write(app, 2)
  await client.until(() => client.events.length === 8, 'the live changes')
  const latency = Date.now() - written
  t.ok(latency < 1500, `live changes arrive within the poll interval (${latency} ms)`)

  const feed = await changes(app)
  t.equal(feed.length, 8)
  t.strictSame(
    client.ids,
    feed.map((c) => c.seq),
    'every change, in seq order',
  )
  t.strictSame(
    client.events.map((e) => e.event),
    feed.map((c) => c.type),
    'event: is the type',
  )
  t.strictSame(
    client.events.map((e) => JSON.parse(e.data) as unknown),
    feed,
    'data: is the item of GET /changes',
  )
})

t.test('the stream resumes without gaps or duplicates after a disconnect', async (t) => {
  const app = dropSpareSockets(await build(t))
  await seed(app)
  for (let n = 0; n < 6; n++) await write(app, n)
  const base = await listen(app)
  const background = writer(app, 3)

  const received: number[] = []
  let lastId: string | null = null
  // Three clients in turn, each dropped after a few events while writes go on; the last one stays.
  for (let round = 0; round < 4; round++) {
    // An EventSource reconnects to the URL it first opened (here with after=1) and adds Last-Event-ID: the header wins.
    const client = await SseClient.connect(`${base}/changes/stream?after=1`, lastId === null ? {} : { 'last-event-id': lastId })
    if (round === 3) {
      await background.past(10) // however fast the first three clients were served
      const total = await background.stop()
      t.ok(total > 10, `writes went on meanwhile (${total})`)
      const last = (await changes(app)).at(-1)?.seq ?? 0
      await client.until(() => client.ids.at(-1) === last, `seq ${last}`)
    } else {
      await client.until(() => client.events.length >= 5, 'five events')
    }
    client.disconnect()
    await client.until(() => client.ended, 'the end of the body')
    if (round === 0) t.equal(client.ids[0], 2, 'the first connection starts after `after`')
    else t.equal(client.ids[0], Number(lastId) + 1, `connection ${round} starts right after Last-Event-ID ${lastId ?? ''}`)
    received.push(...client.ids)
    lastId = client.events.at(-1)?.id ?? lastId
    await sleep(20) // writes land while no one is connected
  }

  const feed = await changes(app, 'after=1')
  t.ok(feed.length > 20, `a long enough run (${feed.length} changes)`)
  t.strictSame(
    received,
    feed.map((c) => c.seq),
    'every change exactly once, in order, across four connections',
  )
  t.equal(new Set(received).size, received.length, 'no duplicate')
})

t.test('Last-Event-ID wins over last_event_id, which wins over after', async (t) => {
  const app = dropSpareSockets(await build(t))
  await seed(app)
  await write(app, 1) // seq 4, 5, 6
  await write(app, 2) // seq 7
  const base = await listen(app)
  const cursorAfter2 = json<{ next_cursor: string }>(await app.inject({ method: 'GET', url: '/changes?limit=2' })).next_cursor

  const cases: Array<[string, Record<string, string>, number]> = [
    ['', {}, 1],
    [`?after=${cursorAfter2}`, {}, 3],
    ['?after=4', {}, 5],
    ['?after=1&last_event_id=5', {}, 6],
    ['?after=1&last_event_id=2', { 'last-event-id': '6' }, 7],
    ['?after=3', { 'last-event-id': '' }, 4],
  ]
  for (const [query, headers, first] of cases) {
    const client = await SseClient.connect(`${base}/changes/stream${query}`, headers)
    const what = `${query} ${JSON.stringify(headers)}`
    await client.until(() => client.ids.at(-1) === 7, `${what}: seq 7`)
    t.strictSame(
      client.ids,
      Array.from({ length: 8 - first }, (_, i) => first + i),
      `${what} starts at ${first}`,
    )
    client.disconnect()
  }
})

t.test('writes through another connection to the database file reach the stream; filters narrow it', async (t) => {
  const dbPath = tempDbPath(t)
  const writes = await build(t, { dbPath })
  // Another app on the same file, as another process would be: it learns of writes only by reading the table.
  const reader = dropSpareSockets(await streamApp(t, dbPath, { pollMs: 20, batch: 2 }))
  const base = await listen(reader)
  const all = await SseClient.connect(`${base}/changes/stream`)
  const claims = await SseClient.connect(`${base}/changes/stream?type=claim.created&event_id=ev`)
  const edits = await SseClient.connect(`${base}/changes/stream?type=source.updated,event.updated`)
  t.teardown(() => {
    for (const c of [all, claims, edits]) c.disconnect()
  })

  await seed(writes)
  for (let n = 0; n < 12; n++) await write(writes, n)
  const feed = await changes(writes)
  const last = feed.at(-1)?.seq ?? 0
  await all.until(() => all.ids.at(-1) === last, `seq ${last}`)
  t.strictSame(
    all.ids,
    feed.map((c) => c.seq),
    'every change written by the other connection',
  )

  const wantClaims = feed.filter((c) => c.type === 'claim.created' && c.event_id === 'ev')
  const wantEdits = feed.filter((c) => c.type === 'source.updated' || c.type === 'event.updated')
  await claims.until(() => claims.events.length >= wantClaims.length, 'the claims of ev')
  await edits.until(() => edits.events.length >= wantEdits.length, 'the edits')
  await sleep(100)
  t.strictSame(
    claims.events.map((e) => JSON.parse(e.data) as unknown),
    wantClaims,
    'type and event_id filters, ids kept as the feed’s seq',
  )
  t.strictSame(
    edits.events.map((e) => JSON.parse(e.data) as unknown),
    wantEdits,
    'a list of types',
  )
  t.strictSame(
    claims.ids,
    (await changes(writes, 'type=claim.created&event_id=ev')).map((c) => c.seq),
    'the same as the filtered GET /changes',
  )
})

t.test('heartbeats arrive while the stream is idle', async (t) => {
  const app = dropSpareSockets(await streamApp(t, ':memory:', { heartbeatMs: 50, retryMs: 1234 }))
  const base = await listen(app)
  const client = await SseClient.connect(`${base}/changes/stream`)
  t.teardown(() => client.disconnect())
  await client.until(() => client.heartbeats.length >= 5, 'five heartbeats', 3000)
  t.equal(client.retry, 1234, 'the retry hint follows the option')
  t.strictSame(client.events, [], 'no event: nothing was written')
  const beats = client.heartbeats
  const gaps = beats.slice(1).map((at, i) => at - (beats[i] ?? 0))
  t.ok(
    gaps.every((gap) => gap >= 30),
    `about one per interval, not more often (gaps ${gaps.join(', ')} ms)`,
  )
})

t.test('a client that leaves is forgotten: nothing is read for it any more', async (t) => {
  let queries = 0
  // Counts every statement that reads, from now on.
  const count = (sql: Sql): Sql =>
    new Proxy(sql, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target)
        if (typeof value !== 'function') return value
        const method = (value as (...args: unknown[]) => unknown).bind(target)
        if (!['all', 'get', 'rows', 'value', 'values'].includes(String(key))) return method
        return (...args: unknown[]) => {
          queries++
          return method(...args)
        }
      },
    })
  const app = dropSpareSockets(await streamApp(t, ':memory:', { pollMs: 10, heartbeatMs: 10 }, count))
  const base = await listen(app)
  const before = queries
  await sleep(100)
  t.equal(queries, before, 'no stream open: no polling')

  const client = await SseClient.connect(`${base}/changes/stream`)
  await client.until(() => client.heartbeats.length >= 3, 'heartbeats')
  await sleep(100)
  t.ok(queries > before + 5, `an open stream polls (${queries - before} queries)`)

  client.disconnect()
  await sleep(100)
  const after = queries
  await sleep(200)
  t.equal(queries, after, 'once the client has gone, the poller and the stream are stopped')
})

t.test('closing the server ends open streams, promptly', async (t) => {
  const app = await build(t)
  await seed(app)
  const base = await listen(app)
  const idle = await SseClient.connect(`${base}/changes/stream`)
  const filtered = await SseClient.connect(`${base}/changes/stream?event_id=ev`)
  await idle.until(() => idle.events.length === 3, 'the catch-up')
  await filtered.until(() => filtered.events.length === 1, 'the catch-up')
  const start = Date.now()
  await app.close()
  const took = Date.now() - start
  // Well under the grace period after which a stream that cannot be flushed is cut.
  t.ok(took < 500, `app.close() took ${took} ms`)
  await idle.until(() => idle.ended, 'the end of the stream', 2000)
  await filtered.until(() => filtered.ended, 'the end of the stream', 2000)
  t.strictSame([idle.endedBy, filtered.endedBy], ['end', 'end'], 'both clients saw their stream end cleanly')
})

t.test('closing the server does not wait for a client that does not read', async (t) => {
  const app = await build(t)
  // Enough backlog (about 13 MB of events) that it cannot all sit in socket buffers.
  // Ids of 45 characters, built in SQL that runs on either store.
  await app.writes.now(() =>
    app.sql.run(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 80000)
       INSERT INTO changes (at, type, id, event_id)
       SELECT '2017-04-06T12:00:00.000Z', 'claim.created', 'claim-' || substr(CAST(1000000 + i AS TEXT), 2) || '-0123456789ABCDEF0123456789ABCDEF', 'ev' FROM n`,
    ),
  )
  const base = await listen(app)
  const controller = new AbortController()
  const res = await fetch(`${base}/changes/stream`, { signal: controller.signal })
  t.teardown(() => controller.abort())
  t.equal(res.status, 200)
  await sleep(300) // the server fills the socket, and stops: the client reads nothing
  const start = Date.now()
  await app.close()
  const took = Date.now() - start
  t.ok(took < 2500, `app.close() took ${took} ms (the stream is cut after its grace period)`)
})

t.test('HEAD answers the headers alone; a bad position is a 400 naming it', async (t) => {
  const app = await build(t)
  const head = await app.inject({ method: 'HEAD', url: '/changes/stream' })
  t.equal(head.statusCode, 200)
  t.match(head.headers['content-type'], /^text\/event-stream/)
  t.equal(head.body, '')

  const cases: Array<[string, Record<string, string>, string, string]> = [
    ['?after=x', {}, '/after', 'query'],
    ['?last_event_id=-3', {}, '/last_event_id', 'query'],
    ['', { 'last-event-id': 'abc' }, '/last-event-id', 'header'],
    ['?type=everything', {}, '/type', 'query'],
  ]
  for (const [query, headers, path, where] of cases) {
    const res = await app.inject({ method: 'GET', url: `/changes/stream${query}`, headers })
    t.equal(res.statusCode, 400, `${query} ${JSON.stringify(headers)}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.strictSame(
      json<{ errors: Array<{ path: string; in: string }> }>(res).errors.map((e) => [e.path, e.in]),
      [[path, where]],
    )
  }
})
