/**
 * The drafts' precision and recall on a labelled corpus (#17; the corpus is
 * test/fixtures/drafts-corpus.json): each item's text drafted with the
 * corpus's directory, figure drafts matched to the expected figures on
 * (source, metric, population, party, qualifier, numbers), attribution
 * drafts on (source, stance, actors, certainty). Used by
 * `npm run eval:drafts` and by the test that holds the thresholds.
 */
import { type DraftClaim, draftClaims } from './draft.js'
import { english } from './english.js'
import { draftDirectory } from './names.js'

export interface CorpusFigure {
  source_id: string
  metric: string
  population: string
  party?: string
  qualifier: string
  value?: number
  low?: number
  high?: number
}
export interface CorpusAttribution {
  source_id: string
  stance: string
  actor_ids: string[]
  certainty: string
}
export interface Corpus {
  provenance: string
  directory: {
    sources: Array<{ id: string; name: string; aliases: string[]; affiliated_actor_id: string | null; kind: string }>
    actors: Array<{ id: string; name: string; aliases: string[]; kind: string }>
  }
  items: Array<{
    id: string
    text: string
    published_at: string
    publisher_id: string | null
    figures: CorpusFigure[]
    attributions: CorpusAttribution[]
  }>
}

export interface Score {
  expected: number
  drafted: number
  matched: number
  precision: number
  recall: number
}

export interface Evaluation {
  items: number
  figures: Score
  attributions: Score
  /** Per item, what was missed and what was drafted that was not expected. */
  misses: Array<{ id: string; missed: string[]; extra: string[] }>
}

const figureKey = (f: CorpusFigure | Extract<DraftClaim, { kind: 'figure' }>) =>
  JSON.stringify([f.source_id, f.metric, f.population, f.party ?? null, f.qualifier, f.value ?? null, f.low ?? null, f.high ?? null])
const attributionKey = (a: CorpusAttribution | Extract<DraftClaim, { kind: 'attribution' }>) =>
  JSON.stringify([a.source_id, a.stance, [...a.actor_ids].sort(), a.certainty])

function score(expected: number, drafted: number, matched: number): Score {
  return { expected, drafted, matched, precision: drafted === 0 ? 1 : matched / drafted, recall: expected === 0 ? 1 : matched / expected }
}

/** Matches as multisets: a claim expected twice must be drafted twice. */
function matchCount(expected: string[], drafted: string[]): { matched: number; missed: string[]; extra: string[] } {
  const left = [...drafted]
  const missed: string[] = []
  let matched = 0
  for (const e of expected) {
    const i = left.indexOf(e)
    if (i === -1) missed.push(e)
    else {
      matched++
      left.splice(i, 1)
    }
  }
  return { matched, missed, extra: left }
}

export function evaluate(corpus: Corpus): Evaluation {
  const directory = draftDirectory(
    corpus.directory.sources.map((s) => ({ id: s.id, names: [s.name, ...s.aliases], affiliated_actor_id: s.affiliated_actor_id })),
    corpus.directory.actors.map((a) => ({ id: a.id, names: [a.name, ...a.aliases], kind: a.kind })),
  )
  const totals = { fe: 0, fd: 0, fm: 0, ae: 0, ad: 0, am: 0 }
  const misses: Evaluation['misses'] = []
  for (const item of corpus.items) {
    const { drafts } = draftClaims(
      { text: item.text, published_at: item.published_at, url: null, publisher_id: item.publisher_id, event: null },
      directory,
      english,
    )
    const claims = drafts.map((d) => d.claim)
    const figures = matchCount(
      item.figures.map(figureKey),
      claims.flatMap((c) => (c.kind === 'figure' ? [figureKey(c)] : [])),
    )
    const attributions = matchCount(
      item.attributions.map(attributionKey),
      claims.flatMap((c) => (c.kind === 'attribution' ? [attributionKey(c)] : [])),
    )
    totals.fe += item.figures.length
    totals.fd += claims.filter((c) => c.kind === 'figure').length
    totals.fm += figures.matched
    totals.ae += item.attributions.length
    totals.ad += claims.filter((c) => c.kind === 'attribution').length
    totals.am += attributions.matched
    const missed = [...figures.missed, ...attributions.missed]
    const extra = [...figures.extra, ...attributions.extra]
    if (missed.length + extra.length > 0) misses.push({ id: item.id, missed, extra })
  }
  return {
    items: corpus.items.length,
    figures: score(totals.fe, totals.fd, totals.fm),
    attributions: score(totals.ae, totals.ad, totals.am),
    misses,
  }
}
