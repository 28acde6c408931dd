/**
 * Geometry of a drawn chart, for the tests: the box of every label (from its
 * x, y, size, weight and anchor, with the width estimate the renderer wraps
 * with) and of every mark (intervals, points, arrowheads, the median line,
 * the axis and its ticks, the legend's swatches), and the pairs that meet.
 * Background areas (the band's shading, grid and guide lines, the page) are
 * not marks: labels sit on them with a white halo.
 */
import { type Anchor, type Box, overlaps, textBox } from '../../src/charts/geometry.js'
import { type XmlElement, byName, findAll } from './xml.js'

export interface Placed {
  what: string
  box: Box
}

const num = (e: XmlElement, name: string, fallback = 0): number => {
  const v = e.attrs[name]
  return v === undefined ? fallback : Number(v)
}

/** Every <text>'s box. */
export function labelBoxes(svg: XmlElement): Placed[] {
  return byName(svg, 'text').map((e) => {
    const anchor = (e.attrs['text-anchor'] ?? 'start') as Anchor
    const bold = Number(e.attrs['font-weight'] ?? 400) >= 600
    return { what: `text "${e.text}"`, box: textBox(e.text, num(e, 'x'), num(e, 'y'), num(e, 'font-size', 16), anchor, bold) }
  })
}

const BACKGROUND = new Set(['background', 'band', 'grid', 'guide'])

/** Every mark's box; the arrowhead of a marker-end path is 12 px long and 14 px tall past the path's end. */
export function markBoxes(svg: XmlElement): Placed[] {
  const defs = new Set(findAll(svg, (e) => e.name === 'defs').flatMap((d) => findAll(d, () => true)))
  const out: Placed[] = []
  for (const e of findAll(svg, (x) => ['rect', 'circle', 'line', 'path'].includes(x.name))) {
    if (defs.has(e) || BACKGROUND.has(e.attrs.class ?? '')) continue
    const half = num(e, 'stroke-width', e.attrs.stroke === undefined || e.attrs.stroke === 'none' ? 0 : 1) / 2
    const what = `${e.name}${e.attrs.class ? `.${e.attrs.class}` : ''}`
    if (e.name === 'rect') {
      if (e.attrs.fill === '#f5f5f5') continue // the empty chart's message box holds its message
      const x = num(e, 'x')
      const y = num(e, 'y')
      out.push({ what, box: { x1: x - half, y1: y - half, x2: x + num(e, 'width') + half, y2: y + num(e, 'height') + half } })
    } else if (e.name === 'circle') {
      // The white outline is not ink.
      const r = num(e, 'r')
      out.push({ what, box: { x1: num(e, 'cx') - r, y1: num(e, 'cy') - r, x2: num(e, 'cx') + r, y2: num(e, 'cy') + r } })
    } else if (e.name === 'line') {
      const [x1, x2] = [num(e, 'x1'), num(e, 'x2')].sort((a, b) => a - b) as [number, number]
      const [y1, y2] = [num(e, 'y1'), num(e, 'y2')].sort((a, b) => a - b) as [number, number]
      out.push({ what, box: { x1: x1 - half, y1: y1 - half, x2: x2 + half, y2: y2 + half } })
    } else if (e.attrs['marker-end'] !== undefined) {
      const m = /^M([\d.]+) ([\d.]+)H([\d.]+)$/.exec(e.attrs.d ?? '')
      if (!m) throw new Error(`a path the check cannot measure: ${e.attrs.d}`)
      const [y, end] = [Number(m[2]), Number(m[3])]
      out.push({ what: `${what} arrowhead`, box: { x1: end, y1: y - 7, x2: end + 12, y2: y + 7 } })
    } else {
      const box = pathBox(e.attrs.d ?? '')
      out.push({ what, box: { x1: box.x1 - half, y1: box.y1 - half, x2: box.x2 + half, y2: box.y2 + half } })
    }
  }
  return out
}

/** The box of a path of straight lines in absolute coordinates (M, L, H, V, Z: what the renderer draws), its every point. */
function pathBox(d: string): Box {
  const tokens = d.match(/[MLHVZ]|-?[\d.]+/g) ?? []
  if (tokens.join('').length !== d.replace(/[\s,]/g, '').length) throw new Error(`a path the check cannot measure: ${d}`)
  const xs: number[] = []
  const ys: number[] = []
  let x = 0
  let y = 0
  for (let i = 0; i < tokens.length; i++) {
    const command = tokens[i]
    if (command === 'M' || command === 'L') {
      x = Number(tokens[++i])
      y = Number(tokens[++i])
    } else if (command === 'H') x = Number(tokens[++i])
    else if (command === 'V') y = Number(tokens[++i])
    else if (command !== 'Z') throw new Error(`a path the check cannot measure: ${d}`)
    xs.push(x)
    ys.push(y)
  }
  return { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) }
}

/** Every label that meets a mark or another label, and every label outside the picture, in words. */
export function collisions(svg: XmlElement): string[] {
  const labels = labelBoxes(svg)
  const marks = markBoxes(svg)
  const width = Number(svg.attrs.width)
  const height = Number(svg.attrs.height)
  const out: string[] = []
  const show = (b: Box) => `[${b.x1.toFixed(1)},${b.y1.toFixed(1)} ${b.x2.toFixed(1)},${b.y2.toFixed(1)}]`
  labels.forEach((a, i) => {
    if (a.box.x1 < 0 || a.box.y1 < 0 || a.box.x2 > width || a.box.y2 > height)
      out.push(`${a.what} ${show(a.box)} leaves the ${width}×${height} picture`)
    for (const b of labels.slice(i + 1)) if (overlaps(a.box, b.box)) out.push(`${a.what} ${show(a.box)} meets ${b.what} ${show(b.box)}`)
    for (const m of marks) if (overlaps(a.box, m.box)) out.push(`${a.what} ${show(a.box)} crosses ${m.what} ${show(m.box)}`)
  })
  return out
}
