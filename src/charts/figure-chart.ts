/**
 * GET /events/{id}/chart.svg (contract §13): one figure group drawn as an SVG
 * a newsroom can embed. One row per counted source, its interval as a bar and
 * its point as a dot on one horizontal axis from zero; an open-ended interval
 * is an arrow running to the right edge; a vague word ("hundreds") is only the
 * hatched range it stands for, with no dot; the agreement band (§4) is shaded
 * behind the rows, in words that follow the disagreement level; the median of
 * the sources' figures is a dashed vertical line (optional); the bias-aware
 * estimate (#16, engine/estimate), when asked for, is a row of its own under
 * the sources': a diamond at its value on a whisker over its interval.
 *
 * Labels are placed, not just drawn: every label's box (estimated with
 * textWidth) is kept off the marks and off the other labels.
 *
 * Pure: a summary and a few words in, a string out. All text is escaped.
 * Colours are from the Okabe–Ito palette (safe for colour-blind readers); each
 * meaning is carried by shape and label as well as colour, and every colour
 * used for text or marks has at least 3:1 contrast on white (text 4.5:1).
 */
import type { CountedFigureClaim, DisagreementLevel, FigureSummary, Metric, Population, Qualifier } from '../engine/types.js'
import { type Scale, linearScale } from './scale.js'
import { escapeXml, formatCompact, formatDay, formatMoment, formatNumber, textWidth, wrapText } from './text.js'

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
  /** True when no as_of was asked for: `asOf` is the moment of the request, shown as its date. */
  asOfNow?: boolean | undefined
  /** When the summary replays what the database held at a moment (ISO). */
  knownAt?: string | null | undefined
  /** Draw the median line and its label (default true). */
  median?: boolean | undefined
  /** The group's bias-aware estimate, drawn as a row under the sources' (absent: not asked for). */
  adjusted?: AdjustedMark | undefined
  /**
   * Short names for the credit line, by source id (origins and relays): a
   * source's first alias, else its name. Without one, an origin is credited
   * by its source_name and a relay by its id.
   */
  sourceLabels?: Readonly<Record<string, string>> | undefined
  /** Prefix of the element ids (title, desc, marker); keep it unique when several charts share one page. */
  idPrefix?: string | undefined
}

/** What the chart draws of a bias-aware estimate (engine/estimate GroupEstimate's `adjusted`). */
export interface AdjustedMark {
  value: number
  low: number
  high: number
  /** The interval's probability, e.g. 0.9. */
  level: number
}

// ---- layout (px) ----
export const CHART_WIDTH = 720
const MARGIN = 20
const LABEL_WIDTH = 176
const PLOT_LEFT = MARGIN + LABEL_WIDTH + 16
const PLOT_RIGHT = CHART_WIDTH - MARGIN - 24
/** Value labels may run from the plot's left edge to the margin on the right. */
const LABEL_RIGHT = CHART_WIDTH - MARGIN
const ROW_HEIGHT = 46
const ARROW = 12
const LEGEND_LINE = 20
/** Clear space between a label and a mark or another label. */
const PAD = 4

// ---- type ----
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
const TITLE_SIZE = 19
const SUBTITLE_SIZE = 14
const LABEL_SIZE = 13
const SMALL_SIZE = 12
const FOOT_SIZE = 13

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

/** Contract §2: the words that stand for a range by convention, not for a number. */
export function isVague(q: Qualifier): boolean {
  return q === 'dozens' || q === 'hundreds' || q === 'thousands'
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

/** The date line's moment: the data's as_of ("6 April 2017"); the request's date when none was asked for. */
export function asOfWords(meta: Pick<ChartMeta, 'asOf' | 'asOfNow'>): string {
  return meta.asOfNow === true ? formatDay(meta.asOf) : formatMoment(meta.asOf)
}

/**
 * What a source said, in words close to its own: "58", "at least 70", "58–86, best 70", "hundreds".
 * `compact` writes big numbers short ("1.2M") for a label with no room for every digit.
 */
export function statedFigure(c: CountedFigureClaim, compact = false): string {
  const num = compact ? formatCompact : formatNumber
  const value = num(c.value ?? c.point)
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
      const range = `${num(c.low ?? c.interval.low)}–${num(c.high ?? c.interval.high ?? c.point)}`
      return c.best === undefined ? range : `${range}, best ${num(c.best)}`
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
  if (isVague(c.qualifier)) {
    return `${said} (vague: ${formatNumber(c.interval.low)} to ${formatNumber(c.interval.high ?? c.interval.low)})`
  }
  return said.replace('–', ' to ')
}

function agreementRange(a: FigureSummary['agreement']): string {
  if (a.high === null) return `${formatNumber(a.low)} or more`
  return a.high === a.low ? formatNumber(a.low) : `${formatNumber(a.low)}–${formatNumber(a.high)}`
}

/**
 * The agreement band's label, in the words of the disagreement level (§4):
 * `agreement` (one number fits all and every figure is the same) "all sources
 * agree"; `compatible` (one number could fit all) "every figure fits here";
 * `conflicting` "where most sources overlap (k of n)", or "the most" when
 * that is not a majority, and said outright when no two overlap at all.
 */
export function agreementLabel(f: FigureSummary): string {
  const { sources: k } = f.agreement
  const n = f.sources
  const range = agreementRange(f.agreement)
  switch (f.disagreement.level) {
    case 'agreement':
      return `all sources agree: ${range}`
    case 'compatible':
      return `every figure fits here: ${range}`
    case 'single_source':
      return `one source: ${range}`
    case 'conflicting':
      if (k * 2 > n) return `where most sources overlap: ${range} (${k} of ${n})`
      if (k > 1) return `where the most sources overlap: ${range} (${k} of ${n})`
      return `no two sources overlap; shaded: ${range} (1 of ${n})`
  }
}

/** "90%": an interval's level in words. */
function percent(level: number): string {
  return `${Math.round(level * 1000) / 10}%`
}

/** An estimate of a count of people, in whole people (the estimate itself is not rounded: GET /estimates has it). */
function people(n: number, compact = false): string {
  return (compact ? formatCompact : formatNumber)(Math.round(n))
}

/** The adjusted estimate's figure: its value with its interval, "18,702 (9,797–35,698)"; `compact` writes big numbers short. */
export function adjustedFigure(a: AdjustedMark, compact = false): string {
  return `${people(a.value, compact)} (${people(a.low, compact)}–${people(a.high, compact)})`
}

/** The adjusted estimate in a sentence, for the spoken description. */
export function adjustedSentence(a: AdjustedMark): string {
  return `Adjusted for each source's track record: ${people(a.value)}, ${percent(a.level)} interval ${people(a.low)} to ${people(a.high)}.`
}

/** The median's label: what it is a median of, and its value. */
export function medianLabel(median: number): string {
  return `median of the sources' figures: ${formatNumber(median)}`
}

function medianShown(meta: ChartMeta, n: number): boolean {
  return meta.median !== false && n > 1
}

/** The full-sentence description read by screen readers (and used as alt text). */
export function describeFigures(summary: FigureSummary | null, meta: ChartMeta): string {
  if (summary === null || summary.claims.length === 0) return `No figures for ${groupKey(meta)} as of ${asOfWords(meta)}.`
  const n = summary.sources
  const vague = summary.claims.some((c) => isVague(c.qualifier))
    ? ' Vague words are drawn as the range they stand for, without a figure.'
    : ''
  const adjusted = meta.adjusted === undefined ? '' : ` ${adjustedSentence(meta.adjusted)}`
  const [only] = summary.claims
  if (n === 1 && only !== undefined) {
    return `1 source. ${only.source_name} gives ${spokenFigure(only)}. ${LEVEL_SENTENCE.single_source}${vague}${adjusted}`
  }
  const { low, high } = summary.range
  const spread =
    high === low
      ? `Every figure allows only ${formatNumber(low)}`
      : `Figures range from ${formatNumber(low)} to ${high === null ? 'no upper bound' : formatNumber(high)}`
  const median = medianShown(meta, n) ? `; ${medianLabel(summary.points.median)}` : ''
  const bySource = summary.claims.map((c) => `${c.source_name}, ${spokenFigure(c)}`).join('; ')
  return (
    `${n} sources. ${spread}${median}. ${LEVEL_SENTENCE[summary.disagreement.level]} ` +
    `Shaded band: ${agreementLabel(summary)}. By source: ${bySource}.${vague}${adjusted}`
  )
}

/** The chart's accessible name: event title, group, date. */
export function chartTitle(meta: ChartMeta): string {
  return `${meta.title}: ${groupHeading(meta).toLowerCase()}, by source, as of ${asOfWords(meta)}`
}

/** "SOHR via Reuters, TASS; WHO via TASS": each counted source with its relay chain, in the summary's order. */
export function sourcesCredit(claims: readonly CountedFigureClaim[], labels: Readonly<Record<string, string>> = {}): string {
  return claims
    .map((c) => {
      const origin = labels[c.source_id] ?? c.source_name
      return c.via.length === 0 ? origin : `${origin} via ${c.via.map((id) => labels[id] ?? id).join(', ')}`
    })
    .join('; ')
}

/**
 * The `sourceLabels` for a group's credit: each origin's and relay's first
 * alias, else its name, looked up with `lookup` (e.g. the sources repository's
 * get). Ids it does not know are left out (credited by name or id).
 */
export function sourceLabelsFor(
  claims: readonly CountedFigureClaim[],
  lookup: (id: string) => { name: string; aliases: readonly string[] } | null,
): Record<string, string> {
  const labels: Record<string, string> = {}
  for (const id of new Set(claims.flatMap((c) => [c.source_id, ...c.via]))) {
    const source = lookup(id)
    if (source !== null) labels[id] = source.aliases[0] ?? source.name
  }
  return labels
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

/** White outline under text that crosses grid lines and bands, so it stays legible. */
const HALO: Attrs = { stroke: '#ffffff', 'stroke-width': 4, 'stroke-linejoin': 'round', 'paint-order': 'stroke' }

/** x for a label of `width` centred on `x`, kept inside [left, right]. */
function centredIn(x: number, width: number, left: number, right: number): number {
  return Math.min(Math.max(x, left + width / 2), right - width / 2)
}

/**
 * The centre x for a label of `width` nearest `want` inside [left, right]
 * whose span keeps PAD clear of every x in `avoid` (vertical lines); null when
 * there is none.
 */
function placeBetween(want: number, width: number, left: number, right: number, avoid: readonly number[]): number | null {
  if (width > right - left) return null
  const clear = (x: number) => avoid.every((a) => a <= x - width / 2 - PAD || a >= x + width / 2 + PAD)
  const candidates = [centredIn(want, width, left, right)]
  for (const a of avoid) {
    candidates.push(centredIn(a + PAD + width / 2 + 1, width, left, right), centredIn(a - PAD - width / 2 - 1, width, left, right))
  }
  const fits = candidates.filter(clear).sort((p, q) => Math.abs(p - want) - Math.abs(q - want))
  return fits[0] ?? null
}

const TEXT_WIDTH = CHART_WIDTH - 2 * MARGIN

function subtitleOf(summary: FigureSummary | null, meta: ChartMeta): string {
  const n = summary?.claims.length ?? 0
  const asOf = `as of ${asOfWords(meta)}`
  return n === 0
    ? `${groupHeading(meta)}, by source, ${asOf}`
    : `${groupHeading(meta)}: figures from ${n} ${n === 1 ? 'source' : 'sources'}, ${asOf}`
}

/** The credit: the sources (when there are any), then how they are counted; each starts a line. */
function creditOf(summary: FigureSummary | null, meta: ChartMeta): string[] {
  const claims = summary?.claims ?? []
  const sources = claims.length === 0 ? [] : [`${claims.length === 1 ? 'Source' : 'Sources'}: ${sourcesCredit(claims, meta.sourceLabels)}.`]
  const known = meta.knownAt ? `, as recorded by ${formatMoment(meta.knownAt)}` : ''
  return [...sources, `Each source counts once: its latest claim stated by ${asOfWords(meta)}${known}. Chart: Reckon.`]
}

function footnoteOf(f: FigureSummary, meta: ChartMeta): string {
  const n = f.claims.length
  return `${LEVEL_FOOTNOTE[f.disagreement.level]} · ${n} ${n === 1 ? 'source' : 'sources'} · ${groupKey(meta)}`
}

// ---- the legend ----

interface LegendItem {
  swatch: (x: number, y: number) => string
  swatchWidth: number
  label: string
}

function legendItems(f: FigureSummary, ids: { arrow: string; hatch: string }, adjusted: AdjustedMark | undefined): LegendItem[] {
  const items: LegendItem[] = []
  const bar = (x: number, y: number, width: number) =>
    el('rect', { x, y: y - 5, width, height: 10, rx: 2, fill: BLUE, 'fill-opacity': 0.3, stroke: BLUE })
  if (f.claims.some((c) => !isVague(c.qualifier))) {
    items.push({
      swatch: (x, y) => el('circle', { cx: x + 6, cy: y, r: 5.5, fill: BLUE, stroke: '#ffffff', 'stroke-width': 1.5 }),
      swatchWidth: 12,
      label: 'the figure a source gives',
    })
  }
  if (f.claims.some((c) => !isVague(c.qualifier) && c.interval.high !== c.interval.low)) {
    items.push({ swatch: (x, y) => bar(x, y, 28), swatchWidth: 28, label: 'the numbers its words allow' })
  }
  if (f.claims.some((c) => c.interval.high === null)) {
    items.push({
      swatch: (x, y) =>
        bar(x, y, 28 - ARROW) +
        el('path', { d: `M${x} ${y}H${x + 28 - ARROW}`, fill: 'none', stroke: 'none', 'marker-end': `url(#${ids.arrow})` }),
      swatchWidth: 28,
      label: 'no upper bound',
    })
  }
  const vague = [...new Set(f.claims.filter((c) => isVague(c.qualifier)).map((c) => `"${c.qualifier}"`))]
  if (vague.length > 0) {
    items.push({
      swatch: (x, y) => el('rect', { x, y: y - 5, width: 28, height: 10, ...vagueStyle(ids.hatch) }),
      swatchWidth: 28,
      label: `vague words (${vague.join(', ')}): the range they stand for, no figure`,
    })
  }
  if (adjusted !== undefined) {
    items.push({
      swatch: (x, y) => whisker(x, x + 28, y) + diamond(x + 14, y),
      swatchWidth: 28,
      label: `bias-adjusted estimate and its ${percent(adjusted.level)} interval`,
    })
  }
  return items
}

/** The legend's items flowed into lines that fit the width: [item index, x] per line. */
function legendLines(items: readonly LegendItem[]): Array<Array<{ item: LegendItem; x: number }>> {
  const lines: Array<Array<{ item: LegendItem; x: number }>> = [[]]
  let x = MARGIN
  for (const item of items) {
    const width = item.swatchWidth + 6 + textWidth(item.label, SMALL_SIZE)
    let line = lines[lines.length - 1] ?? []
    if (line.length > 0 && x + width > CHART_WIDTH - MARGIN) {
      line = []
      lines.push(line)
      x = MARGIN
    }
    line.push({ item, x })
    x += width + 20
  }
  return lines
}

function legend(lines: ReturnType<typeof legendLines>, top: number): string {
  const parts: string[] = []
  lines.forEach((line, i) => {
    const y = top + i * LEGEND_LINE
    for (const { item, x } of line) {
      parts.push(item.swatch(x, y))
      parts.push(text(item.label, { x: x + item.swatchWidth + 6, y: y + 4, 'font-size': SMALL_SIZE, fill: MUTED }))
    }
  })
  return el('g', { class: 'legend' }, parts.join(''))
}

/** The adjusted estimate's interval: a line with end caps, in ink (a shape no source row has). */
function whisker(x1: number, x2: number, y: number): string {
  const d = `M${round(x1)} ${round(y - 6)}V${round(y + 6)}M${round(x1)} ${round(y)}H${round(x2)}M${round(x2)} ${round(y - 6)}V${round(y + 6)}`
  return el('path', { class: 'adjusted-interval', d, fill: 'none', stroke: INK, 'stroke-width': 2 })
}

/** The adjusted estimate's value: a diamond. */
function diamond(x: number, y: number): string {
  const d = `M${round(x)} ${round(y - 7)}L${round(x + 7)} ${round(y)}L${round(x)} ${round(y + 7)}L${round(x - 7)} ${round(y)}Z`
  return el('path', { class: 'adjusted-value', d, fill: INK, stroke: '#ffffff', 'stroke-width': 1.5 })
}

function vagueStyle(hatch: string): Attrs {
  return { rx: 2, fill: `url(#${hatch})`, stroke: BLUE, 'stroke-width': 1.5, 'stroke-dasharray': '4 3' }
}

/** Where things go down the page; the same numbers give the height without drawing. */
interface Layout {
  titleLines: string[]
  subtitleLines: string[]
  creditLines: string[]
  footLines: string[]
  legend: ReturnType<typeof legendLines>
  subtitleY: number
  /** Empty chart: the top of the message box. Else the first legend line's centre. */
  legendY: number
  rowsTop: number
  rowsBottom: number
  axisY: number
  /** The footnote's first baseline (the credit's, in an empty chart). */
  footY: number
  creditY: number
  height: number
}

const EMPTY_BOX = 64

function layout(summary: FigureSummary | null, meta: ChartMeta): Layout {
  const id = meta.idPrefix ?? 'reckon-chart'
  const titleLines = wrapText(meta.title, TEXT_WIDTH, TITLE_SIZE, 2, true)
  const subtitleLines = wrapText(subtitleOf(summary, meta), TEXT_WIDTH, SUBTITLE_SIZE, 2)
  // The credit names every source: it wraps as far as it must and is never cut.
  const creditLines = creditOf(summary, meta).flatMap((part) => wrapText(part, TEXT_WIDTH, SMALL_SIZE, Number.POSITIVE_INFINITY))
  const subtitleY = 8 + 24 * titleLines.length + 23
  const headerBottom = subtitleY + 18 * (subtitleLines.length - 1)
  const creditHeight = 16 * (creditLines.length - 1)
  const n = summary?.claims.length ?? 0
  if (summary === null || n === 0) {
    const boxTop = headerBottom + 18
    const footY = boxTop + EMPTY_BOX + 26
    return {
      titleLines,
      subtitleLines,
      creditLines,
      footLines: [],
      legend: [],
      subtitleY,
      legendY: boxTop,
      rowsTop: boxTop,
      rowsBottom: boxTop,
      axisY: boxTop,
      footY,
      creditY: footY,
      height: footY + creditHeight + 14,
    }
  }
  const footLines = wrapText(footnoteOf(summary, meta), TEXT_WIDTH, FOOT_SIZE, Number.POSITIVE_INFINITY, true)
  const lines = legendLines(legendItems(summary, { arrow: `${id}-arrow`, hatch: `${id}-vague` }, meta.adjusted))
  const legendY = headerBottom + 24
  const legendBottom = legendY + LEGEND_LINE * (lines.length - 1)
  // Above the rows, a lane for the median's label when there is one.
  const rowsTop = legendBottom + (medianShown(meta, n) ? 46 : 28)
  const rowsBottom = rowsTop + (n + (meta.adjusted === undefined ? 0 : 1)) * ROW_HEIGHT
  // Below them, a lane for the agreement band's label (none for one source).
  const axisY = rowsBottom + (n > 1 ? 26 : 8)
  const footY = axisY + 44
  const creditY = footY + 18 * footLines.length
  return {
    titleLines,
    subtitleLines,
    creditLines,
    footLines,
    legend: lines,
    subtitleY,
    legendY,
    rowsTop,
    rowsBottom,
    axisY,
    footY,
    creditY,
    height: creditY + creditHeight + 14,
  }
}

/** The chart's size in px, for `<img width height>`, without drawing it (pass the same meta as to renderFigureChart). */
export function figureChartSize(summary: FigureSummary | null, meta: ChartMeta): { width: number; height: number } {
  return { width: CHART_WIDTH, height: layout(summary, meta).height }
}

function header(at: Layout): string {
  const parts = at.titleLines.map((line, i) =>
    text(line, { x: MARGIN, y: 32 + 24 * i, 'font-size': TITLE_SIZE, 'font-weight': 700, fill: INK }),
  )
  at.subtitleLines.forEach((line, i) =>
    parts.push(text(line, { class: 'date', x: MARGIN, y: at.subtitleY + 18 * i, 'font-size': SUBTITLE_SIZE, fill: MUTED })),
  )
  return parts.join('')
}

function credit(at: Layout): string {
  return at.creditLines
    .map((line, i) => text(line, { class: 'credit', x: MARGIN, y: at.creditY + 16 * i, 'font-size': SMALL_SIZE, fill: MUTED }))
    .join('')
}

/** Tick labels, every one that fits: when neighbours would touch, every second (then third…) tick is labelled. */
function axis(scale: Scale, top: number, y: number): string {
  const parts: string[] = []
  for (const tick of scale.ticks) {
    const x = scale.x(tick)
    parts.push(el('line', { class: 'grid', x1: x, y1: top, x2: x, y2: y, stroke: GRID, 'stroke-width': 1 }))
  }
  parts.push(el('line', { class: 'axis', x1: PLOT_LEFT, y1: y, x2: PLOT_RIGHT, y2: y, stroke: RULE, 'stroke-width': 1 }))
  const labelled = (every: number) =>
    scale.ticks.flatMap((tick, i) => {
      if (i % every !== 0) return []
      const label = formatNumber(tick)
      const width = textWidth(label, SMALL_SIZE)
      return [{ x: centredIn(scale.x(tick), width, MARGIN, CHART_WIDTH - 4), label, width }]
    })
  let every = 1
  let labels = labelled(every)
  const crowded = (ls: typeof labels) =>
    ls.some((l, i) => i > 0 && l.x - l.width / 2 < (ls[i - 1]?.x ?? 0) + (ls[i - 1]?.width ?? 0) / 2 + 2 * PAD)
  while (every < scale.ticks.length && crowded(labels)) labels = labelled(++every)
  for (const tick of scale.ticks) {
    const x = scale.x(tick)
    parts.push(el('line', { class: 'tick', x1: x, y1: y, x2: x, y2: y + 5, stroke: RULE, 'stroke-width': 1 }))
  }
  for (const l of labels) parts.push(text(l.label, { x: l.x, y: y + 19, 'font-size': SMALL_SIZE, fill: MUTED, 'text-anchor': 'middle' }))
  return parts.join('')
}

/**
 * A value label's words and centre: above its mark, kept clear of the median
 * line (`avoid`) and inside the plot; shorter words ("best" dropped, then
 * short numbers) when the full ones do not fit beside the line.
 */
function valueLabel(c: CountedFigureClaim, want: number, avoid: readonly number[]): { words: string; x: number } {
  const noBest: CountedFigureClaim = { ...c }
  delete noBest.best
  const options = isVague(c.qualifier)
    ? [`${c.qualifier} (vague)`, c.qualifier]
    : [statedFigure(c), statedFigure(noBest), statedFigure(c, true), statedFigure(noBest, true)]
  return placedWords(options, want, avoid)
}

/** The first of `options` (longest first) that fits near `want` clear of `avoid`, and where; else the last, as near as may be. */
function placedWords(options: readonly string[], want: number, avoid: readonly number[]): { words: string; x: number } {
  for (const words of options) {
    const x = placeBetween(want, textWidth(words, SMALL_SIZE, true), PLOT_LEFT, LABEL_RIGHT, avoid)
    if (x !== null) return { words, x }
  }
  // Nothing fits beside the line (it cannot happen with numbers up to 10^12): the shortest words, as near as may be.
  const words = options[options.length - 1] ?? ''
  return { words, x: centredIn(want, textWidth(words, SMALL_SIZE, true), PLOT_LEFT, LABEL_RIGHT) }
}

/** A row's value label, above its mark at `cy`. */
function valueText(label: { words: string; x: number }, cy: number): string {
  return text(label.words, {
    class: 'value',
    x: label.x,
    y: cy - 11,
    'font-size': SMALL_SIZE,
    'font-weight': 600,
    fill: INK,
    'text-anchor': 'middle',
    ...HALO,
  })
}

function row(c: CountedFigureClaim, top: number, scale: Scale, ids: { arrow: string; hatch: string }, avoid: readonly number[]): string {
  const cy = top + 29
  const parts: string[] = []
  const vague = isVague(c.qualifier)
  const stated = vague
    ? `${statedFigure(c)} (vague: ${formatNumber(c.interval.low)} to ${formatNumber(c.interval.high ?? c.interval.low)})`
    : statedFigure(c)
  parts.push(el('title', {}, escapeXml(`${c.source_name}: ${stated} (stated ${formatMoment(c.stated_at)})`)))
  // A faint guide from the name across the plot.
  parts.push(el('line', { class: 'guide', x1: PLOT_LEFT, y1: cy, x2: PLOT_RIGHT, y2: cy, stroke: GUIDE, 'stroke-width': 1 }))

  const nameLines = wrapText(c.source_name, LABEL_WIDTH, LABEL_SIZE, 2)
  const firstBaseline = nameLines.length === 1 ? cy + 4.5 : cy - 3.5
  nameLines.forEach((line, i) => {
    parts.push(text(line, { x: PLOT_LEFT - 14, y: firstBaseline + i * 16, 'font-size': LABEL_SIZE, fill: INK, 'text-anchor': 'end' }))
  })

  const x1 = scale.x(c.interval.low)
  const barStyle: Attrs = { fill: BLUE, 'fill-opacity': 0.3, stroke: BLUE, 'stroke-width': 1 }
  let want = scale.x(c.point)
  if (vague) {
    // A vague word stands for a range by convention (§2), not for its conventional point: the range only, hatched and dashed.
    const x2 = scale.x(c.interval.high ?? c.interval.low)
    parts.push(el('rect', { class: 'interval vague', x: x1, y: cy - 5, width: Math.max(x2 - x1, 2), height: 10, ...vagueStyle(ids.hatch) }))
    want = (x1 + x2) / 2
  } else if (c.interval.high === null) {
    const end = PLOT_RIGHT - ARROW
    parts.push(el('rect', { class: 'interval open', x: x1, y: cy - 5, width: Math.max(end - x1, 1), height: 10, rx: 2, ...barStyle }))
    parts.push(
      el('path', {
        class: 'open-end',
        d: `M${round(x1)} ${cy}H${round(end)}`,
        fill: 'none',
        stroke: 'none',
        'marker-end': `url(#${ids.arrow})`,
      }),
    )
  } else if (c.interval.high > c.interval.low) {
    const x2 = scale.x(c.interval.high)
    parts.push(el('rect', { class: 'interval', x: x1, y: cy - 5, width: Math.max(x2 - x1, 2), height: 10, rx: 2, ...barStyle }))
  }
  if (!vague) parts.push(el('circle', { class: 'point', cx: want, cy, r: 6, fill: BLUE, stroke: '#ffffff', 'stroke-width': 2 }))

  parts.push(valueText(valueLabel(c, want, avoid), cy))
  return el('g', { class: vague ? 'source vague' : 'source' }, parts.join(''))
}

/** The bias-aware estimate's row, under the sources': its name, its interval as a whisker, its value as a diamond, labelled. */
function adjustedRow(a: AdjustedMark, top: number, scale: Scale, avoid: readonly number[]): string {
  const cy = top + 29
  const parts: string[] = [el('title', {}, escapeXml(adjustedSentence(a)))]
  parts.push(el('line', { class: 'guide', x1: PLOT_LEFT, y1: cy, x2: PLOT_RIGHT, y2: cy, stroke: GUIDE, 'stroke-width': 1 }))
  const nameLines = ['Bias-adjusted', `estimate (${percent(a.level)})`]
  nameLines.forEach((line, i) => {
    parts.push(
      text(line, { x: PLOT_LEFT - 14, y: cy - 3.5 + i * 16, 'font-size': LABEL_SIZE, 'font-weight': 700, fill: INK, 'text-anchor': 'end' }),
    )
  })
  const x = scale.x(a.value)
  parts.push(whisker(scale.x(a.low), scale.x(a.high), cy), diamond(x, cy))
  parts.push(valueText(placedWords([adjustedFigure(a), adjustedFigure(a, true)], x, avoid), cy))
  return el('g', { class: 'adjusted' }, parts.join(''))
}

/** The numbers the axis must reach: every finite bound and point, with room for arrows to read as "and beyond". */
function axisReach(f: FigureSummary, adjusted: AdjustedMark | undefined): number {
  let finite = Math.max(f.points.max, f.range.low, f.agreement.low, f.agreement.high ?? 0, adjusted?.high ?? 0)
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
        el('rect', { class: 'background', width: CHART_WIDTH, height, fill: '#ffffff' }) +
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
  const ids = { arrow: `${id}-arrow`, hatch: `${id}-vague` }
  const title = chartTitle(meta)
  const desc = describeFigures(summary, meta)
  const at = layout(summary, meta)

  if (summary === null || summary.claims.length === 0) {
    const boxTop = at.legendY
    const message = `No figures for ${groupKey(meta)} as of ${asOfWords(meta)}.`
    const body =
      header(at) +
      el('rect', { x: MARGIN, y: boxTop, width: CHART_WIDTH - 2 * MARGIN, height: EMPTY_BOX, rx: 4, fill: '#f5f5f5', stroke: GRID }) +
      text(message, {
        class: 'empty',
        x: CHART_WIDTH / 2,
        y: boxTop + 37,
        'font-size': LABEL_SIZE + 1,
        fill: MUTED,
        'text-anchor': 'middle',
      }) +
      credit(at)
    return svgRoot(meta, at.height, title, desc, body)
  }

  const f = summary
  const n = f.claims.length
  const { legendY, rowsTop, rowsBottom, axisY, footY } = at
  const scale = linearScale(axisReach(f, meta.adjusted), PLOT_LEFT, PLOT_RIGHT)
  const parts: string[] = [header(at)]

  parts.push(
    el(
      'defs',
      {},
      el(
        'marker',
        {
          id: ids.arrow,
          viewBox: '0 0 12 14',
          refX: 0,
          refY: 7,
          markerWidth: ARROW,
          markerHeight: 14,
          markerUnits: 'userSpaceOnUse',
          orient: 'auto',
        },
        el('path', { d: 'M0 0L12 7L0 14Z', fill: BLUE }),
      ) +
        el(
          'pattern',
          { id: ids.hatch, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
          el('rect', { width: 6, height: 6, fill: BLUE, 'fill-opacity': 0.1 }) +
            el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: BLUE, 'stroke-width': 2.5 }),
        ),
    ),
  )
  parts.push(legend(at.legend, legendY))
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
    // Its label has a lane of its own below the rows, where no mark runs (the median line stops at the rows).
    parts.push(
      el(
        'g',
        { class: 'agreement', 'data-level': f.disagreement.level },
        el('rect', {
          class: 'band',
          x: bx1,
          y: rowsTop - 16,
          width: bx2 - bx1,
          height: axisY - rowsTop + 16,
          fill: GREEN,
          'fill-opacity': 0.22,
        }) +
          text(label, {
            class: 'band-label',
            x: centredIn((bx1 + bx2) / 2, textWidth(label, SMALL_SIZE, true), MARGIN, CHART_WIDTH - MARGIN),
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

  // The median: its line behind the marks, through the rows only; its label in the lane above them.
  const showMedian = medianShown(meta, n)
  const mx = scale.x(f.points.median)
  if (showMedian) {
    parts.push(
      el('line', {
        class: 'median',
        x1: mx,
        y1: rowsTop - 14,
        x2: mx,
        y2: rowsBottom,
        stroke: VERMILION,
        'stroke-width': 2,
        'stroke-dasharray': '6 4',
      }),
    )
  }
  const avoid = showMedian ? [mx] : []
  f.claims.forEach((c, i) => parts.push(row(c, rowsTop + i * ROW_HEIGHT, scale, ids, avoid)))
  if (meta.adjusted !== undefined) parts.push(adjustedRow(meta.adjusted, rowsTop + n * ROW_HEIGHT, scale, avoid))
  if (showMedian) {
    const label = medianLabel(f.points.median)
    parts.push(
      text(label, {
        class: 'median-label',
        x: centredIn(mx, textWidth(label, SMALL_SIZE, true), MARGIN, CHART_WIDTH - MARGIN),
        y: rowsTop - 20,
        'font-size': SMALL_SIZE,
        'font-weight': 700,
        fill: VERMILION_TEXT,
        'text-anchor': 'middle',
        ...HALO,
      }),
    )
  }

  at.footLines.forEach((line, i) =>
    parts.push(text(line, { class: 'footnote', x: MARGIN, y: footY + 18 * i, 'font-size': FOOT_SIZE, 'font-weight': 600, fill: INK })),
  )
  parts.push(credit(at))
  return svgRoot(meta, at.height, title, desc, parts.join(''))
}
