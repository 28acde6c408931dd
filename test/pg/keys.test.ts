/**
 * npm run keys on PostgreSQL: the command takes RECKON_DATABASE_URL as the
 * server does, and a server on that database honours a key the command made
 * and refuses it once the command revoked it.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { childEnv, childNode, tempDir } from '../helper.js'
import { throwawayDatabase } from './throwaway.js'

const run = promisify(execFile)

/** `npm run keys -- …` as a child process with these variables; its output, or its exit code and stderr. */
async function keys(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(...childNode(['--import', 'tsx', 'scripts/keys.ts', ...args]), { env: childEnv(env) }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  )
}

t.test('create, list and revoke through RECKON_DATABASE_URL; a server on that database honours, then refuses, the key', async (t) => {
  const db = await throwawayDatabase(t)
  const dir = tempDir(t, 'keys-pg')
  // RECKON_DB is set too, as on a machine that once ran on SQLite: RECKON_DATABASE_URL wins, as it does for the server.
  const sqliteFile = join(dir, 'reckon.db')
  const env = { RECKON_DATABASE_URL: db.url, RECKON_DB: sqliteFile }

  // The command migrates an empty database, as a server would; the server then finds it migrated.
  const created = await keys(env, 'create', '--name', 'desk', '--scopes', 'read,write')
  t.equal(created.code, 0, created.stderr)
  const token = /token: (rk_\S+)/.exec(created.stdout)?.[1] ?? ''
  const id = /created key (\S+) "desk" \(read, write\)/.exec(created.stdout)?.[1] ?? ''
  t.ok(token.length > 40 && id.length > 0, 'the key and its token are printed')
  t.equal(existsSync(sqliteFile), false, 'RECKON_DB is not touched')

  const app = await buildApp({ config: { dbPath: ':memory:', databaseUrl: db.url, apiKeys: [], logLevel: 'silent' }, logger: false })
  t.teardown(() => app.close())
  const event = (n: number) => ({ id: `ev-${n}`, title: 'E', occurred_on: '2017' })
  const bearer = { authorization: `Bearer ${token}` }
  t.equal((await app.inject({ method: 'POST', url: '/events', payload: event(1) })).statusCode, 401, 'the server needs a key now')
  t.equal((await app.inject({ method: 'POST', url: '/events', headers: bearer, payload: event(1) })).statusCode, 201, 'and takes this one')

  // A second key keeps writes closed once the first is revoked.
  t.equal((await keys(env, 'create', '--name', 'ops', '--scopes', 'admin')).code, 0)
  const listed = await keys(env, 'list')
  t.equal(listed.code, 0, listed.stderr)
  t.match(listed.stdout, new RegExp(`${id}\\s+${token.slice(0, 7)}…\\s+read,write\\s+active\\s+desk`))
  t.match(listed.stdout, /\s+admin\s+active\s+ops\n?$/)
  t.notOk(listed.stdout.includes(token), 'no token in the list')

  const revoked = await keys(env, 'revoke', id)
  t.equal(revoked.code, 0, revoked.stderr)
  t.match(revoked.stdout, new RegExp(`^revoked key ${id} "desk" at \\d{4}-`))
  const refused = await app.inject({ method: 'POST', url: '/events', headers: bearer, payload: event(2) })
  t.equal(refused.statusCode, 401, 'the server refuses the key on its next request')
  t.equal(refused.headers['www-authenticate'], 'Bearer realm="reckon", error="invalid_token"')
  t.match((await keys(env, 'list')).stdout, new RegExp(`${id}\\s+\\S+\\s+read,write\\s+revoked \\d{4}-`))
  t.equal(existsSync(sqliteFile), false, 'RECKON_DB is still not touched')
})

t.test('a server that cannot be reached stops the command with the reason, never the password', async (t) => {
  const failed = await keys({ RECKON_DATABASE_URL: 'postgres://reckon:hunter2@127.0.0.1:1/reckon' }, 'list')
  t.equal(failed.code, 1)
  t.equal(
    failed.stderr.trim(),
    'Cannot open the PostgreSQL database "reckon" at 127.0.0.1:1 (user reckon): connection refused (ECONNREFUSED): ' +
      'no PostgreSQL server listens on that host and port. Check RECKON_DATABASE_URL.',
  )
  t.equal(failed.stdout, '')
  const badUrl = await keys({ RECKON_DATABASE_URL: 'mysql://root:hunter2@db/reckon' }, 'list')
  t.equal(badUrl.code, 1)
  t.match(badUrl.stderr, /^RECKON_DATABASE_URL has the scheme "mysql:"/)
  t.notMatch(badUrl.stderr + failed.stderr, /hunter2/)
})
