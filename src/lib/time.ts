/**
 * Dates and moments as the contract reads them (§1, §3): every stored moment
 * is an ISO 8601 UTC string with milliseconds, so that moments compare as
 * strings.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})$/

function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return d <= days
}

/** `YYYY-MM-DD` that names a real day. */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text)
  return m !== null && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))
}

/** `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (an event's occurred_on). */
export function isPartialDate(text: string): boolean {
  if (/^\d{4}$/.test(text)) return true
  if (/^\d{4}-\d{2}$/.test(text)) {
    const month = Number(text.slice(5, 7))
    return month >= 1 && month <= 12
  }
  return isCalendarDate(text)
}

function fromDateTime(text: string): string | null {
  const m = DATE_TIME.exec(text)
  if (!m) return null
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m
  if (!isRealDate(Number(y), Number(mo), Number(d))) return null
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null
  const ms = (frac + '000').slice(0, 3)
  const offset = zone === 'Z' || zone === 'z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`)
  if (Number.isNaN(date.getTime())) return null
  return date.toISOString()
}

/** A claim's stated_at: a date means 00:00:00Z that day (§1). Null when not a date or date-time. */
export function parseStatedAt(text: string): string | null {
  if (isCalendarDate(text)) return `${text}T00:00:00.000Z`
  return fromDateTime(text)
}

/** `as_of` / `known_at`: a date means the end of that day, 23:59:59.999Z (§3). */
export function parseMoment(text: string): string | null {
  if (isCalendarDate(text)) return `${text}T23:59:59.999Z`
  return fromDateTime(text)
}

export function nowIso(): string {
  return new Date().toISOString()
}
