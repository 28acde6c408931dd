/** Opaque keyset cursors: the sort key of the last item of a page. */
import { BadRequestError } from '../errors.js'

export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url')
}

/** The key of a cursor this API gave out: `parts` strings, each one `valid` says could be (a 400 naming `cursor` otherwise). */
export function decodeCursor(cursor: string, parts: number, valid: (part: string) => boolean = () => true): string[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string' && valid(k))) return key as string[]
  } catch {
    // fall through to the problem below
  }
  throw new BadRequestError('The cursor is not one this API gave out.', [
    { path: '/cursor', in: 'query', message: 'is not a cursor from a previous page' },
  ])
}
