/**
 * A small, strict XML 1.0 well-formedness check for the tests (no new
 * dependency): one root element, balanced tags, quoted and unique
 * attributes, only the predefined and numeric entity references, no `<` or
 * stray `&` in text or attribute values, nothing but comments, processing
 * instructions and white space around the root. It builds a small tree to
 * query. It does not read DTDs (a DOCTYPE is refused).
 */

export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  /** The element's own text and its descendants', entities decoded. */
  text: string
}

export class XmlError extends Error {}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9A-Fa-f]+));/y
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
// Characters XML 1.0 allows.
const BAD_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

function isAllowedCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  )
}

export function parseXml(source: string): XmlElement {
  let at = 0
  const fail = (message: string): never => {
    const line = source.slice(0, at).split('\n').length
    throw new XmlError(`${message} at offset ${at} (line ${line}): ${JSON.stringify(source.slice(at, at + 40))}`)
  }
  const bad = BAD_CHAR.exec(source)
  if (bad) {
    at = bad.index
    fail('a character XML does not allow')
  }

  /** Text up to the next `<` (or `end`), entities decoded; `<` and a stray `&` are errors. */
  const decode = (raw: string, base: number): string => {
    let out = ''
    let i = 0
    while (i < raw.length) {
      const c = raw[i]
      if (c === '<') {
        at = base + i
        fail('"<" in text or an attribute value')
      }
      if (c !== '&') {
        out += c
        i++
        continue
      }
      ENTITY.lastIndex = i
      const m = ENTITY.exec(raw)
      if (!m) {
        at = base + i
        return fail('an "&" that starts no entity reference')
      }
      if (m[1] !== undefined) out += PREDEFINED[m[1]]
      else {
        const cp = m[2] !== undefined ? Number.parseInt(m[2], 10) : Number.parseInt(m[3] ?? '', 16)
        if (!isAllowedCodePoint(cp)) {
          at = base + i
          fail('a character reference to a character XML does not allow')
        }
        out += String.fromCodePoint(cp)
      }
      i += m[0].length
    }
    return out
  }

  const skipSpace = () => {
    while (at < source.length && /\s/.test(source[at] ?? '')) at++
  }

  const readName = (): string => {
    NAME.lastIndex = at
    const m = NAME.exec(source)
    if (!m) return fail('a name expected')
    at += m[0].length
    return m[0]
  }

  /** Comments and processing instructions (prolog, between elements, epilog). */
  const skipMisc = (): boolean => {
    if (source.startsWith('<!--', at)) {
      const end = source.indexOf('-->', at + 4)
      if (end === -1) fail('an unclosed comment')
      if (source.slice(at + 4, end).includes('--')) fail('"--" inside a comment')
      at = end + 3
      return true
    }
    if (source.startsWith('<?', at)) {
      const end = source.indexOf('?>', at + 2)
      if (end === -1) fail('an unclosed processing instruction')
      at = end + 2
      return true
    }
    if (source.startsWith('<!DOCTYPE', at)) fail('a DOCTYPE (not supported here)')
    return false
  }

  const stack: XmlElement[] = []
  let root: XmlElement | null = null

  // Prolog.
  if (source.startsWith('<?xml', 0)) {
    const end = source.indexOf('?>')
    if (end === -1) fail('an unclosed XML declaration')
    at = end + 2
  }
  for (;;) {
    skipSpace()
    if (!skipMisc()) break
  }

  while (at < source.length) {
    const current = stack[stack.length - 1]
    if (current === undefined) {
      // After the root: only white space, comments and processing instructions.
      skipSpace()
      if (at >= source.length) break
      if (root !== null && skipMisc()) continue
      if (root !== null) fail('content after the root element')
    }
    if (source[at] !== '<') {
      if (current === undefined) fail('text outside the root element')
      const next = source.indexOf('<', at)
      const end = next === -1 ? source.length : next
      const raw = source.slice(at, end)
      if (raw.includes(']]>')) fail('"]]>" in text')
      const text = decode(raw, at)
      for (const open of stack) open.text += text
      at = end
      continue
    }
    if (current !== undefined && skipMisc()) continue
    if (source.startsWith('<![CDATA[', at)) {
      if (current === undefined) fail('CDATA outside the root element')
      const end = source.indexOf(']]>', at)
      if (end === -1) fail('an unclosed CDATA section')
      const text = source.slice(at + 9, end)
      for (const open of stack) open.text += text
      at = end + 3
      continue
    }
    if (source.startsWith('</', at)) {
      at += 2
      const name = readName()
      skipSpace()
      if (source[at] !== '>') fail('">" expected to end a closing tag')
      at++
      const open = stack.pop()
      if (open === undefined) return fail(`a closing </${name}> with no element open`)
      if (open.name !== name) fail(`</${name}> closes <${open.name}>`)
      continue
    }
    // A start tag.
    at++
    const element: XmlElement = { name: readName(), attrs: {}, children: [], text: '' }
    for (;;) {
      const before = at
      skipSpace()
      if (source.startsWith('/>', at) || source[at] === '>') break
      if (at === before) fail('white space expected between attributes')
      const name = readName()
      skipSpace()
      if (source[at] !== '=') fail(`"=" expected after the attribute ${name}`)
      at++
      skipSpace()
      const quote = source[at]
      if (quote !== '"' && quote !== "'") return fail(`a quoted value expected for the attribute ${name}`)
      const end = source.indexOf(quote, at + 1)
      if (end === -1) fail('an unclosed attribute value')
      if (Object.hasOwn(element.attrs, name)) fail(`the attribute ${name} twice`)
      element.attrs[name] = decode(source.slice(at + 1, end), at + 1)
      at = end + 1
    }
    if (current === undefined) {
      if (root !== null) fail('a second root element')
      root = element
    } else current.children.push(element)
    if (source.startsWith('/>', at)) at += 2
    else {
      at++
      stack.push(element)
    }
  }
  const open = stack[stack.length - 1]
  if (open !== undefined) fail(`<${open.name}> is never closed`)
  if (root === null) return fail('no root element')
  return root
}

/** Every element under `root` (and root itself) for which `test` holds, in document order. */
export function findAll(root: XmlElement, test: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = []
  const walk = (e: XmlElement) => {
    if (test(e)) out.push(e)
    for (const child of e.children) walk(child)
  }
  walk(root)
  return out
}

/** Every element of that name. */
export function byName(root: XmlElement, name: string): XmlElement[] {
  return findAll(root, (e) => e.name === name)
}
