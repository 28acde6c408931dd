/**
 * Whether a script is the one Node was asked to run (`tsx scripts/keys.ts`),
 * rather than a module a test imports: its file and the command line's are
 * the same file, however the path was spelled (a symlinked folder, a
 * relative path, characters a file URL escapes).
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function isEntryPoint(moduleUrl: string): boolean {
  const invoked = process.argv[1]
  if (invoked === undefined) return false
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(invoked)
  } catch {
    return false // the command line names no file that exists: not this one
  }
}
