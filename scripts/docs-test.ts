/**
 * `npm run test:docs`: runs every shell and Python example of README.md and docs/*.md against a
 * real server and compares what it prints with what the page shows. Needs Node, curl and python3.
 *
 * Conventions (also in docs/development.md):
 * - ```sh, ```bash and ```python blocks run; ```console blocks run their `$ ` lines and expect the
 *   other lines as output. Every other language (json, text, csv, r, js, …) is never run.
 * - The fenced block right after a runnable block (only blank lines between), in text, json, csv or
 *   output, is its expected output: stdout and stderr together. A runnable block without one must
 *   exit 0, and must print neither a curl error nor a problem document.
 * - Shown output that is one JSON document may be laid out freely: it is compared as JSON.
 * - In shown output, `…` stands for any text within a line, and a line holding only `…` for any
 *   number of lines. Volatile values are replaced by `…` before comparing: UUIDs, timestamps within
 *   two days of now, ETags, API tokens (rk_…), HTTP dates, rate-limit counters, durations in milliseconds, and
 *   cursors that encode a claim id.
 * - `<!-- docs-test: skip (reason) -->` on the line before a block keeps it from running.
 *   `<!-- docs-test: timeout=N -->` stops a Python block after N seconds, as Ctrl-C would, and
 *   compares what it printed by then.
 * - Each file gets a fresh server on port 3000: `node dist/demo/server.js` (the demo data), or,
 *   when the file holds `<!-- docs-test: server=empty [NAME=value …] -->`, `node dist/server.js` on
 *   an empty in-memory database with those environment variables. Shell blocks of one file run in
 *   one bash, in order, so variables and functions carry from block to block. Each Python block
 *   runs on its own.
 * - Relative links, and their #anchors, must resolve (GitHub's heading slugs).
 *
 * RECKON_UPDATE_DOCS=1 rewrites every shown output that does not match with what the run printed
 * (volatile values as `…`), for a person to review with git diff. DOCS_ONLY=README.md runs one file;
 * DOCS_PORT=3100 serves on another port when 3000 is taken.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..')
// The examples say port 3000. DOCS_PORT runs them on another one (the examples' and outputs' :3000 rewritten).
const PORT = Number(process.env.DOCS_PORT ?? 3000)
const toPort = (text: string) => text.replace(/(127\.0\.0\.1|localhost):3000\b/g, `$1:${PORT}`)
const fromPort = (text: string) => text.replace(new RegExp(`(127\\.0\\.0\\.1|localhost):${PORT}\\b`, 'g'), '$1:3000')
const API = `http://127.0.0.1:${PORT}`
const UPDATE = process.env.RECKON_UPDATE_DOCS === '1'
const BLOCK_TIMEOUT_MS = 60_000
const RUNNABLE = new Set(['sh', 'bash', 'console', 'python'])
const OUTPUT = new Set(['text', 'json', 'csv', 'output'])
const ELLIPSIS = '…'

interface Fence {
  lang: string
  start: number
  end: number
  body: string[]
}
interface Example {
  fence: Fence
  output: Fence | undefined
  skip: string | undefined
  timeoutS: number | undefined
}
interface Failure {
  where: string
  message: string
}

const failures: Failure[] = []
const tmp = mkdtempSync(join(tmpdir(), 'reckon-docs-'))

/** Fenced blocks of a Markdown file, 0-based line numbers of the opening and closing fences. */
function fences(lines: string[]): Fence[] {
  const out: Fence[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*([\w-]*)/.exec(lines[i] ?? '')
    if (!open) continue
    const marker = open[1] ?? '```'
    let j = i + 1
    while (j < lines.length && !(lines[j] ?? '').startsWith(marker)) j++
    out.push({ lang: (open[2] ?? '').toLowerCase(), start: i, end: j, body: lines.slice(i + 1, j) })
    i = j
  }
  return out
}

function examples(lines: string[]): Example[] {
  const all = fences(lines)
  const out: Example[] = []
  for (let k = 0; k < all.length; k++) {
    const fence = all[k]
    if (!fence || !RUNNABLE.has(fence.lang)) continue
    const next = all[k + 1]
    const between = next ? lines.slice(fence.end + 1, next.start) : ['x']
    const output = next && OUTPUT.has(next.lang) && between.every((l) => l.trim() === '') ? next : undefined
    const before = lines[fence.start - 1] ?? ''
    const skip = /<!--\s*docs-test:\s*skip\s*(.*?)\s*-->/.exec(before)?.[1]
    const timeout = /<!--\s*docs-test:\s*timeout=(\d+)\s*-->/.exec(before)?.[1]
    out.push({ fence, output, skip, timeoutS: timeout === undefined ? undefined : Number(timeout) })
    if (output) k++
  }
  return out
}

// ---- comparing ---------------------------------------------------------------------------------

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const ISO = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g
const TWO_DAYS_MS = 2 * 24 * 3600 * 1000

/** Replaces what differs from run to run by `…`, so that shown and printed output can be compared. */
function normalise(text: string): string {
  const now = Date.now()
  return text
    .replace(/\r/g, '')
    .replace(UUID, ELLIPSIS)
    .replace(ISO, (t) => (Math.abs(Date.parse(t) - now) < TWO_DAYS_MS ? ELLIPSIS : t))
    .replace(/W\/"[^"\n]*"/g, `W/"${ELLIPSIS}"`)
    .replace(/\brk_[A-Za-z0-9_-]+/g, `rk_${ELLIPSIS}`)
    .replace(/^(date|x-ratelimit-remaining|x-ratelimit-reset):.*$/gim, `$1: ${ELLIPSIS}`)
    .replace(/\b\d+(?:\.\d+)? ?(?:ms|milliseconds)\b/g, `${ELLIPSIS} ms`)
    .replace(/\b[A-Za-z0-9_-]{16,}\b/g, (token) => {
      // Cursors of lists ordered by claim id are base64url JSON holding the id.
      const decoded = Buffer.from(token, 'base64url').toString('utf8')
      return /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}/i.test(decoded) ? ELLIPSIS : token
    })
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n+$/, '')
}

function lineMatcher(shown: string): RegExp {
  const parts = shown.split(ELLIPSIS).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('.*')}$`)
}

/** Whether printed lines match shown lines, where a shown line `…` stands for any number of lines. */
function matches(shown: string[], printed: string[]): boolean {
  const memo = new Map<string, boolean>()
  const regexes = shown.map((l) => (l.trim() === ELLIPSIS ? null : lineMatcher(l)))
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`
    const known = memo.get(key)
    if (known !== undefined) return known
    let result: boolean
    if (i === shown.length) result = j === printed.length
    else {
      const re = regexes[i]
      if (re === null || re === undefined) result = go(i + 1, j) || (j < printed.length && go(i, j + 1))
      else result = j < printed.length && re.test(printed[j] ?? '') && go(i + 1, j + 1)
    }
    memo.set(key, result)
    return result
  }
  return go(0, 0)
}

/** Shown JSON may be laid out by hand: when both sides are one JSON document, compare them compactly. */
function sameJson(shown: string, printed: string): boolean {
  try {
    const compact = (text: string) => normalise(JSON.stringify(JSON.parse(text)))
    return matches([compact(shown)], [compact(printed)])
  } catch {
    return false
  }
}

/** A line diff (longest common subsequence), shown lines as `-`, printed lines as `+`. */
function diff(shown: string[], printed: string[]): string {
  const n = shown.length
  const m = printed.length
  const same = (i: number, j: number) => {
    const a = shown[i] ?? ''
    return a.trim() === ELLIPSIS || lineMatcher(a).test(printed[j] ?? '')
  }
  // lcs[i * (m + 1) + j]: the longest common subsequence of shown[i..] and printed[j..].
  const lcs = new Array<number>((n + 1) * (m + 1)).fill(0)
  const at = (i: number, j: number) => lcs[i * (m + 1) + j] ?? 0
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i * (m + 1) + j] = same(i, j) ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1))
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && same(i, j)) {
      out.push(`  ${printed[j]}`)
      i++
      j++
    } else if (j < m && (i === n || at(i, j + 1) >= at(i + 1, j))) out.push(`+ ${printed[j++]}`)
    else out.push(`- ${shown[i++]}`)
  }
  return out.join('\n')
}

// ---- running -----------------------------------------------------------------------------------

function portFree(): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer()
    probe.once('error', () => done(false))
    probe.listen(PORT, '127.0.0.1', () => probe.close(() => done(true)))
  })
}

async function startServer(directive: string | undefined): Promise<{ child: ChildProcess; log: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }
  let script = 'dist/demo/server.js'
  if (directive !== undefined) {
    script = 'dist/server.js'
    Object.assign(env, { RECKON_DB: ':memory:', RECKON_API_KEYS: '' })
    for (const pair of directive.split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=')
      env[pair.slice(0, eq)] = pair.slice(eq + 1)
    }
  }
  const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString()
  })
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server (${script}) exited with ${child.exitCode}:\n${log}`)
    try {
      if ((await fetch(`${API}/health`)).ok) return { child, log: () => log }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`the server (${script}) did not answer /health within 30 s:\n${log}`)
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** One bash per file: blocks are sourced in it, so variables and functions carry over. */
class Shell {
  private child = spawn('bash', ['--noprofile', '--norc'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
  private buffer = ''
  private waiting: ((line: string) => void) | undefined
  private count = 0

  constructor() {
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString()
      const at = this.buffer.indexOf('\n')
      if (at >= 0 && this.waiting) {
        const line = this.buffer.slice(0, at)
        this.buffer = this.buffer.slice(at + 1)
        this.waiting(line)
      }
    })
  }

  async run(script: string): Promise<{ code: number; output: string }> {
    const n = ++this.count
    const file = join(tmp, `block-${n}.sh`)
    const out = join(tmp, `block-${n}.out`)
    writeFileSync(file, script + '\n')
    const done = new Promise<string>((r, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${BLOCK_TIMEOUT_MS / 1000} s`)), BLOCK_TIMEOUT_MS)
      this.waiting = (line) => {
        clearTimeout(timer)
        r(line)
      }
    })
    this.child.stdin.write(`source '${file}' > '${out}' 2>&1 < /dev/null; echo "docs-test-done $?"\n`)
    const line = await done
    return { code: Number(line.split(' ')[1]), output: readFileSync(out, 'utf8') }
  }

  close(): void {
    this.child.kill('SIGKILL')
  }
}

async function runPython(script: string, timeoutS: number | undefined): Promise<{ code: number; output: string }> {
  const file = join(tmp, 'block.py')
  const out = join(tmp, 'block.py.out')
  writeFileSync(file, script + '\n')
  const fd = openSync(out, 'w')
  const child = spawn('python3', ['-u', file], { cwd: ROOT, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  const limit = (timeoutS ?? BLOCK_TIMEOUT_MS / 1000) * 1000
  let stopped = false
  const timer = setTimeout(() => {
    stopped = true
    child.kill('SIGTERM')
  }, limit)
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)))
  clearTimeout(timer)
  if (stopped && timeoutS === undefined) return { code: 1, output: `${readFileSync(out, 'utf8')}\n(killed after ${limit / 1000} s)` }
  return { code: stopped ? 0 : code, output: readFileSync(out, 'utf8') }
}

// ---- links -------------------------------------------------------------------------------------

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  const lines = markdown.split('\n')
  const inCode = codeLines(lines)
  lines.forEach((line, i) => {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!h || inCode.has(i)) return
    const text = (h[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    out.add(n === 0 ? slug : `${slug}-${n}`)
  })
  for (const m of markdown.matchAll(/<a (?:id|name)="([^"]+)"/g)) out.add(m[1] ?? '')
  return out
}

function codeLines(lines: string[]): Set<number> {
  const out = new Set<number>()
  for (const f of fences(lines)) for (let i = f.start; i <= f.end; i++) out.add(i)
  return out
}

function checkLinks(file: string): void {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const lines = text.split('\n')
  const inCode = codeLines(lines)
  lines.forEach((line, i) => {
    if (inCode.has(i)) return
    const plain = line.replace(/`[^`]*`/g, '')
    for (const m of plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] ?? ''
      if (/^[a-z]+:/i.test(target)) continue
      const [path = '', anchor] = target.split('#')
      const resolved = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path)
      const where = `${file}:${i + 1}`
      if (!existsSync(resolved)) {
        failures.push({ where, message: `link to ${target}: no such file` })
        continue
      }
      if (anchor !== undefined && !anchors(readFileSync(resolved, 'utf8')).has(anchor))
        failures.push({ where, message: `link to ${target}: no heading with that anchor in ${relative(ROOT, resolved)}` })
    }
  })
}

// ---- main --------------------------------------------------------------------------------------

async function runFile(file: string): Promise<void> {
  const path = join(ROOT, file)
  const lines = readFileSync(path, 'utf8').split('\n')
  const list = examples(lines)
  if (list.every((e) => e.skip !== undefined)) {
    for (const ex of list) console.log(`skip ${file}:${ex.fence.start + 1} ${ex.skip}`)
    return
  }
  const directive = /<!--\s*docs-test:\s*server=empty\s*(.*?)\s*-->/.exec(lines.join('\n'))?.[1]
  const server = await startServer(directive)
  const shell = new Shell()
  const edits: { output: Fence; text: string[] }[] = []
  let ran = 0
  try {
    for (const ex of list) {
      const where = `${file}:${ex.fence.start + 1}`
      if (ex.skip !== undefined) {
        console.log(`skip ${where} ${ex.skip}`)
        continue
      }
      let script = ex.fence.body.join('\n')
      let shownLines = ex.output?.body
      if (ex.fence.lang === 'console') {
        script = ex.fence.body
          .filter((l) => l.startsWith('$ '))
          .map((l) => l.slice(2))
          .join('\n')
        shownLines = ex.fence.body.filter((l) => !l.startsWith('$ '))
      }
      script = toPort(script)
      const result = ex.fence.lang === 'python' ? await runPython(script, ex.timeoutS) : await shell.run(script)
      result.output = fromPort(result.output)
      ran++
      const printed = normalise(result.output)
      const printedLines = printed === '' ? [] : printed.split('\n')
      if (shownLines === undefined) {
        if (result.code !== 0) failures.push({ where, message: `exited with ${result.code}:\n${result.output}` })
        else if (/^curl: \(\d+\)|urn:reckon:problem:/m.test(result.output))
          failures.push({ where, message: `printed an error but the page shows no output:\n${result.output}` })
        continue
      }
      const shown = normalise(shownLines.join('\n'))
      const shownList = shown === '' ? [] : shown.split('\n')
      if (matches(shownList, printedLines) || sameJson(shown, printed)) continue
      if (UPDATE && ex.output) {
        edits.push({ output: ex.output, text: printedLines })
        continue
      }
      failures.push({
        where,
        message: `output differs from ${file}:${(ex.output?.start ?? ex.fence.start) + 1} (- shown, + printed; exit ${result.code}):\n${diff(shownList, printedLines)}`,
      })
    }
  } finally {
    shell.close()
    await stop(server.child)
  }
  console.log(`${file}: ${ran} examples run`)
  if (edits.length > 0) {
    for (const { output, text } of edits.sort((a, b) => b.output.start - a.output.start))
      lines.splice(output.start + 1, output.end - output.start - 1, ...text)
    writeFileSync(path, lines.join('\n'))
    console.log(`${file}: rewrote ${edits.length} shown outputs`)
  }
}

async function main(): Promise<void> {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`)
  const files = ['README.md', ...docs].filter((f) => !process.env.DOCS_ONLY || process.env.DOCS_ONLY.split(',').includes(f))
  for (const f of files) checkLinks(f)
  if (!(await portFree())) {
    console.error(`docs-test: port ${PORT} is taken. The examples talk to ${API}: stop whatever listens there and run again.`)
    process.exit(2)
  }
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
  for (const f of files) {
    try {
      await runFile(f)
    } catch (err) {
      failures.push({ where: f, message: String(err instanceof Error ? err.message : err) })
    }
  }
  rmSync(tmp, { recursive: true, force: true })
  for (const f of failures) console.error(`\nFAIL ${f.where}: ${f.message}`)
  if (failures.length > 0) {
    console.error(
      `\n${failures.length} failure(s).${UPDATE ? '' : ' After a deliberate change of behaviour, RECKON_UPDATE_DOCS=1 npm run test:docs rewrites the shown outputs.'}`,
    )
    process.exit(1)
  }
  console.log('docs-test: every example printed what its page shows, and every link resolves.')
}

await main()
