/**
 * GET /: a small HTML page for people who arrive at the service in a browser:
 * what Reckon is, a text box that drafts claims from an article (its one
 * script, drafts-page.ts, from this origin), the most disputed events with
 * their charts, and where the data and the API description are. No inline
 * script, no external asset.
 */
import type { FastifyInstance } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type ChartMeta, chartTitle, describeFigures, figureChartSize, groupKey, sourceLabelsFor } from '../charts/figure-chart.js'
import { escapeXml as esc, formatPartialDate } from '../charts/text.js'
import { byDispute } from '../engine/dispute.js'
import type { DisagreementLevel, FigureSummary } from '../engine/types.js'
import { nowIso } from '../lib/time.js'
import type { EventSummaryOut } from '../schemas/summary.js'
import { DRAFTS_STYLE, draftsSection } from './drafts-page.js'

/** How many events the page lists. */
export const LANDING_EVENTS = 10
/** How many events with figures are summarised to find them (the ones with the most claims). */
const CANDIDATES = 200

const LEVEL_WORDS: Record<DisagreementLevel, string> = {
  conflicting: 'conflicting',
  compatible: 'compatible',
  agreement: 'agreement',
  single_source: 'single source',
}

export interface Disputed {
  summary: EventSummaryOut
  /** The group whose chart is shown: killed/all when the event has it, else its most disputed group. */
  shown: FigureSummary
  /** The most disputed group: the highest level, then the highest relative spread. */
  top: FigureSummary
}

/**
 * The most disputed events as of `asOf`, re-ranked on their summaries as of
 * then: by the level of their most disputed group, its relative spread, and
 * the number of claims.
 *
 * The candidates come from `event_disputes` (migration 0004: each event's
 * dispute block, kept current by every write), read down its rank index, a
 * few more than needed. When that table ranks fewer events than asked for
 * (a database whose blocks are not kept, or one with few events), they are
 * the events with a figure claim, the CANDIDATES with the most claims.
 */
function createMostDisputed(app: FastifyInstance) {
  const ranked = `SELECT event_id FROM event_disputes WHERE level_rank >= 0
       ORDER BY level_rank DESC, relative_spread DESC, event_id DESC LIMIT @limit`
  const withFigures = `SELECT e.id FROM events AS e
       WHERE EXISTS (SELECT 1 FROM claims AS c WHERE c.event_id = e.id AND c.kind = 'figure' AND c.stated_at <= @asOf
         AND NOT EXISTS (SELECT 1 FROM retractions AS r WHERE r.claim_id = c.id))
       ORDER BY (SELECT COUNT(*) FROM claims AS c WHERE c.event_id = e.id) DESC, e.id
       LIMIT @limit`
  return async (asOf: string, limit: number): Promise<Disputed[]> => {
    const top = await app.sql.values<string>(ranked, { limit: limit + 10 })
    const candidates = top.length >= limit ? top : await app.sql.values<string>(withFigures, { asOf, limit: CANDIDATES })
    return mostDisputed(app, candidates, limit)
  }
}

async function mostDisputed(app: FastifyInstance, candidates: string[], limit: number): Promise<Disputed[]> {
  const found: Disputed[] = []
  for (const id of candidates) {
    const summary = await app.summaryService.summarize(id) // as of now, as asOf is: the cached "now" summary
    const [top] = [...summary.figures].sort(byDispute)
    if (top === undefined) continue
    const killed = summary.figures.find((f) => f.metric === 'killed' && f.population === 'all' && f.party === null)
    found.push({ summary, top, shown: killed ?? top })
  }
  found.sort(
    (a, b) =>
      byDispute(a.top, b.top) || b.summary.claims_total - a.summary.claims_total || (a.summary.event.id < b.summary.event.id ? -1 : 1),
  )
  return found.slice(0, limit)
}

function chartUrl(id: string, f: FigureSummary): string {
  const params = new URLSearchParams()
  if (f.metric !== 'killed') params.set('metric', f.metric)
  if (f.population !== 'all') params.set('population', f.population)
  if (f.party !== null) params.set('party', f.party)
  const query = params.toString()
  return `/events/${encodeURIComponent(id)}/chart.svg${query === '' ? '' : `?${query}`}`
}

function place(location: Record<string, string | number>): string {
  return ['place', 'admin1', 'country']
    .map((k) => location[k])
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .join(', ')
}

/** What the page needs to name a party and a source as the chart route does. */
export interface Names {
  party: (id: string) => string | null
  source: (id: string) => { name: string; aliases: readonly string[] } | null
}

/** The chart's meta exactly as GET /events/{id}/chart.svg (no as_of) builds it, so the <img> size and alt text match the image. */
function chartMeta(d: Disputed, names: Names): ChartMeta {
  return {
    title: d.summary.event.title,
    metric: d.shown.metric,
    population: d.shown.population,
    party: d.shown.party,
    partyName: d.shown.party === null ? null : names.party(d.shown.party),
    asOf: d.summary.as_of,
    asOfNow: true,
    sourceLabels: sourceLabelsFor(d.shown.claims, names.source),
  }
}

/** The chart of the group an event shows, as an <img> with its description as the alternative text. */
function chartImage(d: Disputed, meta: ChartMeta): string {
  const size = figureChartSize(d.shown, meta)
  const alt = `${chartTitle(meta)}. ${describeFigures(d.shown, meta)}`
  return `<img src="${esc(chartUrl(d.summary.event.id, d.shown))}" alt="${esc(alt)}" width="${size.width}" height="${size.height}"`
}

function eventItem(d: Disputed, names: Names): string {
  const { event } = d.summary
  const id = encodeURIComponent(event.id)
  const level = d.top.disagreement.level
  const meta = chartMeta(d, names)
  const where = place(event.location)
  const facts = [
    `<time datetime="${esc(event.occurred_on)}">${esc(formatPartialDate(event.occurred_on))}</time>`,
    ...(where === '' ? [] : [esc(where)]),
    `<span class="level level-${level}">${esc(LEVEL_WORDS[level])}</span>${d.top === d.shown ? '' : ` <span class="group">(${esc(groupKey(d.top))})</span>`}`,
    `${d.summary.claims_total} ${d.summary.claims_total === 1 ? 'claim' : 'claims'}`,
  ]
  return `<li class="event">
<h3>${esc(event.title)}</h3>
<p class="facts">${facts.join(' <span aria-hidden="true">·</span> ')}</p>
<figure>${chartImage(d, meta)} loading="lazy"></figure>
<p class="links"><a href="/events/${id}/summary">Summary (JSON)</a> <a href="/events/${id}/summary?format=csv">Summary (CSV)</a> <a href="/events/${id}/claims">Claims</a> <a href="${esc(chartUrl(event.id, d.shown))}">Chart (SVG)</a></p>
</li>`
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: #1a1a1a; background: #fafafa; }
header, main, footer { max-width: 780px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 40px; padding-bottom: 16px; }
h1 { font-size: 2.25rem; margin: 0 0 8px; letter-spacing: -0.01em; }
h2 { font-size: 1.375rem; margin: 0 0 4px; }
.note { color: #4d4d4d; margin: 0 0 20px; }
ol.events { list-style: none; margin: 0; padding: 0; }
li.event { background: #fff; border: 1px solid #e0e0e0; border-radius: 6px; padding: 20px; margin: 0 0 24px; }
li.event h3 { font-size: 1.25rem; margin: 0 0 4px; }
.facts { color: #4d4d4d; margin: 0 0 12px; }
.level { display: inline-block; padding: 0 8px; border-radius: 999px; font-weight: 600; font-size: 0.875rem; border: 1px solid; }
.level-conflicting { color: #8f3600; background: #fbe9df; border-color: #d55e00; }
.level-compatible { color: #6b4a00; background: #fdf3dc; border-color: #e69f00; }
.level-agreement { color: #00573f; background: #dff3ec; border-color: #009e73; }
.level-single_source { color: #444; background: #f0f0f0; border-color: #999; }
.group { font-size: 0.875rem; }
figure { margin: 0 0 12px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
.links a { margin-right: 16px; white-space: nowrap; }
a { color: #0058a3; }
a:focus-visible { outline: 3px solid #0072b2; outline-offset: 2px; }
.start { background: #fff; border: 2px solid #0072b2; border-radius: 6px; padding: 20px; margin: 0 0 32px; }
.start h2 { margin-bottom: 8px; }
.sentence { font-size: 1.125rem; margin: 0 0 12px; }
ol.steps { margin: 0; padding-left: 24px; }
ol.steps li { margin: 0 0 8px; }
ol.steps figure { margin-top: 8px; }
.empty { background: #fff; border: 1px dashed #bbb; border-radius: 6px; padding: 20px; }
footer { border-top: 1px solid #e0e0e0; margin-top: 16px; padding-top: 16px; padding-bottom: 40px; color: #4d4d4d; }
footer ul { margin: 8px 0 0; padding-left: 20px; }
code { font-size: 0.9em; }
`

const ATTRIBUTION_WORDS: Record<EventSummaryOut['attribution']['status'], string> = {
  none: 'No source has said who is to blame.',
  unattributed: 'Sources have only denied blame.',
  uncontested: 'Blame is not contested.',
  contested: 'Blame is contested: sources accuse and deny.',
}

/**
 * "Start here": what Reckon is in one sentence, then one event as the API
 * shows it (its summary in words, a link to the JSON, its chart), then where
 * to try every operation. The event is the most disputed one that has blame
 * as well as figures (it shows both halves of a summary), else the most
 * disputed; with none yet, how to record one.
 */
function startHere(first: Disputed | undefined, names: Names): string {
  const example =
    first === undefined
      ? '<li><p><strong>Record an event and its claims.</strong> Create an event with <code>POST /events</code>, then its claims with <code>POST /events/{id}/claims</code>, or load a spreadsheet with <code>POST /claims/bulk</code>.</p></li>'
      : startExample(first, names)
  return `<section class="start" aria-labelledby="start">
<h2 id="start">Start here</h2>
<p class="sentence">Reckon keeps every claim about a violent event — a casualty figure, or who is to blame — with its source, and shows for each event how far the figures agree, as of any moment.</p>
<ol class="steps">
${example}
<li><p><strong>Try the API.</strong> <a href="/docs">Swagger UI</a> lists every operation and runs them from the browser; the same description is at <a href="/openapi.json">/openapi.json</a>.</p></li>
</ol>
</section>`
}

function startExample(d: Disputed, names: Names): string {
  const { event, attribution } = d.summary
  const meta = chartMeta(d, names)
  const summaryUrl = `/events/${encodeURIComponent(event.id)}/summary`
  return `<li><p><strong>Read an event's summary.</strong> ${esc(event.title)}: ${esc(describeFigures(d.shown, meta))} ${esc(ATTRIBUTION_WORDS[attribution.status])} The API answers it as JSON: <a href="${esc(summaryUrl)}"><code>GET ${esc(summaryUrl)}</code></a>.</p></li>
<li><p><strong>See its chart.</strong> One row per source: the numbers its words allow, and its figure.</p>
<figure>${chartImage(d, meta)}></figure></li>`
}

export function renderLanding(events: Disputed[], names: Names): string {
  const list =
    events.length === 0
      ? '<p class="empty">No event has a casualty figure yet. Record claims with <code>POST /events/{id}/claims</code> or load a spreadsheet with <code>POST /claims/bulk</code>; see the API below.</p>'
      : `<ol class="events">\n${events.map((d) => eventItem(d, names)).join('\n')}\n</ol>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reckon</title>
<style>${STYLE}${DRAFTS_STYLE}</style>
</head>
<body>
<header>
<h1>Reckon</h1>
</header>
<main>
${startHere(events.find((d) => d.summary.attribution.status !== 'none') ?? events[0], names)}
${draftsSection()}
<h2>Most disputed events</h2>
<p class="note">Events whose sources disagree most, as of now. Each chart shows one row per source: the numbers its words allow as a bar (an arrow when there is no upper bound), its figure as a dot, the median as a dashed line, and, shaded, where the most sources overlap.</p>
${list}
</main>
<footer>
<p>Everything here comes from the API:</p>
<ul>
<li><a href="/docs">API documentation (Swagger UI)</a></li>
<li><a href="/openapi.json">OpenAPI 3.1 document</a></li>
<li><a href="/summaries?format=csv">Every event’s figure groups, as CSV</a></li>
</ul>
</footer>
</body>
</html>
`
}

const landingRoutes: FastifyPluginAsyncZod = async (app) => {
  const disputed = createMostDisputed(app)
  app.get(
    '/',
    {
      // An ETag from the latest write (contract §12): any write may change the list.
      config: { etag: 'database', page: true },
      schema: {
        operationId: 'getLanding',
        summary: 'A page for people: what Reckon is and the most disputed events',
        description:
          `An HTML page: what the service is, the ${LANDING_EVENTS} most disputed events as of now (by the disagreement level of their most disputed figure group, ` +
          'then its relative spread), each with its date, level, embedded chart and links to its summary (JSON, CSV) and claims; and links to the API documentation.',
        tags: ['meta'],
        response: {
          200: { description: 'The page.', content: { 'text/html': { schema: z.string().meta({ description: 'HTML5, UTF-8.' }) } } },
        },
      },
    },
    async (_request, reply) => {
      await app.writes.write(() => app.repos.disputes.refreshDue()) // blocks queued by recent writes, before ranking on them
      const events = await disputed(nowIso(), LANDING_EVENTS)
      // The names the page shows, read before it is written.
      const parties = new Map<string, string | null>()
      for (const d of events)
        if (d.shown.party !== null) parties.set(d.shown.party, (await app.repos.actors.get(d.shown.party))?.name ?? null)
      const sources = await app.repos.sources.several(events.flatMap((d) => d.shown.claims.flatMap((c) => [c.source_id, ...c.via])))
      const html = renderLanding(events, {
        party: (id) => parties.get(id) ?? null,
        source: (id) => sources.get(id) ?? null,
      })
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header(
          'content-security-policy',
          "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'",
        )
        .send(html)
    },
  )
}

export default landingRoutes
