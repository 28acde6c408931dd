/** Where a text stops being JSON: line, column, byte offset and what was expected. */
import fc from 'fast-check'
import t from 'tap'
import { findJsonError, positionOf } from '../../src/lib/json-syntax.js'
import { testSeed } from '../seed.js'

const VALUE_EXPECTED = (found: string) =>
  `found ${found}, expected a value (a string in double quotes, a number, true, false, null, an object or an array)`

t.test('the first syntax error, where JSON.parse gives a position and where it does not', async (t) => {
  const cases: Array<[string, { line: number; column: number; offset: number; message: string }]> = [
    [
      '{"name": "SOHR", "kind": ',
      {
        line: 1,
        column: 26,
        offset: 25,
        message:
          'found the end of the text, expected a value (a string in double quotes, a number, true, false, null, an object or an array)',
      },
    ],
    ['{name: "SOHR"}', { line: 1, column: 2, offset: 1, message: "found 'n', expected a field name in double quotes or '}'" }],
    ["{'name':'x'}", { line: 1, column: 2, offset: 1, message: `found "'", expected a field name in double quotes or '}'` }],
    ['[1, 2', { line: 1, column: 6, offset: 5, message: "found the end of the text, expected ',' or ']'" }],
    ['nul', { line: 1, column: 4, offset: 3, message: "found the end of the text, expected 'null'" }],
    ['{"a":1}x', { line: 1, column: 8, offset: 7, message: "found 'x', expected the end of the text after the JSON value" }],
    // JSON.parse: "Unexpected token '}', ... is not valid JSON", no position.
    ['{"a":\n  tru}', { line: 2, column: 6, offset: 11, message: "found '}', expected 'true'" }],
    ['"abc', { line: 1, column: 5, offset: 4, message: `found the end of the text, expected the closing '"' of the string` }],
    [
      '{"a":"x\ty"}',
      { line: 1, column: 8, offset: 7, message: 'found character U+0009 in a string, expected it escaped (\\n, \\t, \\u0000)' },
    ],
    ['{"a":1,}', { line: 1, column: 8, offset: 7, message: "found '}', expected a field name in double quotes" }],
    ['01', { line: 1, column: 2, offset: 1, message: "found '1', expected the end of the text after the JSON value" }],
    ['"\\x"', { line: 1, column: 3, offset: 2, message: "found 'x', expected an escape: one of \" \\ / b f n r t u after \\" }],
    // Lines end at \r\n as at \n; the column counts characters, the offset bytes (é is two).
    ['{"é":\r\n "x" "y"}', { line: 2, column: 6, offset: 13, message: "found '\"', expected ',' or '}'" }],
    ['{"é": "ü" ]', { line: 1, column: 11, offset: 12, message: "found ']', expected ',' or '}'" }],
  ]
  for (const [text, expected] of cases) t.strictSame(findJsonError(text), expected, JSON.stringify(text))
  t.equal(findJsonError('{"a":[1,{"b":null}],"c":-1.5e3,"d":"\\u00e9\\n","e":true,"f":false}'), null)
  t.equal(findJsonError(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), null, 'deep nesting does not overflow the stack')
  t.equal(findJsonError('\uFEFF{"a":1}'), null, 'a byte order mark is skipped, as Fastify does')
  t.strictSame(
    findJsonError('\uFEFF{"a":}'),
    { line: 1, column: 6, offset: 8, message: VALUE_EXPECTED("'}'") },
    'and is not a column, but 3 bytes',
  )
})

t.test('positionOf counts \\n, \\r\\n and \\r as line ends; columns in code points', async (t) => {
  t.strictSame(positionOf('a\nb\r\nc\rd', 8), { line: 4, column: 2, offset: 8 })
  t.strictSame(positionOf('😀x', 2), { line: 1, column: 2, offset: 4 })
})

t.test('property: a text is JSON exactly when no error is found; the error lies within the text', async () => {
  const texts = fc.oneof(
    fc.json(),
    fc.json().chain((json) => fc.nat({ max: json.length }).map((cut) => json.slice(0, cut))),
    fc
      .json()
      .chain((json) =>
        fc
          .tuple(fc.nat({ max: json.length }), fc.constantFrom('}', ']', ',', ':', '"', 'x', ' ', '\n'))
          .map(([at, c]) => json.slice(0, at) + c + json.slice(at)),
      ),
    fc.string(),
  )
  fc.assert(
    fc.property(texts, (text) => {
      let parses = true
      try {
        JSON.parse(text.replace(/^\uFEFF/, ''))
      } catch {
        parses = false
      }
      const error = findJsonError(text)
      if (parses) return error === null
      return error !== null && error.offset <= Buffer.byteLength(text) && error.line >= 1 && error.column >= 1
    }),
    { seed: testSeed(), numRuns: 2000 },
  )
})

t.test('columns count characters: a character outside the BMP is one column, not two', async (t) => {
  const text = '{"quote": "😀😀", x}'
  const where = findJsonError(text)
  t.equal(where?.column, 17, 'the x is the 17th character of the line')
  t.equal(where?.offset, Buffer.byteLength('{"quote": "😀😀", '), 'and its byte offset counts each emoji as 4 bytes')
})
