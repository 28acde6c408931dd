/** A CSV header that names a column twice is refused: its later cells would silently replace the earlier ones. */
import t from 'tap'
import { BadRequestError } from '../../src/errors.js'
import { parseCsv } from '../../src/lib/bulk-body.js'

/** What parseCsv rejects with. */
async function refusal(text: string): Promise<unknown> {
  return parseCsv(text).then(
    () => null,
    (err: unknown) => err,
  )
}

t.test('a column named twice is a 400 naming it, its count and its positions', async (t) => {
  const text = 'event_id,kind,value,source_id,value\ne,figure,58,sohr,70\n'
  const err = await refusal(text)
  t.ok(err instanceof BadRequestError)
  if (!(err instanceof BadRequestError)) return
  t.equal(err.message, 'The CSV header (line 1) names a column more than once: "value". Each column may appear once.')
  t.strictSame(err.errors, [{ path: '', in: 'body', message: 'line 1: column "value" appears 2 times (columns 3 and 5)', line: 1 }])
})

t.test('two columns named twice are both named, once each', async (t) => {
  const err = await refusal('a,b,a,b,a\n1,2,3,4,5\n')
  if (!(err instanceof BadRequestError)) return t.fail('not a BadRequestError')
  t.equal(err.message, 'The CSV header (line 1) names columns more than once: "a", "b". Each column may appear once.')
  t.strictSame(
    err.errors?.map((e) => e.message),
    ['line 1: column "a" appears 3 times (columns 1, 3 and 5)', 'line 1: column "b" appears 2 times (columns 2 and 4)'],
  )
})

t.test('empty header cells may repeat: they name no field', async (t) => {
  t.strictSame(await parseCsv('a,,b,\n1,,2,\n'), { rows: [{ a: '1', b: '2' }], lines: [2] })
})
