/**
 * Lingering close, as nginx does it: when the API answers a request before
 * reading its body (a 413 on Content-Length or past the limit mid-stream, a
 * 415, a 401 or 429 on an upload, a 404), the client may still be sending.
 * Node's HTTP server then writes the answer and, with `Connection: close`,
 * destroys the socket as soon as the answer is out; the bytes still arriving
 * make the kernel reset the connection, and a client that writes its whole
 * body before reading (Python's urllib and requests) sees "Broken pipe" in
 * place of the problem document.
 *
 * So such an answer says `Connection: close`, and then the socket half-closes
 * (our FIN: the client can read the answer whenever it is ready) and reads and
 * discards what is still coming, until the body's last byte, or the client's
 * own FIN, or a bound in bytes or in time, and only then closes. The body is
 * never buffered: discarding costs bandwidth and a socket, not memory.
 *
 * The mechanism is Node's: on a `Connection: close` response the server calls
 * `socket.destroySoon()` once the response is written (`resOnFinish` in
 * node:_http_server, the same since Node 0.x); this plugin gives that one
 * socket its own destroySoon. test/plugins/lingering-close.test.ts fails if
 * Node stops calling it.
 */
import type { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface LingerLimits {
  /** Body bytes read and discarded after the answer at most; a declared Content-Length beyond it is not waited for at all. */
  maxBytes: number
  /** Milliseconds the socket stays open after the answer at most. */
  maxMs: number
}

/**
 * 256 MiB: eight times the largest body the API takes (32 MiB, bulk), so a
 * data desk's mistaken 100 MB upload still gets its 413; beyond it, a body is
 * not a mistake to explain but traffic to stop. 30 s: nginx's lingering_time,
 * enough for 100 MB at about 30 Mbit/s; a slower or endless sender is cut, as
 * it would be without lingering.
 */
export const LINGER_DEFAULTS: LingerLimits = { maxBytes: 256 * 1024 * 1024, maxMs: 30_000 }

function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length']
  return (length !== undefined && length !== '0') || raw.headers['transfer-encoding'] !== undefined
}

/**
 * Counts what still comes of the body, from before the answer is out (were
 * nobody listening then, Node would dump the body itself, where no bound can
 * see it), and replaces Node's destroySoon on this socket: end, discard what
 * still comes within the limits, then destroy.
 */
function lingerOn(raw: IncomingMessage, socket: Socket, limits: LingerLimits): void {
  let read = 0
  raw.on('data', (chunk: Buffer) => {
    read += chunk.length
    if (read > limits.maxBytes) socket.destroy()
  })
  socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
    this.end()
    const destroy = (): void => {
      clearTimeout(timer)
      this.destroy()
    }
    // The whole body is in: nothing more is coming, and once the answer is flushed the close is clean (a FIN, no reset).
    const done = (): void => {
      if (this.writableFinished) destroy()
      else this.once('finish', destroy)
    }
    const timer = setTimeout(destroy, limits.maxMs)
    timer.unref()
    this.once('close', () => clearTimeout(timer))
    if (raw.complete) return done()
    raw.once('end', done)
    this.once('end', done) // the client stopped sending
  }
}

export default fp(
  async function lingeringClosePlugin(app: FastifyInstance, opts: Partial<LingerLimits>) {
    const limits: LingerLimits = { ...LINGER_DEFAULTS, ...opts }
    app.addHook('onSend', (request, reply, payload, done) => {
      const raw = request.raw
      // Every request whose body was read (or that has none) stops at the first test.
      if (raw.complete || !hasBody(raw) || !(raw.socket instanceof Socket)) return done(null, payload)
      reply.header('connection', 'close')
      // A declared body larger than the bound is cut at once: waiting for part of it would not save the answer.
      if (!(Number(raw.headers['content-length']) > limits.maxBytes)) lingerOn(raw, raw.socket, limits)
      done(null, payload)
    })
  },
  { name: 'lingering-close' },
)
