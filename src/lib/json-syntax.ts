/**
 * Where a text stops being JSON, and what was expected there: JSON.parse on
 * Node 20 gives a position for some errors only ("Unexpected token '}', ... is
 * not valid JSON" has none), so a body that fails to parse is scanned again
 * here (iteratively: deep nesting cannot overflow the stack).
 */

export interface JsonSyntaxError {
  /** 1-based; a line ends at \n, \r\n or \r. */
  line: number
  /** 1-based, in characters (code points). */
  column: number
  /** 0-based, in bytes of UTF-8: what an editor's "go to byte" or `head -c` wants. */
  offset: number
  /** What is wrong there, e.g. `expected ',' or '}'`. */
  message: string
}

const BOM = 0xfeff

/** Line, column and byte offset of the UTF-16 index `index` of `text`. */
export function positionOf(text: string, index: number): Omit<JsonSyntaxError, 'message'> {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i)
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++
      lineStart = i + 1
    }
  }
  // A byte order mark is not a column: editors do not show it.
  // Columns count characters (code points): a low surrogate ends a character already counted. A loop, not a spread: a minified body is one line.
  let column = 1
  for (let i = lineStart === 0 && text.charCodeAt(0) === BOM ? 1 : lineStart; i < index; i++)
    if ((text.charCodeAt(i) & 0xfc00) !== 0xdc00) column++
  return { line, column, offset: Buffer.byteLength(text.slice(0, index), 'utf8') }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r'])
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y
const LITERALS = ['true', 'false', 'null']
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't'])

type Want = 'value' | 'value or ]' | 'name' | 'name or }' | 'colon' | 'after'

function describe(c: string | undefined): string {
  if (c === undefined) return 'the end of the text'
  if (c === "'") return `"'"`
  return /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `character U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}

/** The first syntax error of `text`, or null when it is JSON (after a byte order mark, if any). */
export function findJsonError(text: string): JsonSyntaxError | null {
  const stack: Array<'{' | '['> = []
  let want: Want = 'value'
  // Fastify's parser (secure-json-parse) skips a leading byte order mark.
  let i = text.charCodeAt(0) === BOM ? 1 : 0
  const fail = (at: number, expected: string, message = `found ${describe(text[at])}, expected ${expected}`): JsonSyntaxError => ({
    ...positionOf(text, at),
    message,
  })
  /** The index after the string that starts at `at`, or an error. */
  const string = (at: number): number | JsonSyntaxError => {
    let j = at + 1
    for (;;) {
      const c = text[j]
      if (c === undefined) return fail(j, "the closing '\"' of the string")
      if (c === '"') return j + 1
      if (c.charCodeAt(0) < 0x20) return fail(j, '', `found ${describe(c)} in a string, expected it escaped (\\n, \\t, \\u0000)`)
      if (c === '\\') {
        const e = text[j + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return fail(j + 2, 'four hex digits after \\u')
          j += 6
          continue
        }
        if (e === undefined || !ESCAPES.has(e)) return fail(j + 1, 'an escape: one of " \\ / b f n r t u after \\')
        j += 2
        continue
      }
      j++
    }
  }
  for (;;) {
    while (i < text.length && WHITESPACE.has(text[i] ?? '')) i++
    const c = text[i]
    if (want === 'after') {
      const top = stack.at(-1)
      if (top === undefined) return c === undefined ? null : fail(i, 'the end of the text after the JSON value')
      const close = top === '{' ? '}' : ']'
      if (c === ',') {
        want = top === '{' ? 'name' : 'value'
        i++
      } else if (c === close) {
        stack.pop()
        i++
      } else return fail(i, `',' or '${close}'`)
      continue
    }
    if (want === 'colon') {
      if (c !== ':') return fail(i, "':' after the field name")
      want = 'value'
      i++
      continue
    }
    if (want === 'name' || want === 'name or }') {
      if (c === '}' && want === 'name or }') {
        stack.pop()
        want = 'after'
        i++
        continue
      }
      if (c !== '"') return fail(i, want === 'name' ? 'a field name in double quotes' : "a field name in double quotes or '}'")
      const end = string(i)
      if (typeof end !== 'number') return end
      i = end
      want = 'colon'
      continue
    }
    // want is a value
    if (c === ']' && want === 'value or ]') {
      stack.pop()
      want = 'after'
      i++
      continue
    }
    if (c === '{' || c === '[') {
      stack.push(c)
      want = c === '{' ? 'name or }' : 'value or ]'
      i++
      continue
    }
    want = 'after'
    if (c === '"') {
      const end = string(i)
      if (typeof end !== 'number') return end
      i = end
      continue
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i
      const number = NUMBER.exec(text)
      if (number === null) return fail(i + 1, 'a digit')
      i += number[0].length
      continue
    }
    const VALUE = 'a value (a string in double quotes, a number, true, false, null, an object or an array)'
    WORD.lastIndex = i
    const word = WORD.exec(text)?.[0]
    if (word === undefined) return fail(i, VALUE)
    const literal = LITERALS.find((l) => l.startsWith(word))
    if (literal === undefined) return fail(i, '', `found '${word}', expected ${VALUE}`)
    // "tru}" or "nul": the literal cut short, where it stops.
    if (literal !== word) return fail(i + word.length, `'${literal}'`)
    i += word.length
  }
}
