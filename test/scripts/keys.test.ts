/** npm run keys: create (token printed once), list (no tokens), revoke; the server sees each at once. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { runKeys } from '../../scripts/keys.js'
import { childEnv, childNode, tempDir } from '../helper.js'

t.test('create, list, revoke against the database a running server uses', async (t) => {
  const dir = tempDir(t, 'keys')
  const dbPath = join(dir, 'reckon.db')
  const app = await buildApp({ config: { dbPath, apiKeys: [], logLevel: 'silent' }, logger: false })
  t.teardown(() => app.close())

  const created = await runKeys(['create', '--name', 'desk', '--scopes', 'read,write'], { dbPath })
  const token = /token: (rk_\S+)/.exec(created)?.[1] ?? ''
  t.match(created, /created key \S+ "desk" \(read, write\)/)
  t.ok(token.length > 40, 'the token is printed')
  const id = /created key (\S+)/.exec(created)?.[1] ?? ''

  const event = { id: 'ev', title: 'E', occurred_on: '2017' }
  t.equal((await app.inject({ method: 'POST', url: '/events', payload: event })).statusCode, 401, 'the server needs a key now')
  t.equal(
    (await app.inject({ method: 'POST', url: '/events', headers: { authorization: `Bearer ${token}` }, payload: event })).statusCode,
    201,
  )

  const listed = await runKeys(['list'], { dbPath })
  t.match(listed, new RegExp(`${id}\\s+${token.slice(0, 7)}…\\s+read,write\\s+active\\s+desk`))
  t.notOk(listed.includes(token), 'no token in the list')

  t.match(await runKeys(['revoke', id], { dbPath }), /revoked key/)
  t.equal(
    (await app.inject({ method: 'POST', url: '/events', headers: { authorization: `Bearer ${token}` }, payload: { ...event, id: 'ev-2' } }))
      .statusCode,
    201,
    'no key left: writes are open again',
  )
  t.match(await runKeys(['list'], { dbPath }), /revoked \d{4}-/)
})

t.test('usage errors say what is wrong', async (t) => {
  const dbPath = ':memory:'
  await t.rejects(runKeys([], { dbPath }), /a command is required/)
  await t.rejects(runKeys(['create', '--scopes', 'read'], { dbPath }), /--name is required/)
  await t.rejects(runKeys(['create', '--name', 'x', '--scopes', 'read,root'], { dbPath }), /unknown scope "root"/)
  await t.rejects(runKeys(['revoke'], { dbPath }), /needs the key id/)
  await t.rejects(runKeys(['revoke', 'nope'], { dbPath }), /No key with id "nope"/)
})

t.test('npm run keys works as a command', async (t) => {
  const dir = tempDir(t, 'keys-cli')
  const run = promisify(execFile)
  const env = childEnv({ RECKON_DB: join(dir, 'r.db') })
  const { stdout } = await run(...childNode(['--import', 'tsx', 'scripts/keys.ts', 'create', '--name', 'cli', '--scopes', 'admin']), {
    env,
  })
  t.match(stdout, /token: rk_/)
  const failed = await run(...childNode(['--import', 'tsx', 'scripts/keys.ts', 'frobnicate']), { env }).catch(
    (err: { code: number; stderr: string }) => err,
  )
  t.match(failed, { code: 2, stderr: /unknown command "frobnicate"[\s\S]*usage: npm run keys/ })
})
