/**
 * Long answers computed as they are sent (#14: no request holds the event
 * loop for more than ~50 ms). Items come from a lazy iterable (a timeline's
 * steps, each computed when it is asked for) and are rendered in slices: a
 * slice ends after SLICE_ITEMS items or SLICE_MS milliseconds of work,
 * whichever comes first, and the event loop gets a turn (setImmediate)
 * before the next one, so other requests are served in between. As a
 * Readable, the text is only produced as fast as the client takes it:
 * memory holds a slice or two, however long the answer.
 */
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'

/** The most work between two turns of the event loop: this many milliseconds of computing items… */
export const SLICE_MS = 10
/** …or this many items (which makes the turns the same on every machine). */
export const SLICE_ITEMS = 100

/** A turn of the event loop: what is waiting (other requests, timers, I/O) runs before this resolves. */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

export interface SlicedText<T> {
  /** What comes before the first item (a JSON envelope's opening, a CSV header). */
  head: string
  /** The text of a slice's items; `first` when no item was rendered before them (JSON puts a comma between). */
  render(items: readonly T[], first: boolean): string
  /** What comes after the last item, asked for once every item is rendered. */
  tail(): string
}

/** The text `head`, the items', then `tail()`, produced a slice at a time (see the module comment). */
export function slicedStream<T>(items: Iterable<T>, text: SlicedText<T>): Readable {
  async function* slices(): AsyncGenerator<string, void, undefined> {
    let pending = text.head
    let first = true
    let slice: T[] = []
    let started = performance.now()
    for (const item of items) {
      slice.push(item)
      if (slice.length < SLICE_ITEMS && performance.now() - started < SLICE_MS) continue
      yield pending + text.render(slice, first)
      pending = ''
      first = false
      slice = []
      await turn()
      started = performance.now()
    }
    yield pending + (slice.length > 0 ? text.render(slice, first) : '') + text.tail()
  }
  return Readable.from(slices(), { objectMode: false })
}

/** Sends the text of `slicedStream` with its content type: as it is, past the route's serializer (Fastify pipes a stream). */
export function sendSliced<T>(reply: FastifyReply, contentType: string, items: Iterable<T>, text: SlicedText<T>): FastifyReply {
  return reply.type(contentType).send(slicedStream(items, text))
}
