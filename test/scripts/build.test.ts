/**
 * `npm start` runs `prestart` (tsc -b) first. The build is tsc's build
 * mode, which compares the sources with what dist/ holds: after the first
 * build, a start of unchanged code compiles nothing and goes straight to
 * serving, instead of a minute of silence recompiling every time.
 */
import { execFile } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url)
const tsc = new URL('node_modules/.bin/tsc', root).pathname
const built = ['dist/server.js', 'dist/app.js', 'dist/.tsbuildinfo'].map((file) => new URL(file, root).pathname)

interface Manifest {
  scripts: Record<string, string>
}

// Two builds of the whole project: on the root, as tap's per-file limit (30 s) would cut a slow machine's first build.
t.setTimeout(240_000)

t.test('npm start builds through tsc -b, which leaves an up-to-date dist/ untouched', async (t) => {
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as Manifest
  t.equal(scripts.prestart, 'tsc -b tsconfig.build.json', 'tsc itself, not through a second npm')
  t.equal(scripts.predemo, 'tsc -b tsconfig.build.json')
  t.equal(scripts.build, 'tsc -b tsconfig.build.json')
  t.equal(scripts.start, 'node dist/server.js')

  const build = () => run(tsc, ['-b', 'tsconfig.build.json'], { cwd: root.pathname })
  await build()
  const before = built.map((file) => statSync(file).mtimeMs)
  const again = await build()
  t.equal(again.stdout + again.stderr, '', 'the second build says nothing…')
  t.strictSame(
    built.map((file) => statSync(file).mtimeMs),
    before,
    '…and writes nothing: dist/ and its build info are as the first build left them',
  )
})
