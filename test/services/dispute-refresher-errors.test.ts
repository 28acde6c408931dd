/** The background refresher (services/dispute-refresher.ts) when a round fails: logged, retried, and the work goes on. */
import t from 'tap'
import type { FastifyBaseLogger } from 'fastify'
import { createRefresher } from '../../src/services/dispute-refresher.js'
import { build } from '../helper.js'

t.test('a round that throws is logged and retried after the interval; the rounds that follow do their work', async (t) => {
  const app = await build(t)
  const calls: string[] = []
  const logged: Array<[unknown, unknown]> = []
  const log: FastifyBaseLogger = { ...app.log, error: (obj: unknown, msg?: unknown) => logged.push([obj, msg]) }
  const failure = new Error('database is locked')
  let failuresLeft = 1
  let finished: () => void = () => undefined
  const reachedDue = new Promise<void>((resolve) => (finished = resolve))
  const disputes = {
    sinceLastQueued: () => Number.POSITIVE_INFINITY,
    refreshSomeQueued: async (limit: number) => {
      calls.push(`queue ${limit}`)
      if (failuresLeft-- > 0) throw failure
      return 0
    },
    directoryStamp: async () => 'sources-1|actors-1',
    refreshStale: async (after: string, limit: number) => {
      calls.push(`walk after "${after}" ${limit}`)
      return null
    },
    refreshDue: async () => {
      calls.push('due')
      finished()
      return 0
    },
  }
  const refresher = createRefresher(disputes, log, { intervalMs: 1, slice: 5, budgetMs: 10, settleMs: 0 }, app.writes)
  t.teardown(() => refresher.stop())
  // The refresher's timers are unref'd (they never keep a server's process alive): this keeps the test's alive until the retry.
  const keepAlive = setInterval(() => undefined, 1000)
  t.teardown(() => clearInterval(keepAlive))
  await reachedDue
  clearInterval(keepAlive)
  await refresher.stop()
  t.strictSame(
    logged,
    [[{ err: failure }, 'refreshing dispute blocks failed; retrying later']],
    'the failure is logged once, with the error',
  )
  t.strictSame(
    calls,
    ['queue 5', 'queue 5', 'walk after "" 5', 'queue 5', 'due'],
    'after the failed round: the queue, the walk from the start (it had not begun), then claims come due',
  )
})

t.test('stop waits for the round under way: the store may be closed once it resolves', async (t) => {
  const app = await build(t)
  let release: () => void = () => undefined
  const released = new Promise<void>((resolve) => (release = resolve))
  let started: () => void = () => undefined
  const inRound = new Promise<void>((resolve) => (started = resolve))
  const calls: string[] = []
  const disputes = {
    sinceLastQueued: () => Number.POSITIVE_INFINITY,
    refreshSomeQueued: async () => {
      calls.push('queue: begun')
      started()
      await released
      calls.push('queue: ended')
      return 0
    },
    directoryStamp: async () => 'sources-1|actors-1',
    refreshStale: async () => null,
    refreshDue: async () => 0,
  }
  const refresher = createRefresher(disputes, app.log, { intervalMs: 1, slice: 5, budgetMs: 10, settleMs: 0 }, app.writes)
  await inRound
  let stopped = false
  const stopping = refresher.stop().then(() => (stopped = true))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(stopped, false, 'not while the round runs')
  release()
  await stopping
  t.strictSame(calls, ['queue: begun', 'queue: ended'], 'the round ended before stop resolved, and no round followed')
  t.equal(stopped, true)
})
