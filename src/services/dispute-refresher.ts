/**
 * Keeps the dispute blocks and the stored "now" summaries up to date in the
 * background, a slice at a time between requests, so that neither a list
 * read nor a summary read pays for the writes before it:
 *   1. the queue (events written to since their block was computed), once
 *      writes have paused for `settleMs` — during a bulk load it would
 *      recompute the same events after every batch, and slow the load;
 *   2. a walk over every row whose stored summary no longer shows now — at
 *      start (none stored by a database that predates them) and whenever a
 *      source or an actor changed (names show in every summary);
 *   3. claims come due (stated in the past's future: refreshDue).
 * Readers do not depend on it: GET /events refreshes the queue itself, and a
 * summary whose stored document is stale is computed live. Its slices are
 * writes: a round finds the write gate held (a bulk batch being written in
 * the worker) and waits for the next.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { DisputesRepository } from '../repositories/disputes-repository.js'
import type { WriteGate } from '../repositories/write-gate.js'

export interface RefresherOptions {
  /** Pause between rounds once there is nothing left to do. */
  intervalMs: number
  /** Events recomputed per slice at most (one transaction; an event's summary is 0.2–5 ms, whatever its history). */
  slice: number
  /** A slice of the queue stops once it has taken this long: the requests waiting meanwhile wait no longer. */
  budgetMs: number
  /** How long writes must have paused before the queue is refreshed. */
  settleMs: number
}

export const REFRESHER_DEFAULTS: RefresherOptions = { intervalMs: 1000, slice: 50, budgetMs: 10, settleMs: 1000 }

export interface Refresher {
  /** One slice of work, through the write gate (which must be free); true when more remains. */
  step(): Promise<boolean>
  /** No round after this one; resolves once the round under way, if any, has ended (the store may then be closed). */
  stop(): Promise<void>
}

export function createRefresher(
  disputes: Pick<DisputesRepository, 'refreshSomeQueued' | 'refreshStale' | 'refreshDue' | 'directoryStamp' | 'sinceLastQueued'>,
  log: FastifyBaseLogger,
  options: RefresherOptions,
  writes: Pick<WriteGate, 'busy' | 'now'>,
): Refresher {
  /** Where the walk over stale rows has got to (null: no walk under way), and the directory it started under. */
  let walk: string | null = ''
  let walkedUnder: string | null = null
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  /** The round under way, if any. */
  let running: Promise<void> | null = null

  async function slice(): Promise<boolean> {
    if (disputes.sinceLastQueued() < options.settleMs) return false // writes under way: later
    if ((await disputes.refreshSomeQueued(options.slice, options.budgetMs)) > 0) return true // more may be left: the next round looks
    const stamp = await disputes.directoryStamp()
    walkedUnder ??= stamp
    if (walk === null && stamp !== walkedUnder) {
      walk = ''
      walkedUnder = stamp
    }
    if (walk !== null) {
      walk = await disputes.refreshStale(walk, options.slice)
      return true // once more after the walk's end: the directory may have changed during it
    }
    await disputes.refreshDue()
    return false
  }

  const step = () => writes.now(slice)

  async function round(): Promise<void> {
    timer = null
    if (stopped) return
    let more = false
    try {
      if (!writes.busy) more = await step()
    } catch (err) {
      log.error({ err }, 'refreshing dispute blocks failed; retrying later')
    }
    if (stopped) return
    if (more) setImmediate(next)
    else timer = setTimeout(next, options.intervalMs).unref()
  }

  function next(): void {
    const current: Promise<void> = round().finally(() => {
      if (running === current) running = null
    })
    running = current
  }

  setImmediate(next)
  return {
    step,
    async stop() {
      stopped = true
      if (timer !== null) clearTimeout(timer)
      await running
    },
  }
}
