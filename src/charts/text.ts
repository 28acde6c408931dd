/**
 * Text for charts and pages: escaping, numbers, dates, and a rough measure of
 * how wide a line of text will be (SVG text does not wrap by itself). Pure
 * functions, no I/O.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * Escapes text for XML and HTML, in element content and in quoted attribute
 * values alike. Characters that XML 1.0 forbids (control characters other than
 * tab, newline and carriage return, lone surrogates, U+FFFE/U+FFFF) become
 * U+FFFD, so that the document stays well-formed whatever a name contains.
 */
export function escapeXml(text: string): string {
  let out = ''
  // for…of walks code points: a lone surrogate comes alone, a pair together.
  for (const c of text) {
    const cp = c.codePointAt(0) ?? 0xfffd
    const allowed =
      cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000
    out += allowed ? (ENTITIES[c] ?? c) : '\uFFFD'
  }
  return out
}

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })

/** 1234567 → "1,234,567"; 64.5 → "64.5". */
export function formatNumber(n: number): string {
  return NUMBER.format(n)
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

/** 1234567 → "1.2M": for a label with no room for every digit (the tooltip and description keep them). */
export function formatCompact(n: number): string {
  return COMPACT.format(n)
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']

/**
 * An ISO moment as a reader says it: "6 April 2017" for the end of a day (how
 * `as_of=2017-04-06` arrives) or its start, else "6 April 2017, 14:30 UTC".
 */
export function formatMoment(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()] ?? ''} ${date.getUTCFullYear()}`
  const time = iso.slice(11, 23)
  if (time === '23:59:59.999' || time === '00:00:00.000') return day
  const hh = String(date.getUTCHours()).padStart(2, '0')
  const mm = String(date.getUTCMinutes()).padStart(2, '0')
  return `${day}, ${hh}:${mm} UTC`
}

/** An ISO moment's date alone: "6 April 2017". */
export function formatDay(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()] ?? ''} ${date.getUTCFullYear()}`
}

/** An event's occurred_on (YYYY-MM-DD, YYYY-MM or YYYY) in words: "4 April 2017", "April 2017", "2017". */
export function formatPartialDate(text: string): string {
  const [y, m, d] = text.split('-')
  const month = m === undefined ? undefined : MONTHS[Number(m) - 1]
  if (y === undefined || (m !== undefined && month === undefined)) return text
  if (month === undefined) return y
  return d === undefined ? `${month} ${y}` : `${Number(d)} ${month} ${y}`
}

/**
 * How wide `text` is likely to be in a sans-serif face at `size` px: an
 * estimate by character class, on the generous side (it is measured on
 * DejaVu Sans, wider than most system faces), good enough to wrap labels and
 * keep them apart. Bold text is about a tenth wider.
 */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0
  for (const c of text) {
    if (/[il.,:;'|!]/.test(c)) em += 0.3
    else if (c === ' ') em += 0.32
    else if (/[fjrt()[\]-]/.test(c)) em += 0.41
    else if (/[mwMW@%—]/.test(c)) em += 0.95
    else if (/[A-Z]/.test(c)) em += 0.72
    else if (/[0-9]/.test(c)) em += 0.64
    else em += 0.62
  }
  return em * size * (bold ? 1.1 : 1)
}

/**
 * Greedy word wrap into at most `maxLines` lines of at most `maxWidth` px; what
 * does not fit ends the last line with an ellipsis. A single over-long word is cut.
 */
export function wrapText(text: string, maxWidth: number, size: number, maxLines: number, bold = false): string[] {
  const width = (line: string) => textWidth(line, size, bold)
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0)
  const lines: string[] = []
  let current = ''
  let i = 0
  while (i < words.length && lines.length < maxLines) {
    const word = words[i] ?? ''
    const candidate = current === '' ? word : `${current} ${word}`
    if (current === '' || width(candidate) <= maxWidth) {
      current = candidate
      i++
    } else {
      lines.push(current)
      current = ''
    }
  }
  if (current !== '' && lines.length < maxLines) lines.push(current)
  const fit = (line: string, ellipsis: boolean): string => {
    if (!ellipsis && width(line) <= maxWidth) return line
    let cut = line
    while (cut.length > 1 && width(`${cut}…`) > maxWidth) cut = cut.slice(0, -1).trimEnd()
    return `${cut}…`
  }
  return lines.map((line, n) => fit(line, n === lines.length - 1 && i < words.length))
}
