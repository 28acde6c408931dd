/** Readable ids (contract §1, "Identifiers"). */

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/
const MAX = 64

/** Lower-case, accents folded, runs of other characters turned into `-`, trimmed. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX)
    .replace(/-+$/, '')
}

/**
 * The first of `base`, `base-2`, `base-3`, … that `taken` says is free,
 * shortened so that the suffix still fits in 64 characters.
 */
export async function uniqueSlug(base: string, taken: (id: string) => boolean | Promise<boolean>): Promise<string> {
  if (!(await taken(base))) return base
  for (let n = 2; ; n++) {
    const suffix = `-${n}`
    const candidate = `${base.slice(0, MAX - suffix.length).replace(/-+$/, '')}${suffix}`
    if (!(await taken(candidate))) return candidate
  }
}
