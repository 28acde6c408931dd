/**
 * The change feed (contract §11): `GET /changes` pages through every write in
 * order; `GET /changes/stream` sends the same items as Server-Sent Events and
 * resumes from `Last-Event-ID`.
 *
 * Positions. An item's `seq` is its position. `after` takes the opaque
 * `next_cursor` of a previous page, or a bare `seq` (such as the `id:` of an
 * SSE event), and answers the changes after it. `next_cursor` is the cursor
 * of the last item returned, even on the last page, so that a follower that
 * has read everything polls again from where it stopped; on an empty page it
 * is the `after` it was given, and it is null only when the feed is read from
 * its start and has nothing yet. `has_more` (and the Link header) says
 * whether more changes are already there.
 *
 * How live changes reach a stream: by polling, not by an in-process event.
 * One timer per app, running only while a stream is open, reads the latest
 * seq (a prepared `MAX(seq)` on the rowid: microseconds) every `pollMs`
 * (default 200 ms) and wakes the streams when it has moved; each stream then
 * reads its changes after its own watermark. Polling catches the writes of
 * every process that shares the database file (a bulk import run by a script,
 * a second server), which a notifier fed by recordChange would miss, and
 * needs no hook in the write path; the cost is up to `pollMs` of latency.
 *
 * No gap, no duplicate: a stream has one watermark, the seq up to which it
 * has considered every change. Catch-up and live delivery are the same loop —
 * read the changes after the watermark, send them, move the watermark — so
 * nothing written between the two phases can fall between them, and nothing
 * is sent twice. (Why "after the watermark" never skips a row: see
 * changes-repository.ts.) The stream reads only when the client has taken
 * what was sent before (a Readable's `read()`), a batch at a time, so a slow
 * client or a long catch-up keeps memory flat.
 *
 * Closing the app ends every open stream in `preClose`, before the server
 * waits for its connections; a stream whose client does not take its last
 * bytes within `closeGraceMs` is cut. A client that disconnects is noticed by
 * Fastify, which destroys the stream: its heartbeat timer and its watcher
 * subscription go with it, and the poll timer stops with the last stream.
 */
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  CHANGE_TYPES,
  type ChangeFilters,
  type ChangeItem,
  type ChangeType,
  type ChangesRepository,
  changeCursor,
  createChangesRepository,
  isChangeType,
  positionSchema,
} from '../../repositories/changes-repository.js'
import { Limit, Timestamp, errorResponses } from '../../schemas/common.js'

export interface ChangesRoutesOptions {
  /** A `: heartbeat` comment after this long without sending anything (default 15 s). */
  heartbeatMs?: number
  /** How often the latest seq is read while a stream is open (default 200 ms). */
  pollMs?: number
  /** The `retry:` hint: how long EventSource waits before it reconnects (default 3 s). */
  retryMs?: number
  /** On close, how long an ended stream may take to flush before it is cut (default 1 s). */
  closeGraceMs?: number
  /** Changes read per query by a stream (default 500). */
  batch?: number
}

const DEFAULTS: Required<ChangesRoutesOptions> = {
  heartbeatMs: 15_000,
  pollMs: 200,
  retryMs: 3_000,
  closeGraceMs: 1_000,
  batch: 500,
}

// ---- schemas ----

const exampleItem = {
  seq: 42,
  at: '2017-04-06T12:00:00.000Z',
  type: 'claim.created',
  id: '01966c4e-8f3a-7d21-9a4b-3f5e6a7b8c9d',
  event_id: 'khan-shaykhun',
} as const

export const Change = z
  .object({
    seq: z.int().positive().meta({ description: 'The position of the change in the feed: increasing, one per write.' }),
    at: Timestamp.meta({ description: 'When the write was made (ISO 8601 UTC).' }),
    type: z.enum(CHANGE_TYPES).meta({ description: 'What was written.' }),
    id: z.string().meta({ description: 'The id of what was written: the claim, source, actor or event.' }),
    event_id: z
      .string()
      .nullable()
      .meta({ description: 'The event the write concerns: the event itself, or the event of the claim; null for sources and actors.' }),
  })
  .meta({ id: 'Change', description: 'One write, as the change feed reports it.', examples: [exampleItem] })

const ChangesPage = z
  .object({
    items: z.array(Change),
    next_cursor: z
      .string()
      .nullable()
      .meta({
        description:
          'Pass as `after` to read on: the position after the last item, even on the last page, so that polling again from it ' +
          'returns only newer changes. On an empty page it is the `after` given; null only when the feed is read from its start and is empty.',
      }),
    has_more: z.boolean().meta({ description: 'Whether more changes follow this page already; if false, poll again later.' }),
  })
  .meta({
    examples: [{ items: [exampleItem], next_cursor: changeCursor(42), has_more: false }],
  })

const TypeList = z
  .string()
  .max(500)
  .transform((text, ctx): ChangeType[] => {
    const parts = text.split(',').map((part) => part.trim())
    const types = parts.filter(isChangeType)
    if (types.length === 0 || types.length !== parts.length) {
      ctx.addIssue({ code: 'custom', message: `must be one or more of ${CHANGE_TYPES.join(', ')}, separated by commas` })
      return z.NEVER
    }
    return types
  })
  .meta({
    description: `Only changes of these types, separated by commas: ${CHANGE_TYPES.join(', ')}.`,
    example: 'claim.created,claim.retracted',
  })

const filterFields = {
  event_id: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'Only the changes that concern this event: the event itself and its claims.', example: 'khan-shaykhun' }),
  type: TypeList.optional(),
}

const POSITION_RULE = 'is not a position in the change feed: give a next_cursor or a seq'

const After = positionSchema(POSITION_RULE)
  .optional()
  .meta({
    description:
      'Read the changes after this position: the `next_cursor` of a previous page, or a `seq` (such as the `id` of an SSE event); ' +
      '`0` or absent reads from the first change.',
    example: changeCursor(42),
  })

const FeedQuery = z.strictObject({ after: After, limit: Limit, ...filterFields })

const StreamQuery = z.strictObject({
  after: After,
  last_event_id: positionSchema(POSITION_RULE)
    .optional()
    .meta({ description: 'The same as the Last-Event-ID header, for clients that cannot set headers.', example: '42' }),
  ...filterFields,
})

const StreamHeaders = z.looseObject({
  'last-event-id': positionSchema(POSITION_RULE)
    .optional()
    .meta({
      description:
        'The `id` of the last event received: the stream resumes after it. EventSource sends it by itself when it reconnects. ' +
        'It wins over `last_event_id` and `after` (which stay in the URL EventSource reconnects to).',
      example: '42',
    }),
})

const SSE_EXAMPLE = 'retry: 3000\n\n' + `id: 42\nevent: claim.created\ndata: ${JSON.stringify(exampleItem)}\n\n` + ': heartbeat\n\n'

// ---- the feed ----

/** `</changes?same&query&after=…>; rel="next"`: the request's own URL with the next position (the feed's parameter is `after`). */
function nextLink(url: string, cursor: string): string {
  const at = url.indexOf('?')
  const path = at === -1 ? url : url.slice(0, at)
  const params = new URLSearchParams(at === -1 ? '' : url.slice(at + 1))
  params.set('after', cursor)
  return `<${path}?${params.toString()}>; rel="next"`
}

// ---- the stream ----

/**
 * Reads the latest seq every `pollMs` while anyone listens, and tells the
 * listeners when it has moved. The timer is unref'd: it never keeps the
 * process alive.
 */
class ChangeWatcher {
  private readonly listeners = new Set<(latest: number) => void>()
  private timer: NodeJS.Timeout | null = null
  private latest = -1
  private closed = false

  constructor(
    private readonly latestSeq: () => Promise<number>,
    private readonly pollMs: number,
  ) {}

  subscribe(listener: (latest: number) => void): () => void {
    if (this.closed) return () => undefined
    this.listeners.add(listener)
    if (this.timer === null) {
      this.timer = setInterval(() => void this.tick(), this.pollMs)
      this.timer.unref()
    }
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.stop()
    }
  }

  close(): void {
    this.closed = true
    this.listeners.clear()
    this.stop()
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    this.latest = -1
  }

  private async tick(): Promise<void> {
    let latest: number
    try {
      latest = await this.latestSeq()
    } catch {
      return // the database is closing; the streams are being ended
    }
    if (this.closed) return
    if (latest === this.latest) return
    this.latest = latest
    for (const listener of [...this.listeners]) listener(latest)
  }
}

interface StreamSettings {
  heartbeatMs: number
  retryMs: number
  batch: number
}

function sseEvent(item: ChangeItem): string {
  // JSON.stringify escapes every line break, so the data is one line.
  return `id: ${item.seq}\nevent: ${item.type}\ndata: ${JSON.stringify(item)}\n\n`
}

/** One client's stream: the changes after its watermark, as SSE text, read as the client takes them. */
class ChangeStream extends Readable {
  /** Every change with seq up to here has been sent, or did not match the filters. */
  private scanned: number
  /** The client has asked for more (`read()`) and nothing has been pushed since. */
  private wanting = false
  private filling = false
  /** fill() was called while it ran: it looks once more before it stops. */
  private again = false
  private ended = false
  private readonly heartbeat: NodeJS.Timeout
  private readonly unsubscribe: () => void

  constructor(
    private readonly repo: ChangesRepository,
    private readonly filters: ChangeFilters,
    after: number,
    watcher: ChangeWatcher,
    private readonly settings: StreamSettings,
  ) {
    super()
    this.scanned = after
    // The first bytes go out at once, so the client sees the headers and the reconnection delay.
    this.push(`retry: ${settings.retryMs}\n\n`)
    this.unsubscribe = watcher.subscribe((latest) => {
      if (latest > this.scanned) void this.fill()
    })
    this.heartbeat = setInterval(() => this.beat(), settings.heartbeatMs)
    this.heartbeat.unref()
  }

  override _read(): void {
    this.wanting = true
    void this.fill()
  }

  /** Ends the stream after what is already queued (the server is closing). */
  finish(): void {
    if (this.ended) return
    this.ended = true
    this.cleanup()
    this.push(null)
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.ended = true
    this.cleanup()
    callback(err)
  }

  private cleanup(): void {
    clearInterval(this.heartbeat)
    this.unsubscribe()
  }

  /** Sends what the client can take: batches of changes after the watermark, until it is full or there are none. */
  private async fill(): Promise<void> {
    if (this.filling) {
      this.again = true // a change or a read came while filling: look once more when done
      return
    }
    if (this.ended || this.destroyed) return
    this.filling = true
    try {
      do {
        this.again = false
        await this.fillOnce()
      } while (this.again && !this.ended && !this.destroyed)
    } catch (err) {
      this.destroy(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.filling = false
    }
  }

  private async fillOnce(): Promise<void> {
    while (this.wanting && !this.ended && !this.destroyed) {
      // Read before the page: every change up to `high` is visible to the page query that follows.
      const high = await this.repo.latestSeq()
      const items = await this.repo.after(this.filters, this.scanned, this.settings.batch)
      if (this.ended || this.destroyed) return
      const last = items.at(-1)
      // A short page holds every matching change up to `high`: the rest were filtered out and need no second look.
      this.scanned = Math.max(last?.seq ?? this.scanned, items.length < this.settings.batch ? high : 0)
      if (last === undefined) break
      this.wanting = this.send(items.map(sseEvent).join(''))
    }
  }

  private send(text: string): boolean {
    this.heartbeat.refresh()
    return this.push(text)
  }

  private beat(): void {
    // A client that has not taken the last bytes yet needs no heartbeat.
    if (this.ended || this.readableLength > 0) return
    this.wanting = this.send(': heartbeat\n\n') && this.wanting
  }
}

/**
 * Starts an SSE response: the stream, or for HEAD the headers alone (Fastify
 * would drain a stream sent to HEAD, and this one never ends). Takes the
 * untyped reply: the route's typed one accepts only what its schema documents.
 */
function sendEvents(reply: FastifyReply, method: string, stream: () => Readable): FastifyReply {
  reply.code(200).type('text/event-stream').headers({
    'cache-control': 'no-cache, no-transform',
    // nginx buffers responses unless told not to.
    'x-accel-buffering': 'no',
  })
  return reply.send(method === 'HEAD' ? '' : stream())
}

// ---- the routes ----

const changesRoutes: FastifyPluginAsyncZod<ChangesRoutesOptions> = async (app, opts) => {
  const settings: Required<ChangesRoutesOptions> = {
    heartbeatMs: opts.heartbeatMs ?? DEFAULTS.heartbeatMs,
    pollMs: opts.pollMs ?? DEFAULTS.pollMs,
    retryMs: opts.retryMs ?? DEFAULTS.retryMs,
    closeGraceMs: opts.closeGraceMs ?? DEFAULTS.closeGraceMs,
    batch: opts.batch ?? DEFAULTS.batch,
  }
  const repo = createChangesRepository(app.sql)
  const watcher = new ChangeWatcher(() => repo.latestSeq(), settings.pollMs)
  const open = new Set<ChangeStream>()

  // Before the server stops accepting and waits for its connections: end every stream
  // (a client that does not take its last bytes within closeGraceMs is cut off).
  app.addHook('preClose', async () => {
    watcher.close()
    if (open.size === 0) return
    for (const stream of open) stream.finish()
    const cut = setTimeout(() => {
      for (const stream of open) stream.destroy()
    }, settings.closeGraceMs)
    cut.unref()
  })
  app.addHook('onClose', async () => {
    watcher.close()
    for (const stream of open) stream.destroy()
  })

  app.get(
    '/',
    {
      // A page is fixed by its URL and the latest seq: a follower that polls with If-None-Match gets a 304 until something is written.
      config: { etag: 'database' },
      schema: {
        operationId: 'listChanges',
        summary: 'Every write, in order',
        description:
          'The change feed: one item per write — a claim recorded or retracted, a source, actor or event created or updated — ' +
          'in the order the writes were made (`seq`). Read it from the start, then pass `next_cursor` as `after` to read on. ' +
          '`next_cursor` is the position after the last item even on the last page, so a follower (a mirror, a dashboard) polls again ' +
          'from it and gets only what is newer; on an empty page it is the `after` given. `has_more` says whether more changes are ' +
          'already there; when they are, `Link: <…>; rel="next"` carries the URL of the next page. Paging never skips or repeats a ' +
          'change, however writes interleave with the reads. `after` also takes a bare `seq`. `event_id` and `type` narrow the feed. ' +
          'To follow it live, use GET /changes/stream.',
        tags: ['changes'],
        querystring: FeedQuery,
        response: {
          200: { description: 'A page of changes, oldest first.', content: { 'application/json': { schema: ChangesPage } } },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const { after, limit, event_id, type } = request.query
      const rows = await repo.after({ event_id, types: type }, after ?? 0, limit + 1)
      const items = rows.slice(0, limit)
      const last = items.at(-1)
      const next = last !== undefined ? changeCursor(last.seq) : after !== undefined ? changeCursor(after) : null
      const hasMore = rows.length > limit
      if (hasMore && next !== null) reply.header('link', nextLink(request.url, next))
      return { items, next_cursor: next, has_more: hasMore }
    },
  )

  app.get(
    '/stream',
    {
      schema: {
        operationId: 'streamChanges',
        summary: 'Follow the change feed live (Server-Sent Events)',
        description:
          'The items of GET /changes as Server-Sent Events (`text/event-stream`): each change is an event with `id: <seq>`, ' +
          '`event: <type>` and `data: <the item as JSON>`. The stream first sends every change after the starting position, then ' +
          'each new one as it is written (within a fraction of a second), for as long as the client stays. It starts after the ' +
          '`Last-Event-ID` header if there is one, else after `last_event_id`, else after `after` (a `next_cursor` or a `seq`), else ' +
          'at the first change. Reconnecting with the id of the last event received resumes with nothing missed and nothing ' +
          'repeated — EventSource does so by itself. The stream opens with a `retry:` hint, and sends a `: heartbeat` comment ' +
          'after 15 seconds without an event, so that proxies keep the connection. `event_id` and `type` narrow the stream as ' +
          'they narrow the feed; ids stay the feed-wide `seq`.',
        tags: ['changes'],
        querystring: StreamQuery,
        headers: StreamHeaders,
        response: {
          200: {
            description: 'An endless stream of change events.',
            content: {
              'text/event-stream': {
                schema: z.string().meta({
                  description: 'Server-Sent Events: `id: <seq>`, `event: <type>`, `data: <Change as JSON>`; `: heartbeat` comments.',
                  example: SSE_EXAMPLE,
                }),
              },
            },
          },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const { query, headers } = request
      const after = headers['last-event-id'] ?? query.last_event_id ?? query.after ?? 0
      return sendEvents(reply, request.method, () => {
        const stream = new ChangeStream(repo, { event_id: query.event_id, types: query.type }, after, watcher, settings)
        open.add(stream)
        stream.once('close', () => open.delete(stream))
        return stream
      })
    },
  )
}

export default changesRoutes
