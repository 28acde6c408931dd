import fc from 'fast-check'
import t from 'tap'
import {
  type ChartMeta,
  agreementLabel,
  describeFigures,
  figureChartSize,
  groupHeading,
  isVague,
  renderFigureChart,
  sourceLabelsFor,
  sourcesCredit,
  statedFigure,
} from '../../src/charts/figure-chart.js'
import { linearScale, niceStep } from '../../src/charts/scale.js'
import { escapeXml, formatMoment, formatNumber, formatPartialDate, textWidth, wrapText } from '../../src/charts/text.js'
import { figureSummary } from '../../src/engine/figure-summary.js'
import { type CountedFigureClaim, type FigureSummary, QUALIFIERS, type Qualifier } from '../../src/engine/types.js'
import { day, figure } from '../engine/fixtures/claims.js'
import { collisions } from './layout-check.js'
import { type XmlElement, byName, findAll, parseXml } from './xml.js'
import { testSeed } from '../seed.js'

/** Contract §8, killed/all as of 2017-04-06. */
function khanShaykhun(): FigureSummary {
  return {
    metric: 'killed',
    population: 'all',
    party: null,
    sources: 2,
    range: { low: 58, high: null },
    points: { min: 58, max: 70, median: 64 },
    estimate: { value: 64, method: 'median' },
    consistent: false,
    common: null,
    agreement: { low: 58, high: 58, sources: 1, share: 0.5 },
    disagreement: { level: 'conflicting', spread: 12, ratio: 70 / 58, relative_spread: 0.1875 },
    claims: [
      claim({
        source_id: 'sohr',
        source_name: 'Syrian Observatory for Human Rights',
        qualifier: 'exact',
        value: 58,
        interval: { low: 58, high: 58 },
        point: 58,
      }),
      claim({
        source_id: 'who',
        source_name: 'World Health Organization',
        qualifier: 'at_least',
        value: 70,
        interval: { low: 70, high: null },
        point: 70,
      }),
    ],
  }
}

function claim(
  c: Partial<CountedFigureClaim> & Pick<CountedFigureClaim, 'source_id' | 'source_name' | 'qualifier' | 'interval' | 'point'>,
): CountedFigureClaim {
  return { claim_id: `claim-${c.source_id}`, via: [], stated_at: '2017-04-04T00:00:00.000Z', quote: null, url: null, ...c }
}

const META: ChartMeta = {
  title: 'Chemical attack on Khan Shaykhun',
  metric: 'killed',
  population: 'all',
  party: null,
  asOf: '2017-04-06T23:59:59.999Z',
}

/** Every piece of visible text, in document order. */
function texts(svg: XmlElement): string[] {
  return byName(svg, 'text').map((e) => e.text)
}

/** The one element of a list; anything else fails the test. */
function single(list: XmlElement[], what: string): XmlElement {
  const [only] = list
  if (only === undefined || list.length !== 1) throw new Error(`expected one ${what}, found ${list.length}`)
  return only
}

t.test('the §8 chart: well-formed SVG with title, desc, names, median, band and an arrow for the open interval', async (t) => {
  const source = renderFigureChart(khanShaykhun(), META)
  const svg = parseXml(source)
  t.equal(svg.name, 'svg')
  t.equal(svg.attrs.xmlns, 'http://www.w3.org/2000/svg')
  t.equal(svg.attrs.role, 'img')
  t.equal(svg.attrs.width, '720')
  t.equal(svg.attrs.viewBox, `0 0 720 ${svg.attrs.height}`)
  t.strictSame(
    figureChartSize(khanShaykhun(), META),
    { width: 720, height: Number(svg.attrs.height) },
    'figureChartSize tells the height without drawing',
  )

  // Accessible name and description.
  const [titleId, descId] = (svg.attrs['aria-labelledby'] ?? '').split(' ')
  const title = single(
    svg.children.filter((e) => e.name === 'title'),
    '<title> child of <svg>',
  )
  const desc = single(
    svg.children.filter((e) => e.name === 'desc'),
    '<desc> child of <svg>',
  )
  t.equal(title.attrs.id, titleId, 'aria-labelledby names the <title>')
  t.equal(desc.attrs.id, descId, '… and the <desc>')
  t.equal(title.text, 'Chemical attack on Khan Shaykhun: people killed, by source, as of 6 April 2017')
  t.equal(
    desc.text,
    "2 sources. Figures range from 58 to no upper bound; median of the sources' figures: 64. The figures conflict: no single number fits them all. " +
      'Shaded band: no two sources overlap; shaded: 58 (1 of 2). By source: Syrian Observatory for Human Rights, 58; World Health Organization, at least 70.',
  )

  const all = texts(svg)
  t.equal(all[0], 'Chemical attack on Khan Shaykhun', 'the heading is the event title')
  t.equal(all[1], 'People killed: figures from 2 sources, as of 6 April 2017')
  t.ok(all.includes("median of the sources' figures: 64"), 'the median is labelled as what it is')
  t.ok(all.includes('no two sources overlap; shaded: 58 (1 of 2)'), 'the agreement band is labelled, honestly: no two sources overlap')
  t.notOk(
    all.some((s) => /agree/.test(s)),
    'a conflicting group never says the sources agree',
  )
  t.ok(all.includes('58') && all.includes('at least 70'), 'each figure is labelled in the words of its qualifier')
  for (const tick of ['0', '20', '40', '60', '80', '100']) t.ok(all.includes(tick), `tick ${tick}`)
  t.ok(
    all.some((s) => s.startsWith('Conflicting: no single number fits every source · 2 sources · killed/all')),
    'footnote: level and sources',
  )

  // One row per counted source, named on the left (wrapped onto two lines when long), in the summary's order.
  const rows = findAll(svg, (e) => e.name === 'g' && e.attrs.class === 'source')
  t.equal(rows.length, 2)
  t.strictSame(
    rows.map((r) =>
      byName(r, 'text')
        .filter((e) => e.attrs['text-anchor'] === 'end')
        .map((e) => e.text)
        .join(' '),
    ),
    ['Syrian Observatory for Human Rights', 'World Health Organization'],
  )
  t.strictSame(
    rows.map((r) => r.children.find((e) => e.name === 'title')?.text),
    ['Syrian Observatory for Human Rights: 58 (stated 4 April 2017)', 'World Health Organization: at least 70 (stated 4 April 2017)'],
    'each row has a tooltip with the full name',
  )
  t.equal(byName(svg, 'circle').filter((c) => c.attrs.class === 'point').length, 2, 'a dot per source')

  // The open interval is a bar with an arrow marker running to the right edge.
  const marker = single(byName(svg, 'marker'), '<marker>')
  const arrows = findAll(svg, (e) => e.attrs.class === 'open-end')
  t.equal(arrows.length, 1, 'one arrow: WHO’s "at least 70"')
  t.equal(arrows[0]?.attrs['marker-end'], `url(#${marker.attrs.id})`)
  t.ok(rows[1] && findAll(rows[1], (e) => e.attrs.class === 'open-end').length === 1, 'in WHO’s row')
  const openBar = single(
    findAll(svg, (e) => e.attrs.class === 'interval open'),
    'open bar',
  )
  const axis = single(
    findAll(svg, (e) => e.attrs.class === 'axis'),
    'axis line',
  )
  const arrowEnd = Number((arrows[0]?.attrs.d ?? '').split('H')[1])
  t.equal(arrowEnd + 12, Number(axis.attrs.x2), 'the arrowhead ends at the right edge of the axis')
  t.ok(Number(openBar.attrs.x) > 0)

  // The band and the median sit behind the rows.
  t.equal(findAll(svg, (e) => e.attrs.class === 'agreement').length, 1)
  const median = single(
    findAll(svg, (e) => e.attrs.class === 'median'),
    'median line',
  )
  t.ok(median.attrs['stroke-dasharray'], 'dashed')
})

t.test('text is escaped: names, titles and quotes with <, & and >', async (t) => {
  const f = khanShaykhun()
  const [first, second] = f.claims
  if (!first || !second) throw new Error('fixture')
  first.source_name = 'Médecins <Sans> & "Frontières"'
  second.source_name = "O'Brien & Sons </text><script>alert(1)</script>"
  const meta = { ...META, title: 'Strike on <b>"Hospital"</b> & school' }
  const source = renderFigureChart(f, meta)
  t.notMatch(source, /<script|<b>|<Sans>/, 'no markup leaks through')
  t.match(source, /Médecins &lt;Sans&gt; &amp; &quot;Frontières&quot;/)
  const svg = parseXml(source)
  t.equal(texts(svg)[0], 'Strike on <b>"Hospital"</b> & school', 'decoded, the title is the title')
  t.match(byName(svg, 'desc')[0]?.text ?? '', /Médecins <Sans> & "Frontières", 58/)
  t.match(byName(svg, 'title')[0]?.text ?? '', /^Strike on <b>"Hospital"<\/b> & school:/)
  t.equal(byName(svg, 'script').length, 0)
})

t.test('control characters and lone surrogates cannot break the document', async (t) => {
  const f = khanShaykhun()
  const [first] = f.claims
  if (!first) throw new Error('fixture')
  first.source_name = 'Bad\u0000name\u0007 \uD800 here'
  const svg = parseXml(renderFigureChart(f, { ...META, title: 'Title\u001b' }))
  t.match(texts(svg)[0] ?? '', /^Title\uFFFD$/)
})

t.test('no counted claim: still a chart, saying so', async (t) => {
  for (const summary of [null, { ...khanShaykhun(), claims: [] }]) {
    const svg = parseXml(renderFigureChart(summary, { ...META, metric: 'injured' }))
    t.equal(svg.attrs.role, 'img')
    t.ok(texts(svg).includes('No figures for injured/all as of 6 April 2017.'))
    t.equal(byName(svg, 'desc')[0]?.text, 'No figures for injured/all as of 6 April 2017.')
    t.equal(byName(svg, 'title')[0]?.text, 'Chemical attack on Khan Shaykhun: people injured, by source, as of 6 April 2017')
    t.equal(byName(svg, 'marker').length, 0)
    t.equal(findAll(svg, (e) => e.attrs.class === 'source').length, 0)
    t.strictSame(collisions(svg), [], 'nothing crosses in the empty chart either')
  }
  t.equal(figureChartSize(null, META).width, 720)
})

t.test('one source: no band, no median line; the description says there is one', async (t) => {
  const f: FigureSummary = {
    ...khanShaykhun(),
    sources: 1,
    range: { low: 200, high: 999 },
    points: { min: 200, max: 200, median: 200 },
    agreement: { low: 200, high: 999, sources: 1, share: 1 },
    disagreement: { level: 'single_source', spread: 0, ratio: 1, relative_spread: 0 },
    metric: 'affected',
    claims: [
      claim({
        source_id: 'who',
        source_name: 'World Health Organization',
        qualifier: 'hundreds',
        interval: { low: 200, high: 999 },
        point: 200,
      }),
    ],
  }
  const svg = parseXml(renderFigureChart(f, { ...META, metric: 'affected' }))
  t.equal(findAll(svg, (e) => e.attrs.class === 'agreement' || e.attrs.class === 'median').length, 0)
  t.ok(texts(svg).includes('hundreds (vague)'))
  t.ok(texts(svg).some((s) => s.startsWith('Single source')))
  t.equal(
    byName(svg, 'desc')[0]?.text,
    '1 source. World Health Organization gives hundreds (vague: 200 to 999). Only one source gives a figure. ' +
      'Vague words are drawn as the range they stand for, without a figure.',
  )
  t.ok(texts(svg).includes('1,000'), 'ticks have thousands separators')
})

t.test('large numbers, many sources, a party: separators, round ticks, every row', async (t) => {
  const claims = [
    claim({ source_id: 'a', source_name: 'A', qualifier: 'at_least', value: 1348, interval: { low: 1348, high: null }, point: 1348 }),
    claim({ source_id: 'b', source_name: 'B', qualifier: 'fewer_than', value: 3000, interval: { low: 0, high: 2999 }, point: 2999 }),
    claim({
      source_id: 'c',
      source_name: 'C',
      qualifier: 'range',
      low: 20000,
      high: 22000,
      best: 21000,
      interval: { low: 20000, high: 22000 },
      point: 21000,
    }),
    claim({
      source_id: 'd',
      source_name: 'D',
      qualifier: 'approximately',
      value: 25000,
      interval: { low: 22500, high: 27500 },
      point: 25000,
    }),
  ]
  const f: FigureSummary = {
    ...khanShaykhun(),
    metric: 'killed',
    population: 'combatants',
    party: 'russian-forces',
    sources: 4,
    range: { low: 0, high: null },
    points: { min: 1348, max: 25000, median: 11999.5 },
    agreement: { low: 22500, high: 22000, sources: 2, share: 0.5 },
    claims,
  }
  f.agreement = { low: 20000, high: 22000, sources: 2, share: 0.5 }
  const meta = { ...META, population: 'combatants' as const, party: 'russian-forces', partyName: 'Russian armed forces' }
  const svg = parseXml(renderFigureChart(f, meta))
  const all = texts(svg)
  t.equal(all[1], 'Combatants killed (Russian armed forces): figures from 4 sources, as of 6 April 2017')
  t.ok(all.includes("median of the sources' figures: 11,999.5"))
  t.ok(
    all.includes('20,000–22,000, best 21,000') &&
      all.includes('about 25,000') &&
      all.includes('fewer than 3,000') &&
      all.includes('at least 1,348'),
  )
  t.ok(all.includes('where the most sources overlap: 20,000–22,000 (2 of 4)'))
  const ticks = all.filter((s) => /^[\d,]+$/.test(s) && !['A', 'B'].includes(s))
  t.ok(ticks.includes('35,000') || ticks.includes('40,000'), `the axis reaches past the last figure: ${ticks.join(' ')}`)
  t.equal(findAll(svg, (e) => e.attrs.class === 'source').length, 4)
  t.ok(all.some((s) => s.includes('killed/combatants/russian-forces')))
})

t.test('the same input draws the same chart; idPrefix keeps ids apart', async (t) => {
  t.equal(renderFigureChart(khanShaykhun(), META), renderFigureChart(khanShaykhun(), META))
  const svg = parseXml(renderFigureChart(khanShaykhun(), { ...META, idPrefix: 'ks' }))
  t.equal(svg.attrs['aria-labelledby'], 'ks-title ks-desc')
  t.equal(byName(svg, 'marker')[0]?.attrs.id, 'ks-arrow')
})

t.test('words for figures and groups', async (t) => {
  const base = { source_id: 's', source_name: 'S', interval: { low: 0, high: 0 }, point: 0 }
  t.equal(statedFigure(claim({ ...base, qualifier: 'more_than', value: 70 })), 'more than 70')
  t.equal(statedFigure(claim({ ...base, qualifier: 'at_most', value: 40 })), 'up to 40')
  t.equal(statedFigure(claim({ ...base, qualifier: 'range', low: 58, high: 86 })), '58–86')
  t.equal(statedFigure(claim({ ...base, qualifier: 'dozens' })), 'dozens')
  t.equal(
    statedFigure(claim({ ...base, qualifier: 'range', low: 1_250_000, high: 2_000_000, best: 1_500_000 }), true),
    '1.3M–2M, best 1.5M',
    'short numbers for a crowded label',
  )
  t.equal(groupHeading({ metric: 'casualties', population: 'all', party: null }), 'Casualties (killed and injured)')
  t.equal(groupHeading({ metric: 'casualties', population: 'children', party: null }), 'Casualties among children (killed and injured)')
  t.equal(groupHeading({ metric: 'displaced', population: 'medical_workers', party: 'x' }), 'Medical workers displaced (x)')
  const f = khanShaykhun()
  const level = (l: FigureSummary['disagreement']['level']) => ({ ...f.disagreement, level: l })
  t.equal(
    agreementLabel({ ...f, disagreement: level('agreement'), agreement: { low: 70, high: null, sources: 2, share: 1 } }),
    'all sources agree: 70 or more',
  )
  t.equal(
    agreementLabel({ ...f, disagreement: level('compatible'), agreement: { low: 58, high: 60, sources: 2, share: 1 } }),
    'every figure fits here: 58–60',
  )
  t.equal(
    agreementLabel({ ...f, sources: 3, agreement: { low: 58, high: 60, sources: 2, share: 2 / 3 } }),
    'where most sources overlap: 58–60 (2 of 3)',
  )
  t.equal(
    agreementLabel({ ...f, sources: 4, agreement: { low: 58, high: 60, sources: 2, share: 0.5 } }),
    'where the most sources overlap: 58–60 (2 of 4)',
  )
  t.equal(agreementLabel(f), 'no two sources overlap; shaded: 58 (1 of 2)')
  t.equal(
    describeFigures({ ...f, range: { low: 58, high: 58 }, disagreement: level('agreement') }, META).split('. ')[1],
    "Every figure allows only 58; median of the sources' figures: 64",
  )
})

t.test('text helpers', async (t) => {
  t.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  t.equal(escapeXml('emoji 🙂 stays'), 'emoji 🙂 stays')
  t.equal(formatNumber(1234567), '1,234,567')
  t.equal(formatNumber(64.5), '64.5')
  t.equal(formatMoment('2017-04-06T23:59:59.999Z'), '6 April 2017')
  t.equal(formatMoment('2017-04-04T00:00:00.000Z'), '4 April 2017')
  t.equal(formatMoment('2022-05-01T12:30:00.000Z'), '1 May 2022, 12:30 UTC')
  t.equal(formatPartialDate('2017-04-04'), '4 April 2017')
  t.equal(formatPartialDate('2022-03'), 'March 2022')
  t.equal(formatPartialDate('2020'), '2020')
  t.strictSame(wrapText('Syrian Observatory for Human Rights', 176, 13, 2), ['Syrian Observatory for', 'Human Rights'])
  t.strictSame(wrapText('short', 176, 13, 2), ['short'])
  const long = wrapText('UN Human Rights Monitoring Mission in Ukraine (HRMMU)', 176, 13, 2)
  t.equal(long.length, 2)
  t.match(long[1] ?? '', /…$/, 'what does not fit ends in an ellipsis')
  t.match(wrapText('Supercalifragilisticexpialidocious-and-more-and-more', 100, 13, 1)[0] ?? '', /…$/, 'one long word is cut')
})

t.test('round ticks from zero that reach every figure', async (t) => {
  t.strictSame(linearScale(84, 0, 100).ticks, [0, 20, 40, 60, 80, 100])
  t.strictSame(linearScale(1039, 0, 100).ticks, [0, 200, 400, 600, 800, 1000, 1200])
  t.strictSame(linearScale(0, 0, 100).ticks, [0, 1, 2, 3, 4, 5], 'a zero still gets an axis')
  for (const n of [1, 7, 13, 99, 101, 999, 1001, 12_345, 98_765, 1_234_567, 3_000_000]) {
    const scale = linearScale(n, 0, 500)
    t.ok(scale.max >= n && scale.ticks.length >= 4 && scale.ticks.length <= 9, `${n}: ${scale.ticks.join(',')}`)
    t.ok(
      scale.ticks.every((v) => Number.isInteger(v)),
      'whole numbers',
    )
    t.equal(scale.x(0), 0)
    t.equal(scale.x(scale.max), 500)
  }
  t.equal(niceStep(84), 20)
})

// ---- issue #12: charts a graphics editor would publish ----

interface Said {
  source: string
  name?: string
  via?: string[]
  qualifier: Qualifier
  value?: number
  low?: number
  high?: number
  best?: number
}

/** A group's summary as the engine computes it (§4) from what each source said. */
function summaryOf(said: Said[]): FigureSummary {
  const claims = said.map((s, i) =>
    figure({
      id: `c${String(i).padStart(3, '0')}`,
      source_id: s.source,
      via: s.via ?? [],
      stated_at: day('2017-04-04'),
      qualifier: s.qualifier,
      value: s.value ?? null,
      low: s.low ?? null,
      high: s.high ?? null,
      best: s.best ?? null,
    }),
  )
  const sources = new Map(said.map((s) => [s.source, { id: s.source, name: s.name ?? s.source, affiliated_actor_id: null }]))
  return figureSummary({ metric: 'killed', population: 'all', party: null, claims }, { sources, actors: new Map() })
}

function byClass(svg: XmlElement, cls: string): XmlElement[] {
  return findAll(svg, (e) => (e.attrs.class ?? '').split(' ').includes(cls))
}

t.test('vague words: the range only, hatched and dashed, no dot, labelled "(vague)"; open intervals keep their arrow', async (t) => {
  const f = summaryOf([
    { source: 'sohr', name: 'SOHR', qualifier: 'exact', value: 300 },
    { source: 'who', name: 'WHO', qualifier: 'hundreds' },
    { source: 'msf', name: 'MSF', qualifier: 'at_least', value: 250 },
  ])
  const svg = parseXml(renderFigureChart(f, META))
  const rows = byClass(svg, 'source')
  t.strictSame(
    rows.map((r) => r.attrs.class),
    ['source vague', 'source', 'source'],
    'WHO’s "hundreds" (point 200) comes first',
  )
  const [vagueRow] = rows
  if (vagueRow === undefined) throw new Error('no rows')
  t.equal(byName(vagueRow, 'circle').length, 0, 'no dot at the conventional 200')
  const bar = single(byClass(vagueRow, 'interval'), 'vague bar')
  t.equal(bar.attrs.class, 'interval vague')
  t.equal(bar.attrs.fill, 'url(#reckon-chart-vague)', 'hatched')
  t.equal(bar.attrs['stroke-dasharray'], '4 3', 'dashed')
  t.equal(single(byName(svg, 'pattern'), '<pattern>').attrs.id, 'reckon-chart-vague')
  t.strictSame(
    byClass(vagueRow, 'value').map((e) => e.text),
    ['hundreds (vague)'],
  )
  t.equal(vagueRow.children.find((e) => e.name === 'title')?.text, 'WHO: hundreds (vague: 200 to 999) (stated 4 April 2017)')
  t.equal(byClass(svg, 'point').length, 2, 'a dot for each source that gave a number')
  t.equal(byClass(svg, 'open-end').length, 1, 'MSF’s "at least 250" keeps its arrow')
  t.strictSame(
    byName(single(byClass(svg, 'legend'), 'legend'), 'text').map((e) => e.text),
    [
      'the figure a source gives',
      'the numbers its words allow',
      'no upper bound',
      'vague words ("hundreds"): the range they stand for, no figure',
    ],
  )
  t.match(
    byName(svg, 'desc')[0]?.text ?? '',
    /WHO, hundreds \(vague: 200 to 999\);.*Vague words are drawn as the range they stand for, without a figure\.$/,
  )
  t.strictSame(collisions(svg), [])
})

t.test('the band says what the level says: agreement, compatible, conflicting (majority, plurality, none)', async (t) => {
  const cases: Array<[Said[], string, string]> = [
    [
      [
        { source: 'a', qualifier: 'exact', value: 50 },
        { source: 'b', qualifier: 'approximately', value: 50 },
      ],
      'agreement',
      'all sources agree: 50',
    ],
    [
      [
        { source: 'a', qualifier: 'approximately', value: 60 },
        { source: 'b', qualifier: 'exact', value: 58 },
      ],
      'compatible',
      'every figure fits here: 58',
    ],
    [
      [
        { source: 'a', qualifier: 'exact', value: 10 },
        { source: 'b', qualifier: 'exact', value: 10 },
        { source: 'c', qualifier: 'exact', value: 20 },
      ],
      'conflicting',
      'where most sources overlap: 10 (2 of 3)',
    ],
    [
      [
        { source: 'a', qualifier: 'exact', value: 10 },
        { source: 'b', qualifier: 'exact', value: 10 },
        { source: 'c', qualifier: 'exact', value: 20 },
        { source: 'd', qualifier: 'exact', value: 30 },
      ],
      'conflicting',
      'where the most sources overlap: 10 (2 of 4)',
    ],
    [
      [
        { source: 'a', qualifier: 'exact', value: 58 },
        { source: 'b', qualifier: 'at_least', value: 70 },
      ],
      'conflicting',
      'no two sources overlap; shaded: 58 (1 of 2)',
    ],
  ]
  for (const [said, level, label] of cases) {
    const f = summaryOf(said)
    t.equal(f.disagreement.level, level, `${label}: the engine's level`)
    const svg = parseXml(renderFigureChart(f, META))
    const band = single(byClass(svg, 'agreement'), 'band')
    t.equal(band.attrs['data-level'], level)
    t.strictSame(
      byClass(band, 'band-label').map((e) => e.text),
      [label],
    )
    t.match(byName(svg, 'desc')[0]?.text ?? '', `Shaded band: ${label}.`)
    if (level !== 'agreement')
      t.notOk(
        texts(svg).some((s) => s.includes('all sources agree')),
        `${level}: never "all sources agree"`,
      )
    t.strictSame(collisions(svg), [], label)
  }
})

t.test('the median: labelled as the median of the sources’ figures; median: false leaves it out', async (t) => {
  const f = khanShaykhun()
  const shown = parseXml(renderFigureChart(f, META))
  t.strictSame(
    byClass(shown, 'median-label').map((e) => e.text),
    ["median of the sources' figures: 64"],
  )
  t.equal(byClass(shown, 'median').length, 1)
  const hidden = parseXml(renderFigureChart(f, { ...META, median: false }))
  t.equal(byClass(hidden, 'median').length + byClass(hidden, 'median-label').length, 0, 'no line, no label')
  t.notOk(texts(hidden).some((s) => s.includes('median')))
  t.equal(
    byName(hidden, 'desc')[0]?.text,
    '2 sources. Figures range from 58 to no upper bound. The figures conflict: no single number fits them all. ' +
      'Shaded band: no two sources overlap; shaded: 58 (1 of 2). By source: Syrian Observatory for Human Rights, 58; World Health Organization, at least 70.',
  )
  t.equal(Number(hidden.attrs.height), Number(shown.attrs.height) - 18, 'the median’s lane goes with it')
  t.strictSame(figureChartSize(f, { ...META, median: false }), { width: 720, height: Number(hidden.attrs.height) })
  t.equal(byClass(hidden, 'agreement').length, 1, 'the band stays')
  t.strictSame(collisions(hidden), [])
})

t.test('the credit names the sources and their relays, short names first; it wraps, never overflows', async (t) => {
  const f = khanShaykhun()
  const [sohr, who] = f.claims
  if (!sohr || !who) throw new Error('fixture')
  sohr.via = ['reuters', 'tass']
  who.via = ['tass']
  const credit = (svg: XmlElement) => byClass(svg, 'credit').map((e) => e.text)
  const labels = { sohr: 'SOHR', who: 'WHO', reuters: 'Reuters', tass: 'TASS' }
  t.strictSame(credit(parseXml(renderFigureChart(f, { ...META, sourceLabels: labels }))), [
    'Sources: SOHR via Reuters, TASS; WHO via TASS.',
    'Each source counts once: its latest claim stated by 6 April 2017. Chart: Reckon.',
  ])
  t.equal(
    sourcesCredit(f.claims),
    'Syrian Observatory for Human Rights via reuters, tass; World Health Organization via tass',
    'without labels: names and ids',
  )
  t.equal(sourcesCredit([sohr]), 'Syrian Observatory for Human Rights via reuters, tass')
  const directory: Record<string, { name: string; aliases: string[] }> = {
    sohr: { name: 'Syrian Observatory for Human Rights', aliases: ['SOHR', 'Observatory'] },
    who: { name: 'World Health Organization', aliases: ['WHO'] },
    tass: { name: 'TASS', aliases: [] },
  }
  t.strictSame(
    sourceLabelsFor(f.claims, (id) => directory[id] ?? null),
    { sohr: 'SOHR', tass: 'TASS', who: 'WHO' },
    'first alias, else name; an unknown relay is left out',
  )

  const many = summaryOf(
    Array.from({ length: 30 }, (_, i) => ({
      source: `s${i}`,
      name: `The Independent Commission of Inquiry on Casualties Number ${i}`,
      via: ['a-very-long-relay-agency-name', 'another-relay'],
      qualifier: 'exact' as const,
      value: 100 + i,
    })),
  )
  const svg = parseXml(renderFigureChart(many, META))
  const lines = credit(svg)
  t.ok(lines.length > 5, `wrapped onto ${lines.length} lines`)
  t.equal(
    lines.join(' '),
    `Sources: ${sourcesCredit(many.claims)}. Each source counts once: its latest claim stated by 6 April 2017. Chart: Reckon.`,
    'nothing cut',
  )
  t.strictSame(
    lines.filter((l) => textWidth(l, 12) > 680),
    [],
    'every line fits the width',
  )
  t.strictSame(collisions(svg), [])
})

t.test('the date line is the data’s as_of; "now" is the request’s date', async (t) => {
  const f = khanShaykhun()
  const at = '2026-12-04T04:12:47.123Z'
  const now = parseXml(renderFigureChart(f, { ...META, asOf: at, asOfNow: true }))
  t.equal(byClass(now, 'date')[0]?.text, 'People killed: figures from 2 sources, as of 4 December 2026')
  t.match(
    byClass(now, 'credit')
      .map((e) => e.text)
      .join(' '),
    /stated by 4 December 2026\. Chart: Reckon\.$/,
  )
  t.equal(byName(now, 'title')[0]?.text, 'Chemical attack on Khan Shaykhun: people killed, by source, as of 4 December 2026')
  const asked = parseXml(renderFigureChart(f, { ...META, asOf: at }))
  t.equal(
    byClass(asked, 'date')[0]?.text,
    'People killed: figures from 2 sources, as of 4 December 2026, 04:12 UTC',
    'an asked-for moment keeps its time',
  )
})

/** Charts built to push labels into marks. */
function adversarial(): Array<[string, FigureSummary]> {
  const longName = 'United Nations Human Rights Monitoring Mission in Ukraine and Partners (HRMMU)'
  return [
    ['§8', khanShaykhun()],
    [
      'many sources, long names',
      summaryOf(
        Array.from({ length: 14 }, (_, i) => ({
          source: `src-${i}`,
          name: `${longName} ${i}`,
          qualifier: 'approximately' as const,
          value: 40 + 7 * i,
        })),
      ),
    ],
    [
      'values at the axis ends',
      summaryOf([
        { source: 'zero', qualifier: 'exact', value: 0 },
        { source: 'zero2', qualifier: 'at_most', value: 0 },
        { source: 'top', qualifier: 'range', low: 900, high: 1000, best: 1000 },
        { source: 'open', qualifier: 'more_than', value: 1000 },
      ]),
    ],
    [
      'a median on a point',
      summaryOf([
        { source: 'a', qualifier: 'exact', value: 10 },
        { source: 'b', qualifier: 'range', low: 40, high: 60, best: 50 },
        { source: 'c', qualifier: 'exact', value: 90 },
      ]),
    ],
    ['all sources equal', summaryOf(['a', 'b', 'c', 'd', 'e'].map((s) => ({ source: s, qualifier: 'exact' as const, value: 1234 })))],
    [
      'huge numbers beside the median',
      summaryOf([
        { source: 'a', qualifier: 'range', low: 123_456_789_012, high: 987_654_321_098, best: 555_555_555_555 },
        { source: 'b', qualifier: 'range', low: 111_111_111_111, high: 999_999_999_999, best: 555_555_555_555 },
        { source: 'c', qualifier: 'at_least', value: 1_000_000_000_000 },
      ]),
    ],
    [
      'vague words only',
      summaryOf([
        { source: 'a', qualifier: 'dozens' },
        { source: 'b', qualifier: 'hundreds' },
        { source: 'c', qualifier: 'thousands' },
      ]),
    ],
  ]
}

t.test('labels never cross marks or each other: the §8 chart and adversarial ones, with and without the median', async (t) => {
  for (const [what, f] of adversarial()) {
    for (const median of [true, false]) {
      const svg = parseXml(renderFigureChart(f, { ...META, median, title: `${what}: ${'a long title '.repeat(8)}` }))
      t.strictSame(collisions(svg), [], `${what}${median ? '' : ', no median'}`)
      t.equal(Number(svg.attrs.height), figureChartSize(f, { ...META, median, title: `${what}: ${'a long title '.repeat(8)}` }).height)
    }
  }
  const huge = parseXml(renderFigureChart(adversarial()[5]?.[1] ?? khanShaykhun(), META))
  t.strictSame(
    byClass(huge, 'value').map((e) => e.text),
    ['123,456,789,012–987,654,321,098', '111,111,111,111–999,999,999,999', 'at least 1,000,000,000,000'],
    'a range too long to sit beside the median drops its best figure (the dot shows it)',
  )
})

t.test('the collision check is not vacuous: a label put on a dot, or over another, is found', async (t) => {
  const source = renderFigureChart(khanShaykhun(), META)
  const dot = byClass(parseXml(source), 'point')[0]?.attrs ?? {}
  const planted = source.replace(
    '</svg>',
    `<text x="${dot.cx}" y="${dot.cy}" font-size="12">58</text><text x="20" y="32" font-size="19">x</text></svg>`,
  )
  const found = collisions(parseXml(planted))
  t.ok(
    found.some((s) => s.startsWith('text "58"') && s.includes('crosses circle.point')),
    'on the dot',
  )
  t.ok(
    found.some((s) => s.startsWith('text "Chemical attack on Khan Shaykhun"') && s.includes('meets text "x"')),
    'over the title',
  )
})

t.test('random groups (seeded): no label crosses a mark or another label', async (t) => {
  const qualifier = fc.constantFrom(...QUALIFIERS)
  const said = fc.record({
    name: fc.string({ minLength: 1, maxLength: 90 }),
    qualifier,
    value: fc.oneof(
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.integer({ min: 1, max: 1_000_000_000_000 }),
    ),
    width: fc.integer({ min: 0, max: 500 }),
  })
  fc.assert(
    fc.property(fc.array(said, { minLength: 1, maxLength: 12 }), fc.boolean(), (list, median) => {
      const f = summaryOf(
        list.map((s, i) => {
          const base = { source: `s${i}`, name: s.name, qualifier: s.qualifier }
          if (isVague(s.qualifier)) return base
          if (s.qualifier === 'range') return { ...base, low: s.value, high: s.value + s.width }
          return { ...base, value: s.value }
        }),
      )
      const svg = parseXml(renderFigureChart(f, { ...META, median }))
      const found = collisions(svg)
      if (found.length > 0) throw new Error(found.join('\n'))
    }),
    { seed: testSeed(), numRuns: 150 },
  )
  t.pass('150 random charts')
})

t.test('the legend names the vague words the chart holds', async (t) => {
  const f = summaryOf([
    { source: 'a', qualifier: 'thousands' },
    { source: 'b', qualifier: 'dozens' },
    { source: 'c', qualifier: 'thousands' },
  ])
  const legend = single(byClass(parseXml(renderFigureChart(f, META)), 'legend'), 'legend')
  t.strictSame(
    byName(legend, 'text').map((e) => e.text),
    ['vague words ("dozens", "thousands"): the range they stand for, no figure'],
    'no dot, no plain bar: only the hatching',
  )
})
