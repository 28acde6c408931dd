/** What the benchmarks ask of the server processes they start: whether one answers yet, and its memory. */
import { readFileSync } from 'node:fs'

/** Resolves once `url` answers 2xx; throws after `limitMs` (a start-up guard, not a measurement). */
export async function waitForHealth(url: string, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`${url} did not answer within ${limitMs / 1000} s`)
}

/** The resident memory of a process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  return kb / 1024
}
