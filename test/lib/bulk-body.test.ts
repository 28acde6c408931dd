/**
 * NDJSON and CSV bodies are read a slice at a time (lib/bulk-body.ts): a
 * large body lets the event loop serve others before it is read whole, and
 * reads as it did in one piece.
 */
import { parse } from 'csv-parse/sync'
import t from 'tap'
import { parseCsv, parseNdjson } from '../../src/lib/bulk-body.js'

/** The order in which a callback queued before `work` and `work` itself finish. */
async function order(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  setImmediate(() => seen.push('another turn of the loop'))
  await work().then(() => seen.push('read'))
  await new Promise((resolve) => setImmediate(resolve))
  return seen
}

const rows = Array.from({ length: 5000 }, (_, i) => ({
  event_id: 'e',
  kind: 'figure',
  value: i,
  quote: `says "${i}", then\nmore, at some length`,
}))

t.test('an NDJSON body of 5,000 rows: the loop turns while it is read; rows and lines as written', async (t) => {
  const text = `${rows.map((r) => JSON.stringify(r)).join('\n\n')}\n`
  t.strictSame(await order(() => parseNdjson(text)), ['another turn of the loop', 'read'])
  const parsed = await parseNdjson(text)
  t.strictSame(parsed.rows, rows)
  t.strictSame(
    parsed.lines,
    rows.map((_, i) => 2 * i + 1),
    'blank lines counted',
  )
  t.strictSame(await order(() => parseNdjson('{"a":1}\n')), ['read', 'another turn of the loop'], 'a small body: in one piece')
})

t.test('a CSV body of 5,000 rows: the loop turns while it is read; rows and lines as written', async (t) => {
  // Quoted line breaks and a byte order mark, as spreadsheets write them.
  const quoted = (text: string) => `"${text.replaceAll('"', '""')}"`
  const text = `\uFEFFevent_id,kind,value,quote\r\n${rows.map((r) => `${r.event_id},${r.kind},${r.value},${quoted(r.quote)}`).join('\r\n')}\r\n`
  t.ok(Buffer.byteLength(text) > 4 * 64 * 1024, 'several slices')
  t.strictSame(await order(() => parseCsv(text)), ['another turn of the loop', 'read'])
  const parsed = await parseCsv(text)
  t.strictSame(parsed.rows, rows)
  t.strictSame(
    parsed.lines,
    rows.map((_, i) => 2 * i + 2),
    'each row two lines long, after the header',
  )
  // A quote left open at the end: the error csv-parse gives when it reads the text in one piece.
  const broken = `${text}e,figure,1,"never closed\r\n`
  const whole = t.throws(() => parse(broken, { bom: true, skip_empty_lines: true, info: true })) as Error & { lines: number }
  t.match(whole.message, /^Quote Not Closed/)
  await t.rejects(parseCsv(broken), {
    message: `The CSV could not be read (line ${whole.lines}): ${whole.message}`,
    errors: [{ path: `/${whole.lines - 2}`, in: 'body', message: `line ${whole.lines}: is not well-formed CSV`, line: whole.lines }],
  })
})
