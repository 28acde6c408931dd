/**
 * "Did you mean …?": the known name or value nearest to what was sent, for
 * error messages. Names are compared without letter case, spaces, "-" or "_"
 * (so `sourceid` and `Source ID` are `source_id`).
 */

/** Levenshtein distance (insertions, deletions, substitutions), two rows at a time. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

function folded(text: string): string {
  return text.toLowerCase().replace(/[\s_-]+/g, '')
}

/**
 * The candidate nearest to `sent`, or undefined when none is close: at most
 * 2 edits, and fewer than a third of the candidate's letters (so "hundred" is
 * near nothing); or the candidate begins with what was sent, 3 letters or more
 * (`source` → `source_id`). Ties go to the earlier candidate.
 */
export function nearest(sent: string, candidates: readonly string[]): string | undefined {
  const s = folded(sent)
  if (s === '') return undefined
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const c = folded(candidate)
    // The distance is at least the difference in length: a far longer text (a megabyte sent as a metric) is near nothing, unmeasured.
    if (Math.abs(s.length - c.length) > 2 && !(s.length >= 3 && c.startsWith(s))) continue
    const distance = editDistance(s, c)
    const close = (distance <= 2 && distance * 3 < c.length) || (s.length >= 3 && c.startsWith(s))
    if (close && (best === undefined || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}

/** ` Did you mean "x"?`, or nothing. */
export function didYouMean(sent: string, candidates: readonly string[]): string {
  const found = nearest(sent, candidates)
  return found === undefined ? '' : ` Did you mean "${found}"?`
}

/** What was sent, as a message quotes it: JSON, so a string is in double quotes and a number is not. */
export function quoted(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
