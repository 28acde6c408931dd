/**
 * Sources' and actors' names and aliases found in text, for the drafting
 * engine: case-insensitively, as the contract matches aliases, except that a
 * name written in capitals (an acronym: "WHO", "UN") matches only in
 * capitals, or "who" would be the World Health Organization. A plural name
 * also matches in the singular, as an adjective ("militants" → "militant
 * facilities").
 */

export interface Named {
  id: string
  names: readonly string[]
}

export interface NameMention {
  start: number
  end: number
  text: string
  /** Every id the words name: one, or several when they are ambiguous. */
  ids: string[]
  /** Forces named by what they did ("an Israeli strike", "Russian jets"): in a sentence about casualties, blamed for them. */
  attack?: boolean
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** Apostrophes made straight, one character for one: offsets stay those of the text. */
const straight = (s: string) => s.replace(/[’‘]/g, "'")
const HAS_CAPITALS = /\p{Lu}{2}/u
const isAcronym = (name: string) => /\p{Lu}/u.test(name) && name === name.toUpperCase() && name.replace(/[^\p{L}]/gu, '').length <= 6

export class NameIndex {
  private readonly byKey = new Map<string, Set<string>>()
  private readonly acronyms = new Map<string, Set<string>>()
  private readonly pattern: RegExp | null
  private readonly acronymPattern: RegExp | null

  constructor(entries: readonly Named[]) {
    const add = (map: Map<string, Set<string>>, key: string, id: string) => {
      const held = map.get(key)
      if (held) held.add(id)
      else map.set(key, new Set([id]))
    }
    for (const entry of entries) {
      for (const raw of new Set([...entry.names])) {
        const name = straight(raw.trim())
        if (name.length < 2) continue
        if (isAcronym(name)) {
          add(this.acronyms, name, entry.id)
          continue
        }
        const key = name.toLowerCase()
        add(this.byKey, key, entry.id)
        if (key.length > 4 && key.endsWith('s') && !key.endsWith('ss')) add(this.byKey, key.slice(0, -1), entry.id)
      }
    }
    this.pattern = alternation([...this.byKey.keys()], 'giu')
    this.acronymPattern = alternation([...this.acronyms.keys()], 'gu')
  }

  /** The names in `text` (`offset` is its place in the whole text), longest first where they overlap, in order. */
  find(text: string, offset = 0): NameMention[] {
    const plain = straight(text)
    const found: NameMention[] = []
    for (const [pattern, map, fold] of [
      [this.pattern, this.byKey, true],
      [this.acronymPattern, this.acronyms, false],
    ] as const) {
      // Most sentences have no word in capitals: the acronyms' pattern is not run on them.
      if (pattern === null || (!fold && !HAS_CAPITALS.test(plain))) continue
      for (const m of plain.matchAll(pattern)) {
        const ids = map.get(fold ? m[0].toLowerCase() : m[0])
        if (ids === undefined) continue
        const start = offset + (m.index ?? 0)
        found.push({ start, end: start + m[0].length, text: text.slice(m.index ?? 0, (m.index ?? 0) + m[0].length), ids: [...ids].sort() })
      }
    }
    found.sort((a, b) => a.start - b.start || b.end - a.end)
    const kept: NameMention[] = []
    for (const m of found) {
      const last = kept[kept.length - 1]
      if (last !== undefined && m.start < last.end) continue
      kept.push(m)
    }
    return kept
  }

  /** The ids a whole phrase names, if it is a name ("Russian military"). */
  exact(phrase: string): string[] {
    const name = straight(phrase.trim())
    return [...(this.acronyms.get(name) ?? this.byKey.get(name.toLowerCase()) ?? [])].sort()
  }
}

/** One pattern for all names, longest first, bounded by non-letters on both sides. */
function alternation(names: string[], flags: string): RegExp | null {
  if (names.length === 0) return null
  const sorted = [...names].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${sorted.map(escape).join('|')})(?![\\p{L}\\p{N}])`, flags)
}

/** Actor kinds whose name, after a number, counts fighters ("12 rebels"). */
const ARMED_KINDS = new Set(['armed_forces', 'armed_group'])

/**
 * What the drafting engine knows of sources and actors (drafts/draft.ts
 * DraftDirectory): their names and aliases, sources' affiliations and
 * actors' kinds.
 */
export function draftDirectory(
  sources: ReadonlyArray<Named & { affiliated_actor_id: string | null }>,
  actors: ReadonlyArray<Named & { kind: string }>,
) {
  const affiliated = new Map(sources.map((s) => [s.id, s.affiliated_actor_id]))
  const armed = new Set(actors.filter((a) => ARMED_KINDS.has(a.kind)).map((a) => a.id))
  return {
    sources: new NameIndex(sources),
    actors: new NameIndex(actors),
    affiliation: (id: string) => affiliated.get(id) ?? null,
    armed: (id: string) => armed.has(id),
  }
}
