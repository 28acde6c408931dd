/**
 * The command-line entry points of scripts/backup.ts (npm run backup) and
 * scripts/keys.ts (npm run keys): what each prints, and its exit code.
 *
 * The children run under this process's own Node options (process.execArgv:
 * the test runner's TypeScript loader), so the code they run is the code
 * the tests import, and its coverage is counted as such.
 */
import { execFile } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build, tempDir } from '../helper.js'

const REPO = fileURLToPath(new URL('../../', import.meta.url))

// Each child loads the TypeScript sources afresh: a few seconds apiece on a busy machine.
t.setTimeout(180_000)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** Runs `script` with `args`; RECKON_DB and the other variables in `env` replace this process's. */
function run(script: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  const vars: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: '', RECKON_API_KEYS: '', ...env }
  return new Promise((resolve) => {
    execFile(process.execPath, [...process.execArgv, script, ...args], { cwd: REPO, env: vars }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

t.test('npm run backup -- <file>: copies RECKON_DB and says how many pages, with the integrity check', async (t) => {
  const dir = tempDir(t, 'cli')
  const dbPath = join(dir, 'reckon.db')
  const app = await build(t, { dbPath })
  await loadFixture(app, readFixture())
  const target = join(dir, 'copy.db')
  const out = await run('scripts/backup.ts', [target], { RECKON_DB: dbPath })
  const copy = new Database(target, { readonly: true })
  const pages = copy.pragma('page_count', { simple: true }) as number
  const claims = (copy.prepare('SELECT COUNT(*) AS n FROM claims').get() as { n: number }).n
  copy.close()
  t.strictSame(out, { code: 0, stdout: `backed up ${pages} pages to ${target}; integrity_check: ok\n`, stderr: '' })
  t.equal(claims, 9, 'the nine claims of the §8 example are in the copy')
})

t.test('npm run backup: usage and refusals, with their exit codes', async (t) => {
  const dir = tempDir(t, 'cli')
  const missing = join(dir, 'nowhere', 'reckon.db')
  const [noTarget, noDatabase] = await Promise.all([
    run('scripts/backup.ts', [], { RECKON_DB: missing }),
    run('scripts/backup.ts', [join(dir, 'copy.db')], { RECKON_DB: missing }),
  ])
  t.strictSame(noTarget, { code: 2, stdout: '', stderr: 'usage: npm run backup -- <file>\n' })
  t.strictSame(noDatabase, { code: 1, stdout: '', stderr: `no database at ${missing}\n` }, 'the error message alone')
})

t.test('a script reached through a symlinked folder or a relative path still runs as the command', async (t) => {
  const dir = tempDir(t, 'cli')
  symlinkSync(join(REPO, 'scripts'), join(dir, 'linked'))
  const usage = { code: 2, stdout: '', stderr: 'usage: npm run backup -- <file>\n' }
  t.strictSame(await run(join(dir, 'linked', 'backup.ts'), [], {}), usage, 'through the symlink')
  t.strictSame(await run('./scripts/../scripts/backup.ts', [], {}), usage, 'a path with dots')
})

t.test('npm run keys: a usage error exits 2 with the usage; a failure exits 1 with its message alone', async (t) => {
  const dir = tempDir(t, 'cli')
  const [unknownKey, noCommand] = await Promise.all([
    run('scripts/keys.ts', ['revoke', 'no-such-key'], { RECKON_DB: join(dir, 'one.db') }),
    run('scripts/keys.ts', [], { RECKON_DB: join(dir, 'two.db') }),
  ])
  t.strictSame(unknownKey, { code: 1, stdout: '', stderr: 'No key with id "no-such-key".\n' }, 'a problem: its detail, no usage')
  t.strictSame(
    noCommand,
    {
      code: 2,
      stdout: '',
      stderr:
        'a command is required\n' +
        'usage: npm run keys -- create --name <name> --scopes read,write[,admin]\n' +
        '       npm run keys -- list\n' +
        '       npm run keys -- revoke <id>\n',
    },
    'a usage error: the message, then the usage',
  )
})
