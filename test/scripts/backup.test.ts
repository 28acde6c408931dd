import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { backup } from '../../scripts/backup.js'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, post, tempDir } from '../helper.js'

t.test('an online backup, taken while the server writes, is complete and sound', async (t) => {
  const dir = tempDir(t, 'backup')
  const dbPath = join(dir, 'reckon.db')
  const app = await build(t, { dbPath })
  await loadFixture(app, readFixture())
  // Writes go on while the copy is taken.
  const writing = (async () => {
    for (let i = 0; i < 20; i++) {
      await post(app, '/events/khan-shaykhun/claims', {
        kind: 'figure',
        source_id: 'who',
        stated_at: '2017-04-07',
        metric: 'injured',
        qualifier: 'exact',
        value: 100 + i,
      })
    }
  })()
  const target = join(dir, 'copy.db')
  const result = await backup(dbPath, target)
  await writing
  t.equal(result.integrity, 'ok')
  t.ok(result.pages > 0)
  const copy = new Database(target, { readonly: true })
  const claims = (copy.prepare('SELECT COUNT(*) AS n FROM claims').get() as { n: number }).n
  const changes = (copy.prepare("SELECT COUNT(*) AS n FROM changes WHERE type = 'claim.created'").get() as { n: number }).n
  copy.close()
  t.ok(claims >= 9 && claims <= 29, `${claims} claims copied`)
  t.equal(changes, claims, 'a consistent snapshot: every claim with its change-log row')

  const restored = await build(t, { dbPath: target })
  const summary = await restored.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=2017-04-06' })
  t.equal(summary.statusCode, 200, 'the copy serves as a database')
})

t.test('refuses what cannot be backed up', async (t) => {
  await t.rejects(backup(':memory:', '/tmp/x.db'), /nothing on disk/)
  await t.rejects(backup('/nonexistent/reckon.db', '/tmp/x.db'), /no database/)
})
