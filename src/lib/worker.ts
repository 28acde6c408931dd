import { Worker } from 'node:worker_threads'

/**
 * A worker thread on `entry` (the bulk-claims and learning workers). A
 * TypeScript entry registers tsx first: Node 20 gives a worker the parent's
 * --import hooks (tap's TypeScript loader), but tsx registers its own on the
 * main thread only.
 */
export function spawnWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData })
  const tsx = import.meta.resolve('tsx/esm/api')
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(code, { eval: true, workerData })
}
