/**
 * Issue #12 §2: a client that writes its whole body before reading (Python's
 * urllib and requests) gets the early answer (413, 415, 401) as a
 * problem document, not "Broken pipe"; the server reads and discards the rest
 * of the body within bounds, then closes.
 */
import { type AddressInfo, connect } from 'node:net'
import t from 'tap'
import { testStore } from '../store.js'
import { type AppOptions, buildApp } from '../../src/app.js'
import { parseApiKeys } from '../../src/config.js'
import { MAX_BULK_BYTES } from '../../src/lib/bulk-body.js'

const MiB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'a')

interface Teardown {
  teardown(fn: () => unknown): void
}

async function listen(t: Teardown, opts: { apiKeys?: string; lingering?: AppOptions['lingering'] } = {}): Promise<number> {
  const app = await buildApp({
    config: { ...(await testStore()), apiKeys: opts.apiKeys ? parseApiKeys(opts.apiKeys) : [], logLevel: 'silent' },
    logger: false,
    ...(opts.lingering ? { lingering: opts.lingering } : {}),
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

interface Exchange {
  /** What a write met (EPIPE, ECONNRESET: the client's "Broken pipe"), or null when the whole body went out. */
  writeError: string | null
  /** Body bytes written. */
  sent: number
  /** The answer read after writing, as received; empty when the connection failed first. */
  answer: string
  /** From the first byte written to the connection's close. */
  ms: number
}

interface Upload {
  method?: string
  url: string
  headers?: Record<string, string>
  /** Body bytes; Infinity sends until the connection fails. */
  size: number
  chunked: boolean
  /** Wait between chunks (a slow client). */
  pauseMs?: number
}

/** A client as urllib is: the head and the whole body written, and only then the answer read. */
async function upload(port: number, u: Upload): Promise<Exchange> {
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  const started = Date.now()
  let writeError: string | null = null
  let closed = false
  const received: Buffer[] = []
  const done = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)))
  socket.on('error', (err: NodeJS.ErrnoException) => {
    writeError ??= err.code ?? err.message
  })
  socket.once('close', () => {
    closed = true
  })
  socket.pause() // read nothing until the body is out
  const framing = u.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${u.size}`
  const headers = Object.entries({ 'content-type': 'application/json', ...u.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  const write = (data: Buffer | string) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve()
      // The callback runs once the bytes are handed to the kernel, or with the error that stopped them.
      socket.write(data, (err) => {
        if (err) writeError ??= (err as NodeJS.ErrnoException).code ?? err.message
        resolve()
      })
    })
  await write(`${u.method ?? 'POST'} ${u.url} HTTP/1.1\r\nHost: localhost\r\n${headers}${framing}\r\n\r\n`)
  let sent = 0
  while (sent < u.size && writeError === null && !closed) {
    const chunk = u.size - sent < CHUNK.length ? CHUNK.subarray(0, u.size - sent) : CHUNK
    await write(u.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk)
    if (writeError === null) sent += chunk.length
    if (u.pauseMs) await new Promise((r) => setTimeout(r, u.pauseMs))
  }
  if (u.chunked && writeError === null) await write('0\r\n\r\n')
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  socket.resume()
  const ms = await done
  return { writeError, sent, answer: Buffer.concat(received).toString('utf8'), ms }
}

interface Answer {
  status: number
  headers: Record<string, string>
  problem: { type: string; title: string; status: number; detail: string; errors?: unknown[] }
}

function parse(answer: string): Answer {
  const at = answer.indexOf('\r\n\r\n')
  const [statusLine = '', ...lines] = answer.slice(0, at).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers, problem: JSON.parse(answer.slice(at + 4)) as Answer['problem'] }
}

t.test('413: the client writes its whole body, then reads the problem document that names the limit', async (t) => {
  const port = await listen(t)
  const cases: Array<[string, Upload, string]> = [
    ['JSON, Content-Length over 1 MiB', { url: '/events', size: 20 * MiB, chunked: false }, '1 MiB'],
    ['JSON, chunked, past 1 MiB mid-stream', { url: '/events', size: 20 * MiB, chunked: true }, '1 MiB'],
    [
      'bulk NDJSON, Content-Length over 32 MiB',
      { url: '/claims/bulk', size: MAX_BULK_BYTES + 8 * MiB, chunked: false, headers: { 'content-type': 'application/x-ndjson' } },
      '32 MiB',
    ],
    [
      'bulk NDJSON, chunked, past 32 MiB mid-stream',
      { url: '/claims/bulk', size: MAX_BULK_BYTES + 8 * MiB, chunked: true, headers: { 'content-type': 'application/x-ndjson' } },
      '32 MiB',
    ],
  ]
  for (const [name, u, limit] of cases) {
    const res = await upload(port, u)
    t.equal(res.writeError, null, `${name}: every byte written, no broken pipe`)
    t.equal(res.sent, u.size)
    const answer = parse(res.answer)
    t.equal(answer.status, 413, name)
    t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(answer.headers.connection, 'close')
    t.strictSame(answer.problem, {
      type: 'urn:reckon:problem:payload-too-large',
      title: 'Payload too large',
      status: 413,
      detail: `The body is larger than this operation accepts (${limit}).`,
      instance: u.url,
      errors: [{ path: '', in: 'body', message: `is larger than ${limit}` }],
    })
  }
})

t.test('other early answers to an upload reach the client the same way: 415, 401, and a 413 on no route', async (t) => {
  const port = await listen(t, { apiKeys: 'w-token:write' })
  const cases: Array<[number, Upload]> = [
    [415, { url: '/events', size: 20 * MiB, chunked: false, headers: { 'content-type': 'text/plain', authorization: 'Bearer w-token' } }],
    [401, { url: '/events', size: 20 * MiB, chunked: true }],
    // No route: Fastify reads the body for its 404 all the same, and refuses it past 1 MiB.
    [413, { url: '/nowhere', size: 20 * MiB, chunked: false, headers: { authorization: 'Bearer w-token' } }],
  ]
  for (const [status, u] of cases) {
    const res = await upload(port, u)
    t.equal(res.writeError, null, `${status}: every byte written`)
    const answer = parse(res.answer)
    t.equal(answer.status, status)
    t.equal(answer.problem.status, status)
    t.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(answer.headers.connection, 'close')
  }
})

t.test('a body read whole keeps the connection alive: no Connection: close on an ordinary answer', async (t) => {
  const port = await listen(t)
  const body = JSON.stringify({ id: 'e', title: 'E', occurred_on: '2020' })
  const socket = connect(port, '127.0.0.1')
  const answer = await new Promise<string>((resolve) => {
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8')))
    socket.write(
      `POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  })
  socket.destroy()
  t.match(answer, /^HTTP\/1\.1 201 Created\r\n/)
  t.equal(/\r\nconnection: close\r\n/i.test(answer), false)
  t.equal(/\r\nconnection: keep-alive\r\n/i.test(answer), true)
})

t.test('bounded: an endless sender is cut after the byte bound, a trickling one after the time bound', async (t) => {
  const maxBytes = 4 * MiB
  const fast = await listen(t, { lingering: { maxBytes, maxMs: 60_000 } })
  const endless = await upload(fast, { url: '/events', size: Infinity, chunked: true })
  t.not(endless.writeError, null, 'the connection is cut')
  // What the kernel's buffers on both ends hold comes on top of the 1 MiB read and the bound; well under 64 MiB.
  t.ok(endless.sent > 1 * MiB + maxBytes && endless.sent < 64 * MiB, `cut after ${endless.sent} bytes`)
  t.ok(endless.ms < 20_000, `in ${endless.ms} ms, not after the time bound`)
  // A body nobody began to read (a 415: no parser for text/plain) is counted against the same bound.
  const unread = await upload(fast, { url: '/events', size: Infinity, chunked: true, headers: { 'content-type': 'text/plain' } })
  t.not(unread.writeError, null, 'an unread body is cut too')
  t.ok(unread.sent > maxBytes && unread.sent < 64 * MiB, `after ${unread.sent} bytes`)
  t.ok(unread.ms < 20_000, `in ${unread.ms} ms, not after the time bound`)

  const maxMs = 1500
  const slow = await listen(t, { lingering: { maxBytes: 256 * MiB, maxMs } })
  const trickle = await upload(slow, {
    url: '/events',
    size: Infinity,
    chunked: true,
    pauseMs: 100,
    headers: { 'content-type': 'text/plain' },
  })
  t.ok(trickle.ms >= maxMs && trickle.ms < maxMs + 3000, `a trickle is cut by the time bound (${trickle.ms} ms)`)
  t.ok(trickle.sent < 64 * 1024 * 40, `it sent ${trickle.sent} bytes`)
})

t.test('a declared body beyond the byte bound is not waited for', async (t) => {
  const port = await listen(t, { lingering: { maxBytes: 4 * MiB, maxMs: 60_000 } })
  const res = await upload(port, { url: '/events', size: 1024 * MiB, chunked: false })
  t.not(res.writeError, null, 'cut: the client sees the reset it saw before')
  t.ok(res.sent < 64 * MiB, `after ${res.sent} bytes`)
  t.ok(res.ms < 10_000, `in ${res.ms} ms`)
})
