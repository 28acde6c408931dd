/** What openPostgres says when it cannot open the store: a clear message naming RECKON_DATABASE_URL, never the password. */
import t from 'tap'
import { PostgresUnavailableError, PostgresUrlError, openPostgres } from '../../src/db/pg/client.js'
import { adminUrl } from './throwaway.js'

async function failure(url: string, options: Parameters<typeof openPostgres>[1] = {}): Promise<Error> {
  return openPostgres(url, options).then(
    async (store) => {
      await store.close()
      throw new Error(`opened ${url}`)
    },
    (err: unknown) => err as Error,
  )
}

t.test('a URL that is not a PostgreSQL URL with a database is refused before any connection', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /^RECKON_DATABASE_URL is empty: expected postgres:\/\/user:password@host:5432\/database/],
    ['reckon.db', /^RECKON_DATABASE_URL is not a valid URL: expected postgres:\/\//],
    ['mysql://root:hunter2@db/reckon', /^RECKON_DATABASE_URL has the scheme "mysql:": expected postgres:\/\//],
    ['postgres://reckon:hunter2@db:5432', /^RECKON_DATABASE_URL names no database: /],
    ['postgres://reckon:hunter2@db:5432/', /^RECKON_DATABASE_URL names no database: /],
    ['postgres://reckon:hunter2@:5432/reckon', /^RECKON_DATABASE_URL is not a valid URL: /],
    ['postgresql://reckon:hunter2@db:99999/reckon', /^RECKON_DATABASE_URL is not a valid URL: /],
    ['postgres:///reckon', /^RECKON_DATABASE_URL names no host: /],
  ]
  for (const [url, expected] of cases) {
    const err = await failure(url)
    t.ok(err instanceof PostgresUrlError, `${JSON.stringify(url)}: a PostgresUrlError`)
    t.match(err.message, expected)
    t.notMatch(err.message, /hunter2/, 'the password is not shown')
  }
})

t.test('an unreachable server is named with its host and port and the cause, without the password', async (t) => {
  const err = await failure('postgres://reckon:hunter2@127.0.0.1:1/reckon')
  t.ok(err instanceof PostgresUnavailableError)
  t.equal(
    err.message,
    'Cannot open the PostgreSQL database "reckon" at 127.0.0.1:1 (user reckon): ' +
      'connection refused (ECONNREFUSED): no PostgreSQL server listens on that host and port. Check RECKON_DATABASE_URL.',
  )
})

t.test('a host name that does not resolve says so', async (t) => {
  const err = await failure('postgres://reckon:hunter2@reckon-db.invalid/reckon')
  t.ok(err instanceof PostgresUnavailableError)
  t.match(
    err.message,
    /^Cannot open the PostgreSQL database "reckon" at reckon-db\.invalid:5432 \(user reckon\): the host name reckon-db\.invalid does not resolve/,
  )
  t.notMatch(err.message, /hunter2/)
})

t.test('a database that does not exist says how to create it', async (t) => {
  const url = new URL(adminUrl())
  url.pathname = '/reckon_test_no_such_database'
  url.password = 'hunter2'
  const err = await failure(url.toString())
  t.ok(err instanceof PostgresUnavailableError)
  t.match(err.message, /^Cannot open the PostgreSQL database "reckon_test_no_such_database" at [^ ]+:\d+/)
  t.match(err.message, /the database does not exist; create it \(createdb -h \S+ -p \d+ reckon_test_no_such_database\) or name another\./)
  t.notMatch(err.message, /hunter2/)
})

t.test('a server that does not answer in time is given up on', async (t) => {
  // A listening socket that never speaks: pg waits for the server's first message until the timeout.
  const { createServer } = await import('node:net')
  const sockets = new Set<import('node:net').Socket>()
  const silent = createServer((socket) => sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const port = (silent.address() as import('node:net').AddressInfo).port
  const err = await failure(`postgres://reckon@127.0.0.1:${port}/reckon`, { connectTimeoutMs: 300 })
  t.ok(err instanceof PostgresUnavailableError)
  t.match(err.message, new RegExp(`at 127\\.0\\.0\\.1:${port} \\(user reckon\\): no connection within 0\\.3 s`))
})

t.test('a pool size that is not a whole number of connections is refused', async (t) => {
  const err = await failure('postgres://reckon@127.0.0.1:1/reckon', { poolSize: 0 })
  t.ok(err instanceof RangeError)
  t.match(err.message, /poolSize must be a whole number of connections, at least 1 \(got 0\)/)
})
