/**
 * Boxes for label placement: where a line of text will sit, estimated with
 * the same measure that wraps it (textWidth), and whether two boxes meet.
 * The charts place labels with these; the tests check the drawn SVG with them.
 */
import { textWidth } from './text.js'

/** An axis-aligned box in px: x1 ≤ x2, y1 ≤ y2. */
export interface Box {
  x1: number
  y1: number
  x2: number
  y2: number
}

/** How far a line of text reaches above and below its baseline, as shares of the font size (generous, as textWidth is). */
export const ASCENT = 0.8
export const DESCENT = 0.25

export type Anchor = 'start' | 'middle' | 'end'

/** The box of one line of text drawn at (x, baseline) with that anchor. */
export function textBox(content: string, x: number, baseline: number, size: number, anchor: Anchor = 'start', bold = false): Box {
  const width = textWidth(content, size, bold)
  const x1 = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width
  return { x1, y1: baseline - ASCENT * size, x2: x1 + width, y2: baseline + DESCENT * size }
}

/** Whether the boxes share any area (touching edges do not), or come closer than `gap`. */
export function overlaps(a: Box, b: Box, gap = 0): boolean {
  return a.x1 < b.x2 + gap && b.x1 < a.x2 + gap && a.y1 < b.y2 + gap && b.y1 < a.y2 + gap
}
