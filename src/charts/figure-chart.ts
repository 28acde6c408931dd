/**
 * GET /events/{id}/chart.svg (contract §13): one figure group drawn as an SVG
 * a newsroom can embed. One row per counted source, its interval as a bar and
 * its point as a dot on one horizontal axis from zero; an open-ended interval
 * is an arrow running to the right edge; the agreement band (§4) is shaded
 * behind the rows and the median is a dashed vertical line.
 *
 * Pure: a summary and a few words in, a string out. All text is escaped.
 * Colours are from the Okabe–Ito palette (safe for colour-blind readers); each
 * meaning is carried by shape and label as well as colour, and every colour
 * used for text or marks has at least 3:1 contrast on white (text 4.5:1).
 */
import type { CountedFigureClaim, DisagreementLevel, FigureSummary, Metric, Population } from '../engine/types.js'
import { type Scale, linearScale } from './scale.js'
import { escapeXml, formatMoment, formatNumber, textWidth, wrapText } from './text.js'

export interface ChartMeta {
  /** The event's title. */
  title: string
  metric: Metric
  population: Population
  /** The group's party (actor id), null for none. */
  party: string | null
  /** The party's name, when known, for the heading. */
  partyName?: string | null | undefined
  /** The moment the summary is computed as of (ISO). */
  asOf: string
  /** When the summary replays what the database held at a moment (ISO). */
  knownAt?: string | null | undefined
  /** Prefix of the element ids (title, desc, marker); keep it unique when several charts share one page. */
  idPrefix?: string | undefined
}

// ---- layout (px) ----
export const CHART_WIDTH = 720
const MARGIN = 20
const LABEL_WIDTH = 176
const PLOT_LEFT = MARGIN + LABEL_WIDTH + 16
const PLOT_RIGHT = CHART_WIDTH - MARGIN - 24
const ROW_HEIGHT = 46
const ARROW = 12

// ---- type ----
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
const TITLE_SIZE = 19
const SUBTITLE_SIZE = 14
const LABEL_SIZE = 13
const SMALL_SIZE = 12

// ---- colour (Okabe–Ito; contrast on white in brackets) ----
const INK = '#1a1a1a' // titles (17:1)
const MUTED = '#4d4d4d' // secondary text (8.5:1)
const RULE = '#767676' // axis (4.5:1)
const GRID = '#e4e4e4'
const GUIDE = '#efefef'
const BLUE = '#0072b2' // intervals and points (5.1:1)
const VERMILION = '#d55e00' // the median line (3.9:1)
const VERMILION_TEXT = '#a63f00' // its label (6.3:1)
const GREEN = '#009e73' // the agreement band
const GREEN_TEXT = '#00664a' // its label (7.0:1)

const POPULATION_NOUN: Record<Population, string> = {
  all: 'People',
  civilians: 'Civilians',
  combatants: 'Combatants',
  children: 'Children',
  women: 'Women',
  men: 'Men',
  medical_workers: 'Medical workers',
  journalists: 'Journalists',
}

const LEVEL_SENTENCE: Record<DisagreementLevel, string> = {
  conflicting: 'The figures conflict: no single number fits them all.',
  compatible: 'The figures are compatible: one number could fit them all.',
  agreement: 'The sources agree on one figure.',
  single_source: 'Only one source gives a figure.',
}

const LEVEL_FOOTNOTE: Record<DisagreementLevel, string> = {
  conflicting: 'Conflicting: no single number fits every source',
  compatible: 'Compatible: one number could fit every source',
  agreement: 'Agreement: every source gives the same figure',
  single_source: 'Single source: nothing to compare yet',
}

/** "People killed", "Children killed", "Casualties among civilians (killed and injured)", with the party. */
export function groupHeading(meta: Pick<ChartMeta, 'metric' | 'population' | 'party' | 'partyName'>): string {
  const noun = POPULATION_NOUN[meta.population]
  const base =
    meta.metric === 'casualties'
      ? meta.population === 'all'
        ? 'Casualties (killed and injured)'
        : `Casualties among ${noun.toLowerCase()} (killed and injured)`
      : `${noun} ${meta.metric}`
  return meta.party === null ? base : `${base} (${meta.partyName ?? meta.party})`
}

/** The group as the API names it: killed/all, killed/combatants/russian-forces. */
export function groupKey(meta: Pick<ChartMeta, 'metric' | 'population' | 'party'>): string {
  return [meta.metric, meta.population, ...(meta.party === null ? [] : [meta.party])].join('/')
}

/** What a source said, in words close to its own: "58", "at least 70", "58–86, best 70", "hundreds". */
export function statedFigure(c: CountedFigureClaim): string {
  const value = formatNumber(c.value ?? c.point)
  switch (c.qualifier) {
    case 'exact':
      return value
    case 'at_least':
      return `at least ${value}`
    case 'more_than':
      return `more than ${value}`
    case 'at_most':
      return `up to ${value}`
    case 'fewer_than':
      return `fewer than ${value}`
    case 'approximately':
      return `about ${value}`
    case 'range': {
      const range = `${formatNumber(c.low ?? c.interval.low)}–${formatNumber(c.high ?? c.interval.high ?? c.point)}`
      return c.best === undefined ? range : `${range}, best ${formatNumber(c.best)}`
    }
    case 'dozens':
    case 'hundreds':
    case 'thousands':
      return c.qualifier
  }
}

/** The words of a vague qualifier with the numbers it stands for, for the spoken description. */
function spokenFigure(c: CountedFigureClaim): string {
  const said = statedFigure(c)
  if (c.qualifier === 'dozens' || c.qualifier === 'hundreds' || c.qualifier === 'thousands') {
    return `${said} (${formatNumber(c.interval.low)} to ${formatNumber(c.interval.high ?? c.interval.low)})`
  }
  return said.replace('–', ' to ')
}

function agreementRange(a: FigureSummary['agreement']): string {
  if (a.high === null) return `${formatNumber(a.low)} or more`
  return a.high === a.low ? formatNumber(a.low) : `${formatNumber(a.low)}–${formatNumber(a.high)}`
}

/** "most sources agree: 58–60 (3 of 4)"; honest when the best overlap is one source. */
export function agreementLabel(f: FigureSummary): string {
  const { sources: k } = f.agreement
  const n = f.sources
  const range = agreementRange(f.agreement)
  if (k === n) return `all sources agree: ${range}`
  if (k * 2 > n) return `most sources agree: ${range} (${k} of ${n})`
  return `agreement band: ${range} (${k} of ${n} sources)`
}

/** The full-sentence description read by screen readers (and used as alt text). */
export function describeFigures(summary: FigureSummary | null, meta: ChartMeta): string {
  if (summary === null || summary.claims.length === 0) return `No figures for ${groupKey(meta)} as of ${formatMoment(meta.asOf)}.`
  const n = summary.sources
  const [only] = summary.claims
  if (n === 1 && only !== undefined) {
    return `1 source. ${only.source_name} gives ${spokenFigure(only)}. ${LEVEL_SENTENCE.single_source}`
  }
  const { low, high } = summary.range
  const spread =
    high === low
      ? `Every figure allows only ${formatNumber(low)}`
      : `Figures range from ${formatNumber(low)} to ${high === null ? 'no upper bound' : formatNumber(high)}`
  const bySource = summary.claims.map((c) => `${c.source_name}, ${spokenFigure(c)}`).join('; ')
  return (
    `${n} sources. ${spread}; median ${formatNumber(summary.points.median)}. ` +
    `${LEVEL_SENTENCE[summary.disagreement.level]} By source: ${bySource}.`
  )
}

/** The chart's accessible name: event title, group, date. */
export function chartTitle(meta: ChartMeta): string {
  return `${meta.title}: ${groupHeading(meta).toLowerCase()}, by source, as of ${formatMoment(meta.asOf)}`
}

// ---- drawing ----

type Attrs = Record<string, string | number | undefined>

function attrs(a: Attrs): string {
  return Object.entries(a)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? round(v) : escapeXml(v)}"`)
    .join('')
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10)
}

function el(name: string, a: Attrs, children?: string): string {
  return children === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children}</${name}>`
}

function text(content: string, a: Attrs): string {
  return el('text', a, escapeXml(content))
}

/** White outline under text that crosses lines and bands, so it stays legible. */
const HALO: Attrs = { stroke: '#ffffff', 'stroke-width': 4, 'stroke-linejoin': 'round', 'paint-order': 'stroke' }

/** x for a label of `width` centred on `x`, kept inside the plot. */
function centredIn(x: number, width: number, left = PLOT_LEFT, right = PLOT_RIGHT + 16): number {
  return Math.min(Math.max(x, left + width / 2), right - width / 2)
}

const TEXT_WIDTH = CHART_WIDTH - 2 * MARGIN

function subtitleOf(summary: FigureSummary | null, meta: ChartMeta): string {
  const n = summary?.claims.length ?? 0
  const asOf = `as of ${formatMoment(meta.asOf)}`
  return n === 0 ? `${groupHeading(meta)}, by source, ${asOf}` : `${groupHeading(meta)}: figures from ${n} ${n === 1 ? 'source' : 'sources'}, ${asOf}`
}

function creditOf(meta: ChartMeta): string {
  const known = meta.knownAt ? `, as recorded by ${formatMoment(meta.knownAt)}` : ''
  return `Source: Reckon. Each source counts once: its latest claim stated by ${formatMoment(meta.asOf)}${known}.`
}

/** Where things go down the page; the same numbers give the height without drawing. */
interface Layout {
  titleLines: string[]
  subtitleLines: string[]
  creditLines: string[]
  subtitleY: number
  /** Empty chart: the top of the message box. Else the legend's centre line. */
  legendY: number
  rowsTop: number
  rowsBottom: number
  axisY: number
  /** The footnote's baseline (the credit's, in an empty chart). */
  footY: number
  height: number
}

const EMPTY_BOX = 64

function layout(summary: FigureSummary | null, meta: ChartMeta): Layout {
  const titleLines = wrapText(meta.title, TEXT_WIDTH, TITLE_SIZE, 2, true)
  const subtitleLines = wrapText(subtitleOf(summary, meta), TEXT_WIDTH, SUBTITLE_SIZE, 2)
  const creditLines = wrapText(creditOf(meta), TEXT_WIDTH, SMALL_SIZE, 2)
  const texts = { titleLines, subtitleLines, creditLines }
  const subtitleY = 8 + 24 * titleLines.length + 23
  const headerBottom = subtitleY + 18 * (subtitleLines.length - 1)
  const creditHeight = 16 * (creditLines.length - 1)
  const n = summary?.claims.length ?? 0
  if (n === 0) {
    const boxTop = headerBottom + 18
    const footY = boxTop + EMPTY_BOX + 26
    return { ...texts, subtitleY, legendY: boxTop, rowsTop: boxTop, rowsBottom: boxTop, axisY: boxTop, footY, height: footY + creditHeight + 14 }
  }
  const legendY = headerBottom + 24
  // Above the rows, a lane for the median's label (none for one source).
  const rowsTop = legendY + (n > 1 ? 46 : 28)
  const rowsBottom = rowsTop + n * ROW_HEIGHT
  // Below them, a lane for the agreement band's label (none for one source).
  const axisY = rowsBottom + (n > 1 ? 26 : 8)
  const footY = axisY + 44
  return { ...texts, subtitleY, legendY, rowsTop, rowsBottom, axisY, footY, height: footY + 18 + creditHeight + 14 }
}

/** The chart's size in px, for `<img width height>`, without drawing it. */
export function figureChartSize(summary: FigureSummary | null, meta: ChartMeta): { width: number; height: number } {
  return { width: CHART_WIDTH, height: layout(summary, meta).height }
}

function header(at: Layout): string {
  const parts = at.titleLines.map((line, i) => text(line, { x: MARGIN, y: 32 + 24 * i, 'font-size': TITLE_SIZE, 'font-weight': 700, fill: INK }))
  at.subtitleLines.forEach((line, i) => parts.push(text(line, { x: MARGIN, y: at.subtitleY + 18 * i, 'font-size': SUBTITLE_SIZE, fill: MUTED })))
  return parts.join('')
}

function credit(at: Layout, y: number): string {
  return at.creditLines.map((line, i) => text(line, { class: 'credit', x: MARGIN, y: y + 16 * i, 'font-size': SMALL_SIZE, fill: MUTED })).join('')
}

function legend(y: number, open: boolean, arrowId: string): string {
  const parts: string[] = []
  let x = MARGIN
  const item = (swatch: string, label: string, swatchWidth: number) => {
    parts.push(swatch)
    parts.push(text(label, { x: x + swatchWidth + 6, y: y + 4, 'font-size': SMALL_SIZE, fill: MUTED }))
    x += swatchWidth + 6 + textWidth(label, SMALL_SIZE) + 20
  }
  item(el('circle', { cx: x + 6, cy: y, r: 5.5, fill: BLUE, stroke: '#ffffff', 'stroke-width': 1.5 }), 'the figure a source gives', 12)
  item(
    el('rect', { x, y: y - 5, width: 28, height: 10, rx: 2, fill: BLUE, 'fill-opacity': 0.3, stroke: BLUE }),
    'the numbers its words allow',
    28,
  )
  if (open) {
    const bar = el('rect', { x, y: y - 5, width: 28 - ARROW, height: 10, rx: 2, fill: BLUE, 'fill-opacity': 0.3, stroke: BLUE })
    item(bar + el('path', { d: `M${x} ${y}H${x + 28 - ARROW}`, fill: 'none', stroke: 'none', 'marker-end': `url(#${arrowId})` }), 'no upper bound', 28)
  }
  return el('g', { class: 'legend' }, parts.join(''))
}

function axis(scale: Scale, top: number, y: number): string {
  const parts: string[] = []
  for (const tick of scale.ticks) {
    const x = scale.x(tick)
    parts.push(el('line', { x1: x, y1: top, x2: x, y2: y, stroke: GRID, 'stroke-width': 1 }))
  }
  parts.push(el('line', { class: 'axis', x1: PLOT_LEFT, y1: y, x2: PLOT_RIGHT, y2: y, stroke: RULE, 'stroke-width': 1 }))
  for (const tick of scale.ticks) {
    const x = scale.x(tick)
    parts.push(el('line', { x1: x, y1: y, x2: x, y2: y + 5, stroke: RULE, 'stroke-width': 1 }))
    parts.push(text(formatNumber(tick), { x, y: y + 19, 'font-size': SMALL_SIZE, fill: MUTED, 'text-anchor': 'middle' }))
  }
  return parts.join('')
}

function row(c: CountedFigureClaim, top: number, scale: Scale, arrowId: string): string {
  const cy = top + 29
  const parts: string[] = []
  parts.push(el('title', {}, escapeXml(`${c.source_name}: ${statedFigure(c)} (stated ${formatMoment(c.stated_at)})`)))
  // A faint guide from the name across the plot.
  parts.push(el('line', { x1: PLOT_LEFT, y1: cy, x2: PLOT_RIGHT, y2: cy, stroke: GUIDE, 'stroke-width': 1 }))

  const nameLines = wrapText(c.source_name, LABEL_WIDTH, LABEL_SIZE, 2)
  const firstBaseline = nameLines.length === 1 ? cy + 4.5 : cy - 3.5
  nameLines.forEach((line, i) => {
    parts.push(
      text(line, { x: PLOT_LEFT - 14, y: firstBaseline + i * 16, 'font-size': LABEL_SIZE, fill: INK, 'text-anchor': 'end' }),
    )
  })

  const x1 = scale.x(c.interval.low)
  const barStyle: Attrs = { fill: BLUE, 'fill-opacity': 0.3, stroke: BLUE, 'stroke-width': 1 }
  if (c.interval.high === null) {
    const end = PLOT_RIGHT - ARROW
    parts.push(el('rect', { class: 'interval open', x: x1, y: cy - 5, width: Math.max(end - x1, 1), height: 10, rx: 2, ...barStyle }))
    parts.push(el('path', { class: 'open-end', d: `M${round(x1)} ${cy}H${round(end)}`, fill: 'none', stroke: 'none', 'marker-end': `url(#${arrowId})` }))
  } else if (c.interval.high > c.interval.low) {
    const x2 = scale.x(c.interval.high)
    parts.push(el('rect', { class: 'interval', x: x1, y: cy - 5, width: Math.max(x2 - x1, 2), height: 10, rx: 2, ...barStyle }))
  }

  const px = scale.x(c.point)
  parts.push(el('circle', { class: 'point', cx: px, cy, r: 6, fill: BLUE, stroke: '#ffffff', 'stroke-width': 2 }))
  const said = statedFigure(c)
  parts.push(
    text(said, {
      x: centredIn(px, textWidth(said, SMALL_SIZE, true)),
      y: cy - 11,
      'font-size': SMALL_SIZE,
      'font-weight': 600,
      fill: INK,
      'text-anchor': 'middle',
      ...HALO,
    }),
  )
  return el('g', { class: 'source' }, parts.join(''))
}

/** The numbers the axis must reach: every finite bound and point, with room for arrows to read as "and beyond". */
function axisReach(f: FigureSummary): number {
  let finite = Math.max(f.points.max, f.range.low, f.agreement.low, f.agreement.high ?? 0)
  for (const c of f.claims) finite = Math.max(finite, c.interval.low, c.interval.high ?? 0, c.point)
  const open = f.claims.some((c) => c.interval.high === null)
  return open ? Math.max(finite * 1.25, finite + 2) : finite * 1.04
}

function svgRoot(meta: ChartMeta, height: number, title: string, desc: string, body: string): string {
  const id = meta.idPrefix ?? 'reckon-chart'
  return (
    el(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        width: CHART_WIDTH,
        height,
        viewBox: `0 0 ${CHART_WIDTH} ${height}`,
        role: 'img',
        'aria-labelledby': `${id}-title ${id}-desc`,
        lang: 'en',
        'font-family': FONT,
      },
      el('title', { id: `${id}-title` }, escapeXml(title)) +
        el('desc', { id: `${id}-desc` }, escapeXml(desc)) +
        el('rect', { width: CHART_WIDTH, height, fill: '#ffffff' }) +
        body,
    ) + '\n'
  )
}

/**
 * The chart of one figure group (§4 summary), or, when the group has no
 * counted claim (`summary` null), a chart that says so.
 */
export function renderFigureChart(summary: FigureSummary | null, meta: ChartMeta): string {
  const id = meta.idPrefix ?? 'reckon-chart'
  const arrowId = `${id}-arrow`
  const title = chartTitle(meta)
  const desc = describeFigures(summary, meta)
  const at = layout(summary, meta)

  if (summary === null || summary.claims.length === 0) {
    const boxTop = at.legendY
    const message = `No figures for ${groupKey(meta)} as of ${formatMoment(meta.asOf)}.`
    const body =
      header(at) +
      el('rect', { x: MARGIN, y: boxTop, width: CHART_WIDTH - 2 * MARGIN, height: EMPTY_BOX, rx: 4, fill: '#f5f5f5', stroke: GRID }) +
      text(message, { class: 'empty', x: CHART_WIDTH / 2, y: boxTop + 37, 'font-size': LABEL_SIZE + 1, fill: MUTED, 'text-anchor': 'middle' }) +
      credit(at, at.footY)
    return svgRoot(meta, at.height, title, desc, body)
  }

  const f = summary
  const n = f.claims.length
  const open = f.claims.some((c) => c.interval.high === null)
  const { legendY, rowsTop, rowsBottom, axisY, footY } = at
  const scale = linearScale(axisReach(f), PLOT_LEFT, PLOT_RIGHT)
  const parts: string[] = [header(at)]

  parts.push(
    el(
      'defs',
      {},
      el(
        'marker',
        { id: arrowId, viewBox: '0 0 12 14', refX: 0, refY: 7, markerWidth: ARROW, markerHeight: 14, markerUnits: 'userSpaceOnUse', orient: 'auto' },
        el('path', { d: 'M0 0L12 7L0 14Z', fill: BLUE }),
      ),
    ),
  )
  parts.push(legend(legendY, open, arrowId))
  parts.push(axis(scale, rowsTop - 16, axisY))

  // The agreement band, behind the rows: where the most claims overlap (§4). A single source has nothing to agree with.
  if (n > 1) {
    const a = f.agreement
    let bx1 = scale.x(a.low - 0.5)
    let bx2 = a.high === null ? PLOT_RIGHT : scale.x(a.high + 0.5)
    if (bx2 - bx1 < 8) {
      const mid = (bx1 + bx2) / 2
      bx1 = mid - 4
      bx2 = mid + 4
    }
    bx1 = Math.max(bx1, PLOT_LEFT)
    const label = agreementLabel(f)
    parts.push(
      el(
        'g',
        { class: 'agreement' },
        el('rect', { x: bx1, y: rowsTop - 16, width: bx2 - bx1, height: axisY - rowsTop + 16, fill: GREEN, 'fill-opacity': 0.2 }) +
          el('line', { x1: bx1, y1: rowsTop - 16, x2: bx1, y2: axisY, stroke: GREEN, 'stroke-width': 1 }) +
          el('line', { x1: bx2, y1: rowsTop - 16, x2: bx2, y2: axisY, stroke: GREEN, 'stroke-width': 1 }) +
          text(label, {
            x: centredIn((bx1 + bx2) / 2, textWidth(label, SMALL_SIZE, true), MARGIN),
            y: rowsBottom + 16,
            'font-size': SMALL_SIZE,
            'font-weight': 600,
            fill: GREEN_TEXT,
            'text-anchor': 'middle',
            ...HALO,
          }),
      ),
    )
  }

  // The median: its line behind the marks, its label above the rows. One source has no median worth a line.
  const median = f.points.median
  const mx = scale.x(median)
  const medianLabel = `median ${formatNumber(median)}`
  if (n > 1) {
    parts.push(
      el('line', { class: 'median', x1: mx, y1: rowsTop - 14, x2: mx, y2: axisY, stroke: VERMILION, 'stroke-width': 2, 'stroke-dasharray': '6 4' }),
    )
  }
  f.claims.forEach((c, i) => parts.push(row(c, rowsTop + i * ROW_HEIGHT, scale, arrowId)))
  if (n > 1) {
    parts.push(
      text(medianLabel, {
        class: 'median-label',
        x: centredIn(mx, textWidth(medianLabel, SMALL_SIZE, true)),
        y: rowsTop - 20,
        'font-size': SMALL_SIZE,
        'font-weight': 700,
        fill: VERMILION_TEXT,
        'text-anchor': 'middle',
        ...HALO,
      }),
    )
  }

  const level = f.disagreement.level
  parts.push(
    text(`${LEVEL_FOOTNOTE[level]} · ${n} ${n === 1 ? 'source' : 'sources'} · ${groupKey(meta)}`, {
      class: 'footnote',
      x: MARGIN,
      y: footY,
      'font-size': SMALL_SIZE + 1,
      'font-weight': 600,
      fill: INK,
    }),
  )
  parts.push(credit(at, footY + 18))
  return svgRoot(meta, at.height, title, desc, parts.join(''))
}
