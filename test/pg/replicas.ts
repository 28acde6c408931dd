/**
 * Replicas of the real server on one PostgreSQL database (#15), for
 * test/pg/replicas.test.ts: src/server.ts bundled once with esbuild (as the
 * durability tests do: no `npm run build` needed on a fresh clone), each
 * replica a `node` process on a port of its own, all with the same
 * RECKON_DATABASE_URL (a throwaway database) and the same admin key. Every
 * process is killed with SIGKILL at teardown, whatever the test's outcome.
 */
import pg from 'pg'
import type { Teardown } from '../helper.js'
import { type ServerProcess, startServer } from '../durability/server-process.js'
import { type ThrowawayDatabase, throwawayDatabase } from './throwaway.js'

/** The key every replica is configured with (RECKON_API_KEYS): admin, which includes write and read. */
export const ADMIN_TOKEN = 'replicas-admin'

export interface Replica {
  /** r0, r1, …: how failure messages name it. */
  name: string
  base: string
  process: ServerProcess
  /** False once the test has killed it. */
  alive: boolean
}

export interface Cluster {
  db: ThrowawayDatabase
  replicas: Replica[]
  /** One query on a connection of the test's own to the replicas' database. */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>
  /** SIGKILL, and wait for the process to be gone. */
  kill(replica: Replica): Promise<void>
}

/**
 * `count` replicas of the bundled server `entry` on a fresh database. The
 * first starts alone and migrates the database; the others start together.
 */
export async function startCluster(t: Teardown, entry: string, count: number): Promise<Cluster> {
  const db = await throwawayDatabase(t)
  const replicas: Replica[] = []
  // Registered after the database's drop: tap runs teardowns last registered first, so the processes go before it.
  t.teardown(() => {
    for (const r of replicas) r.process.kill('SIGKILL')
  })
  const start = async (i: number) => {
    const process = await startServer({
      entry,
      apiKeys: `${ADMIN_TOKEN}:admin`,
      env: { RECKON_DATABASE_URL: db.url },
    })
    const replica: Replica = { name: `r${i}`, base: process.base, process, alive: true }
    replicas.push(replica)
    return replica
  }
  await start(0)
  await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)))
  replicas.sort((a, b) => a.name.localeCompare(b.name))

  const client = new pg.Client({ connectionString: db.url, application_name: 'reckon-tests' })
  await client.connect()
  t.teardown(() => client.end())
  return {
    db,
    replicas,
    query: async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await client.query<R>(text, values)).rows,
    kill: async (replica) => {
      replica.alive = false
      replica.process.kill('SIGKILL')
      await replica.process.exited
    },
  }
}

export interface Answer {
  status: number
  headers: Headers
  text: string
}

/** One request with the admin key (unless `headers` gives another authorization); the whole body read. Throws when the connection fails. */
export async function call(
  replica: Replica,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${replica.base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

export function parse<T>(answer: Answer): T {
  return JSON.parse(answer.text) as T
}

/** A request that must succeed with `status`: otherwise an error naming the replica, the request and the answer. */
export async function expect(
  replica: Replica,
  status: number,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<Answer> {
  const answer = await call(replica, method, path, body)
  if (answer.status !== status)
    throw new Error(`${replica.name}: ${method} ${path} answered ${answer.status}, not ${status}: ${answer.text.slice(0, 500)}`)
  return answer
}

/** A summary body without its `as_of` (the moment of the request, when none is asked for): what every replica must send alike. */
export function withoutAsOf(body: string): string {
  return body.replace(/"as_of":"[^"]*"/, '"as_of":"…"')
}

export interface Polled<T> {
  /** The first value `check` accepted, or null if none came in time. */
  value: T | null
  /** Milliseconds from the start of polling to that value (or to giving up). */
  ms: number
  /** What each attempt found, for a failure message. */
  seen: string[]
}

/**
 * Calls `attempt` until `check` accepts its value or `limitMs` has passed
 * (one last attempt is made at the limit). `describe` says what an attempt
 * found, for the failure message.
 */
export async function poll<T>(
  limitMs: number,
  attempt: () => Promise<T>,
  check: (value: T) => boolean,
  describe: (value: T) => string,
): Promise<Polled<T>> {
  const started = Date.now()
  const seen: string[] = []
  for (;;) {
    const value = await attempt()
    const ms = Date.now() - started
    seen.push(`${ms} ms: ${describe(value)}`)
    if (check(value)) return { value, ms, seen }
    if (ms >= limitMs) return { value: null, ms, seen }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The first `n` items of a list, and how many more there are. */
export function firstOf(items: readonly unknown[], n = 10): string {
  const shown = items.slice(0, n).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
  return items.length > n ? `${shown.join(', ')} … (${items.length} in all)` : shown.join(', ')
}
