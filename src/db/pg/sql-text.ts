/**
 * SQL text as the repositories write it (SQLite's parameters: `?` in order,
 * or `@name` bound from an object) → PostgreSQL's numbered `$1, $2, …`, with
 * the values in that order. A name used twice is one parameter. Quoted
 * strings and identifiers are left as they are.
 */
import type { Params } from '../sql.js'

export interface Numbered {
  /** The text with numbered parameters. */
  text: string
  /** The values to bind, in the numbers' order. */
  values(params: Params | undefined): unknown[]
}

export function numbered(source: string): Numbered {
  let text = ''
  let positional = 0
  const names: string[] = []
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string
    if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1)
      const stop = end === -1 ? source.length : end
      text += source.slice(i, stop + 1)
      i = stop
    } else if (c === '?') {
      text += `$${++positional}`
    } else if (c === '@' && /[A-Za-z_]/.test(source[i + 1] ?? '')) {
      const name = /^[A-Za-z_]\w*/.exec(source.slice(i + 1))?.[0] as string
      let index = names.indexOf(name)
      if (index === -1) index = names.push(name) - 1
      text += `$${index + 1}`
      i += name.length
    } else {
      text += c
    }
  }
  if (positional > 0 && names.length > 0) throw new Error(`a statement mixes ? and @name parameters: ${source}`)
  return {
    text,
    values(params) {
      if (names.length === 0) return params === undefined ? [] : [...(params as readonly unknown[])]
      const byName = params as Record<string, unknown>
      return names.map((name) => {
        if (!(name in byName)) throw new Error(`no value for @${name} in: ${source}`)
        return byName[name]
      })
    },
  }
}
