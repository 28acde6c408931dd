/**
 * The real server as a child process, for the durability tests: src/server.ts
 * bundled once per test run with esbuild (starting through tsx costs about
 * twice as long per start), run with plain `node` on a file database, on a
 * port the OS picks (PORT=0, read back from the "Server listening" log line).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { childEnv, childNode } from '../helper.js'

export const REPO = fileURLToPath(new URL('../../', import.meta.url))

export interface Teardown {
  teardown(fn: () => unknown): void
}

/** A private temporary directory, removed at teardown. */
export function tempDir(t: Teardown, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Bundles src/server.ts into `dir/server.mjs`. Packages stay external (they
 * load from the repository's node_modules through a symlink beside the
 * bundle); each module's `import.meta.url` keeps naming its own source file,
 * so src/db/client.ts still finds migrations/.
 */
export async function bundleServer(dir: string): Promise<string> {
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir')
  const outfile = join(dir, 'server.mjs')
  await build({
    entryPoints: [join(REPO, 'src', 'server.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
    plugins: [
      {
        name: 'own-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }))
        },
      },
    ],
  })
  return outfile
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>` */
  base: string
  pid: number
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Log lines at level error (50) or above, and whatever went to stderr. */
  errors: string[]
  /** The last lines of output, for a failure message. */
  tail(): string
  kill(signal: NodeJS.Signals): void
}

export interface StartOptions {
  entry: string
  /** The SQLite file (RECKON_DB); absent when `env` names another store (RECKON_DATABASE_URL). */
  dbPath?: string
  apiKeys?: string
  /** More variables, over the ones set here. */
  env?: Record<string, string>
  /** Give up if the server has not said it is listening by then (a guard, not a measurement). */
  startupLimitMs?: number
}

export function startServer(opts: StartOptions): Promise<ServerProcess> {
  // Without tap's hooks (childNode): they would more than double each start and slow every request. The server runs as in production.
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(...childNode([opts.entry]), {
    cwd: REPO,
    env: childEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      ...(opts.dbPath === undefined ? {} : { RECKON_DB: opts.dbPath }),
      RECKON_API_KEYS: opts.apiKeys ?? '',
      // info: the listening line carries the port.
      LOG_LEVEL: 'info',
      // These tests are about durability: a CI machine busy enough to lag the event loop must not shed their requests.
      RECKON_MAX_EVENT_LOOP_DELAY_MS: '0',
      RECKON_RATE_LIMIT: '0',
      ...opts.env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const errors: string[] = []
  const remember = (line: string) => {
    lines.push(line)
    if (lines.length > 40) lines.shift()
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const tail = () => lines.join('\n')

  return new Promise<ServerProcess>((resolve, reject) => {
    let listening = false
    const limit = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the server did not start listening in ${opts.startupLimitMs ?? 30_000} ms:\n${tail()}`))
    }, opts.startupLimitMs ?? 30_000)

    // Both streams are read to the end, always: a full pipe would stall the server.
    createInterface({ input: child.stderr }).on('line', (line) => {
      remember(`stderr: ${line}`)
      errors.push(line)
    })
    createInterface({ input: child.stdout }).on('line', (line) => {
      remember(line)
      let entry: { level?: unknown; msg?: unknown }
      try {
        entry = JSON.parse(line) as { level?: unknown; msg?: unknown }
      } catch {
        return
      }
      if (typeof entry.level === 'number' && entry.level >= 50) errors.push(line)
      const match = typeof entry.msg === 'string' ? /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(entry.msg) : null
      if (match?.[1] && !listening) {
        listening = true
        clearTimeout(limit)
        resolve({ base: match[1], pid: child.pid ?? -1, exited, errors, tail, kill: (signal) => child.kill(signal) })
      }
    })
    void exited.then(({ code, signal }) => {
      if (listening) return
      clearTimeout(limit)
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before listening:\n${tail()}`))
    })
  })
}

/** A small seeded generator (test/seed.ts), here for the tests that drive server processes. */
export { random } from '../seed.js'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Parses an NDJSON body. */
export function ndjson<T>(body: string): T[] {
  return body
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T)
}
