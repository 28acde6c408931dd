/**
 * Long answers computed as they are sent (#14: no request holds the event
 * loop for more than ~50 ms). Items come from a lazy iterable (a timeline's
 * steps, each computed when it is asked for) and are computed and rendered
 * in slices: a slice ends after SLICE_ITEMS items or SLICE_MS milliseconds
 * of work, whichever comes first, and the event loop gets a turn
 * (setImmediate) before the next one, so other requests are served in
 * between. As a Readable, the text is only produced as fast as the client
 * takes it: memory holds a slice or two, however long the answer.
 */
import { performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'

/** The most work between two turns of the event loop: this many milliseconds of computing and rendering items… */
export const SLICE_MS = 10
/** …or this many items (which makes the turns the same on every machine). */
export const SLICE_ITEMS = 100

/** A turn of the event loop: what is waiting (other requests, timers, I/O) runs before this resolves. */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

export interface SlicedText<T> {
  /** What comes before the first item (a JSON envelope's opening, a CSV header). */
  head: string
  /** The text of one item; `first` for the first (JSON puts a comma before the others). */
  render(item: T, first: boolean): string
  /** What comes after the last item, asked for once every item is rendered. */
  tail(): string
}

/** The text `head`, each item's, then `tail()`, produced a slice at a time (see the module comment). */
export function slicedStream<T>(items: Iterable<T>, text: SlicedText<T>): Readable {
  async function* slices(): AsyncGenerator<string, void, undefined> {
    let slice = [text.head]
    let rendered = 0
    let started = performance.now()
    for (const item of items) {
      slice.push(text.render(item, rendered === 0))
      rendered++
      if (rendered % SLICE_ITEMS !== 0 && performance.now() - started < SLICE_MS) continue
      yield slice.join('')
      slice = []
      await turn()
      started = performance.now()
    }
    slice.push(text.tail())
    yield slice.join('')
  }
  return Readable.from(slices(), { objectMode: false })
}

/** Sends the text of `slicedStream` with its content type: as it is, past the route's serializer (Fastify pipes a stream). */
export function sendSliced<T>(reply: FastifyReply, contentType: string, items: Iterable<T>, text: SlicedText<T>): FastifyReply {
  return reply.type(contentType).send(slicedStream(items, text))
}
