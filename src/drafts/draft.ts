/**
 * #17: draft claims from news text, for a person to confirm. Pure: the text,
 * the publication's time and the directory of sources and actors in; draft
 * claims, unresolved names and skipped figures out. Nothing is written and
 * nothing is guessed silently: every draft lists what it had to guess.
 *
 * Sentence by sentence (a paragraph that is an item of a list is a headline):
 *   - who said it: "R cited O saying" (origin O, via R), "according to O",
 *     "O told R", the subject of a verb of saying ("O said", "O denied"), or
 *     the name after a headline's dash; a later speaker reporting it is a
 *     relay ("O said …, R reported"); the publisher is the last relay; a
 *     source named just before a stance of its own takes it ("…, and M
 *     denied it").
 *     With no speaker, "He said" takes the sentence before's; otherwise the
 *     publisher is taken as the origin, as a guess;
 *   - when: a date before the verb of saying ("On April 4, Reuters cited"),
 *     else the one of the sentence before in the paragraph, else the
 *     publication's time (a guess); a date in what was said ("said that on
 *     April 4 the air force struck") is the event's, not the statement's;
 *   - figures: each number, with the qualifier before it ("at least"), a
 *     range ("between 58 and 86"), the nearest word of what happened in its
 *     clause ("killed", "died"), the noun of who after it ("children",
 *     "Russian soldiers", "12 rebels"); a part joined to the figure before it
 *     ("including 11 children") takes its metric, and a figure joined by "and"
 *     with no noun counts the same people ("516 civilians killed and 908
 *     injured"). A number that is a date, a percentage, money, a distance,
 *     an age… or has no such word near it is skipped, with the reason;
 *   - stances: accusations ("blames … on", "carried out by", "accused"),
 *     hedged ones suspected ("could have been"), negated ones and denials
 *     ("denied"); a denial that names no one ("denied their involvement")
 *     is of the speaker's own side, its affiliated actor (a guess); in a
 *     sentence about casualties, forces named as what struck ("an Israeli
 *     strike") or who killed ("Russian troops killed") are blamed;
 *   - a sentence about an incident of another kind that names nothing of the
 *     event ("the metro blast in St. Petersburg") is another event: skipped.
 */
import type { Certainty, Metric, Population, Qualifier, Stance } from '../engine/types.js'
import type { DateMention, DraftLanguage, NumberMention, Token } from './language.js'
import { type NameIndex, type NameMention } from './names.js'

export interface DraftDirectory {
  sources: NameIndex
  actors: NameIndex
  /** A source's affiliated actor, for denials that name no one. */
  affiliation(sourceId: string): string | null
  /** Whether an actor is armed (armed forces or an armed group): its name after a number counts its fighters ("12 rebels"). */
  armed(actorId: string): boolean
}

export interface DraftEvent {
  id: string
  /** Words that name it: its title's, place's and region's (lower case). */
  words: readonly string[]
}

export interface DraftInput {
  text: string
  /** The publication's time (ISO 8601): what relative dates count from, and stated_at when the text gives none. */
  published_at: string
  url: string | null
  publisher_id: string | null
  event: DraftEvent | null
}

export interface Span {
  start: number
  end: number
}

interface ClaimCommon {
  event_id?: string
  source_id: string | null
  via: string[]
  stated_at: string
  quote: string
  url?: string
  language: string
}

export interface FigureDraftClaim extends ClaimCommon {
  kind: 'figure'
  metric: Metric
  population: Population
  party?: string
  qualifier: Qualifier
  value?: number
  low?: number
  high?: number
}

export interface AttributionDraftClaim extends ClaimCommon {
  kind: 'attribution'
  stance: Stance
  actor_ids: string[]
  certainty: Certainty
}

export type DraftClaim = FigureDraftClaim | AttributionDraftClaim

export const GUESSED_FIELDS = ['source_id', 'stated_at', 'actor_ids'] as const
export type GuessedField = (typeof GUESSED_FIELDS)[number]

export interface Guess {
  field: GuessedField
  reason: string
}

export interface Draft {
  claim: DraftClaim
  /** Where `claim.quote` is in the text. */
  span: Span
  confidence: { level: 'high' | 'medium' | 'low'; reasons: string[] }
  guesses: Guess[]
  /** Fields a claim needs that the text could not give (an unknown speaker, no event). */
  missing: Array<'source_id' | 'event_id'>
}

export interface Unresolved {
  kind: 'source' | 'actor'
  text: string
  span: Span
  /** The ids an ambiguous name could be; empty when it matches none. */
  candidates: string[]
}

export const SKIP_REASONS = ['another_event', 'date', 'not_a_count', 'no_metric', 'no_actor', 'duplicate'] as const
export type SkipReason = (typeof SKIP_REASONS)[number]

export interface Skipped {
  reason: SkipReason
  detail: string
  /** The words skipped (a number, or the sentence). */
  text: string
  span: Span
  sentence: Span
}

export interface Drafts {
  drafts: Draft[]
  unresolved: Unresolved[]
  skipped: Skipped[]
}

/** A lexicon phrase found among a sentence's tokens. */
interface PhraseHit<T> {
  first: number
  last: number
  value: T
}

interface Speaker {
  origins: NameMention[]
  relays: string[]
  /** Token index of the verb of saying, when there is one: dates after it are about what was said. */
  verb: number | null
  guess: Guess | null
}

interface SentenceContext {
  start: number
  end: number
  text: string
  tokens: Token[]
  headline: boolean
}

export function draftClaims(input: DraftInput, directory: DraftDirectory, language: DraftLanguage): Drafts {
  const steps = draftSteps(input, directory, language)
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
  }
}

/**
 * draftClaims one paragraph at a time: yields after each, returns the
 * drafts. A server drives it in slices (services/drafts-service), so that a
 * megabyte of text does not hold the event loop.
 */
export function* draftSteps(input: DraftInput, directory: DraftDirectory, language: DraftLanguage): Generator<void, Drafts> {
  const { lexicon } = language
  const reference = new Date(input.published_at)
  const out: Drafts = { drafts: [], unresolved: [], skipped: [] }
  const seen = new Set<string>()
  const unresolvedSeen = new Set<string>()
  const phrases = compilePhrases(language)

  const noteUnresolved = (u: Unresolved) => {
    const key = `${u.kind}\u0000${u.text.toLowerCase()}\u0000${u.candidates.join()}`
    if (unresolvedSeen.has(key)) return
    unresolvedSeen.add(key)
    out.unresolved.push(u)
  }

  for (const paragraph of paragraphs(input.text)) {
    const itemAt = language.listItem(paragraph.text)
    const headline = itemAt !== null
    const body = headline ? paragraph.text.slice(itemAt) : paragraph.text
    const bodyStart = paragraph.start + (headline ? (itemAt ?? 0) : 0)
    let previousDate: string | null = null
    let previousSpeaker: Speaker | null = null
    for (const span of language.sentences(body)) {
      const start = bodyStart + span.start
      const text = input.text.slice(start, bodyStart + span.end)
      const sentence: SentenceContext = { start, end: start + text.length, text, tokens: language.tokens(text, start), headline }
      const t = sentence.tokens
      const sources = mentionsIn(directory.sources, sentence)
      const named = mentionsIn(directory.actors, sentence)
      const actors = [...named, ...forcesMentions(directory.actors, sentence, named)].sort((a, b) => a.start - b.start)
      for (const m of [...sources, ...actors]) {
        if (m.ids.length > 1) {
          noteUnresolved({
            kind: sources.includes(m) ? 'source' : 'actor',
            text: m.text,
            span: { start: m.start, end: m.end },
            candidates: m.ids,
          })
        }
      }
      const speech = phrases.find(t, 'speech')
      let speaker = findSpeaker(sentence, sources, speech, phrases, lexicon.articles)
      if (speaker === null && previousSpeaker !== null && startsWithReference(t)) {
        const carried: Speaker = previousSpeaker
        speaker = {
          ...carried,
          verb: speech[0]?.first ?? null,
          guess: { field: 'source_id', reason: 'the speaker of the sentence before ("he", "it", "the ministry")' },
        }
      }
      for (const u of unknownSpeakers(sentence, sources, speech, lexicon.nameStops, lexicon.articles)) noteUnresolved(u)
      if (speaker !== null && speaker.origins.length > 0) previousSpeaker = speaker

      // When it was said.
      const dates = language.dates(text, start, reference)
      const statedOn = statementDate(dates, t, speaker?.verb ?? null)
      let stated: { at: string; guess: Guess | null }
      if (statedOn !== null) {
        stated = {
          at: statedOn.day,
          guess: statedOn.certain
            ? null
            : { field: 'stated_at', reason: `an approximate date: "${input.text.slice(statedOn.start, statedOn.end)}"` },
        }
        previousDate = statedOn.day
      } else if (previousDate !== null) {
        stated = { at: previousDate, guess: { field: 'stated_at', reason: 'the date of the sentence before in its paragraph' } }
      } else {
        stated = {
          at: input.published_at,
          guess: { field: 'stated_at', reason: 'the publication time: the text gives no date for the statement' },
        }
      }

      const another = input.event === null ? null : anotherEvent(sentence, input.event, phrases)
      const numbersHere = language.numbers(t)
      const metrics = phrases.find(t, 'metrics')

      if (another !== null) {
        if (numbersHere.length > 0 || metrics.length > 0) {
          out.skipped.push({
            reason: 'another_event',
            detail: `about ${another}, not this event`,
            text,
            span: { start, end: sentence.end },
            sentence: { start, end: sentence.end },
          })
        }
        continue
      }

      const origins = originsOf(speaker, input.publisher_id)
      const base = (origin: OriginChoice, quote: Span, relays: readonly string[] = speaker?.relays ?? []): ClaimCommon => {
        const via = relays.filter((r) => r !== origin.id)
        if (input.publisher_id !== null && input.publisher_id !== origin.id && !via.includes(input.publisher_id))
          via.push(input.publisher_id)
        return {
          ...(input.event === null ? {} : { event_id: input.event.id }),
          source_id: origin.id,
          via,
          stated_at: stated.at,
          quote: input.text.slice(quote.start, quote.end),
          ...(input.url === null ? {} : { url: input.url }),
          language: language.code,
        }
      }
      const emit = (claim: DraftClaim, span: Span, origin: OriginChoice, guesses: Guess[], basis: string) => {
        const all = [...(origin.guess ? [origin.guess] : []), ...(stated.guess ? [stated.guess] : []), ...guesses]
        const key = JSON.stringify({ ...claim, quote: null, stated_at: null })
        if (seen.has(key)) {
          out.skipped.push({
            reason: 'duplicate',
            detail: 'the same claim as a draft above',
            text: claim.quote,
            span,
            sentence: { start, end: sentence.end },
          })
          return
        }
        seen.add(key)
        const reasons = [
          basis,
          ...(headline ? ['from a headline (an item of a list): the story it names may be another'] : []),
          ...all.map((g) => `${g.field}: ${g.reason}`),
        ]
        const level =
          origin.id === null || origin.guess !== null || all.length >= 2 ? 'low' : all.length === 1 || headline ? 'medium' : 'high'
        const missing: Draft['missing'] = [
          ...(origin.id === null ? (['source_id'] as const) : []),
          ...(input.event === null ? (['event_id'] as const) : []),
        ]
        out.drafts.push({ claim, span, confidence: { level, reasons }, guesses: all, missing })
      }

      // Figures.
      const figures: Array<{
        metric: Metric
        metricHit: PhraseHit<Metric> | null
        first: number
        last: number
        population: Population
        party: string | null
        qualifier: Qualifier
      }> = []
      for (let k = 0; k < numbersHere.length; k++) {
        const n = numbersHere[k] as NumberMention
        const numberSpan = { start: (t[n.first] as Token).start, end: (t[n.last] as Token).end }
        const skip = (reason: SkipReason, detail: string) =>
          out.skipped.push({
            reason,
            detail,
            text: input.text.slice(numberSpan.start, numberSpan.end),
            span: numberSpan,
            sentence: { start, end: sentence.end },
          })
        if (dates.some((d) => d.start <= numberSpan.start && numberSpan.end <= d.end)) {
          skip('date', 'part of a date')
          continue
        }
        const notCount = phrases.at(t, n.last + 1, 'notCounts') ?? phrases.endingAt(t, n.first - 1, 'notCountsBefore')
        if (notCount !== null) {
          skip('not_a_count', notCount.value)
          continue
        }
        if (
          n.vague === null &&
          (t[n.first] as Token).kind === 'number' &&
          n.value !== null &&
          n.value >= 1900 &&
          n.value <= 2100 &&
          phrases.at(t, n.last + 1, 'populations') === null &&
          phrases.at(t, n.last + 1, 'people') === null
        ) {
          skip('date', 'a year')
          continue
        }
        // The qualifier, or a range.
        let qualifier: Qualifier = n.vague ?? 'exact'
        let first = n.first
        let last = n.last
        let low: number | null = null
        let high: number | null = null
        const next = numbersHere[k + 1]
        const between = (t[n.first - 1]?.lower === 'between' || t[n.first - 1]?.lower === 'from') && next !== undefined
        const joined = next !== undefined && next.first === n.last + 2 && ['and', 'to', '-', '–', '—'].includes(t[n.last + 1]?.lower ?? '')
        if (
          n.vague === null &&
          next !== undefined &&
          next.vague === null &&
          joined &&
          (between || t[n.last + 1]?.lower !== 'and') &&
          n.value !== null &&
          next.value !== null &&
          next.value > n.value
        ) {
          qualifier = 'range'
          low = n.value
          high = next.value
          first = between ? n.first - 1 : n.first
          last = next.last
          k++
        } else if (n.vague === null) {
          const q = phrases.endingAt(t, n.first - 1, 'qualifiers')
          if (q !== null) {
            qualifier = q.value
            first = q.first
          }
        }
        const explicitQualifier = qualifier !== 'exact' || n.vague !== null
        // Who: the noun after the number ("58 people", "11 children", "58 Russian soldiers", "12 rebels").
        let population: Population = 'all'
        let party: string | null = null
        const after = last + 1
        let pop = findPopulation(t, after, phrases)
        // An actor named right after the number, as its noun ("12 rebels", "58 Russian soldiers"), not as what struck them ("14 wounded by Russian shelling").
        const nounActor = actors.find(
          (a) =>
            a.ids.length === 1 && a.attack !== true && a.start >= (t[after]?.start ?? Infinity) && a.start <= (t[after + 2]?.start ?? -1),
        )
        if (pop !== null) {
          population = pop.value ?? 'all'
          if (nounActor !== undefined && nounActor.end <= (t[pop.last]?.end ?? 0)) party = nounActor.ids[0] ?? null
          else if (population === 'combatants') party = sideOf(directory.actors, t.slice(after, pop.first))
        } else if (nounActor !== undefined && directory.armed(nounActor.ids[0] as string)) {
          // An armed group's own name as the noun: its fighters.
          population = 'combatants'
          party = nounActor.ids[0] ?? null
          pop = { first: tokenAt(t, nounActor.start), last: tokenBefore(t, nounActor.end), value: 'combatants' }
        } else if (n.value === 1 && (t[n.first] as Token).kind === 'word') {
          skip('not_a_count', 'the word "one" with no noun of people after it')
          continue
        }
        // What happened: the nearest word of it in the clause, else the figure before's when joined by "including".
        const previousNumber = numbersHere[k - 1]
        // The clause reaches past a part of this figure ("15 civilians, among them four children, were killed").
        const nextNumber = numbersHere.slice(k + 1).find((m) => !introducedAsPart(t, m, phrases))
        // A word of what happened that the figure before took is not this one's ("70 have died and hundreds more have been affected").
        const parent = figures[figures.length - 1]
        const floor = Math.max(previousNumber?.last ?? -1, parent?.metricHit?.last ?? -1)
        const metricHit = nearestMetric(t, metrics, first, pop === null ? last : pop.last, floor, nextNumber?.first ?? t.length, phrases)
        const guesses: Guess[] = []
        let metric: Metric
        let quoteFirst = Math.min(first, metricHit?.first ?? first)
        let quoteLast = Math.max(pop?.last ?? last, metricHit?.last ?? last)
        const part = phrases.endingAt(t, first - 1, 'including') !== null
        // Joined by "and" or a comma to the figure before, in one clause ("killed 40 civilians and wounded more than 100").
        const coordinated =
          parent !== undefined &&
          t.slice(parent.last + 1, first).some((x) => x.lower === 'and' || x.text === ',') &&
          !t.slice(parent.last + 1, first).some((x) => phrases.isBreak(x))
        // A figure joined to the one before with no noun of its own counts the same people: "516 civilians killed and 908
        // injured", "1,035 civilian casualties, including 364 killed"; joined by "and", it shares its qualifier too ("at least").
        if (parent !== undefined && pop === null && (part || coordinated)) {
          population = parent.population
          party = parent.party
          if (
            coordinated &&
            !part &&
            !explicitQualifier &&
            (parent.qualifier === 'at_least' || parent.qualifier === 'approximately' || parent.qualifier === 'more_than')
          ) {
            qualifier = parent.qualifier
          }
        }
        const joinedToParent = part || (metricHit === null && coordinated)
        if (joinedToParent && parent !== undefined && metricHit === null) {
          metric = parent.metric
          quoteFirst = Math.min(parent.first, parent.metricHit?.first ?? parent.first)
          quoteLast = pop?.last ?? last
        } else if (metricHit !== null) {
          metric = metricHit.value
        } else {
          // "19 fighters and seven civilians were killed": the next figure, joined by "and", shares its word of what happened.
          const following = numbersHere[k + 1]
          const shared =
            following !== undefined &&
            t.slice(last + 1, following.first).some((x) => x.lower === 'and') &&
            (pop === null || pop.last < following.first)
              ? nearestMetric(
                  t,
                  metrics,
                  following.first,
                  following.last + 3,
                  following.last,
                  numbersHere[k + 2]?.first ?? t.length,
                  phrases,
                )
              : null
          if (shared === null || following === undefined || shared.first < following.first) {
            skip('no_metric', 'no word of what happened to them (killed, injured, displaced…) near it')
            continue
          }
          metric = shared.value
          quoteLast = Math.max(quoteLast, shared.last)
        }
        figures.push({ metric, metricHit, first: quoteFirst, last: quoteLast, population, party, qualifier })
        const quote = { start: (t[quoteFirst] as Token).start, end: (t[quoteLast] as Token).end }
        for (const origin of origins) {
          const claim: FigureDraftClaim = {
            kind: 'figure',
            ...base(origin, quote),
            metric,
            population,
            ...(party === null ? {} : { party }),
            qualifier,
            ...(qualifier === 'range' ? { low: low ?? 0, high: high ?? 0 } : n.value === null ? {} : { value: n.value }),
          }
          emit(claim, quote, origin, guesses, 'a number with a word of what happened to whom')
        }
      }

      // Stances.
      const speakerActors = new Set(
        origins.map((o) => (o.id === null ? null : directory.affiliation(o.id))).filter((a): a is string => a !== null),
      )
      const stances = findStances(sentence, actors, sources, phrases, speaker, metrics.length > 0)
      for (const s of stances) {
        if (s.actorIds.length === 0 && !s.self) {
          if (s.unnamed !== null) noteUnresolved({ kind: 'actor', text: s.unnamed.text, span: s.unnamed.span, candidates: [] })
          out.skipped.push({
            reason: 'no_actor',
            detail: s.unnamed === null ? 'a stance that names no actor' : `"${s.unnamed.text}" names no known actor`,
            text: input.text.slice(s.span.start, s.span.end),
            span: s.span,
            sentence: { start, end: sentence.end },
          })
          continue
        }
        const own = s.origin?.ids[0]
        for (const origin of own === undefined ? origins : [{ id: own, guess: null }]) {
          const guesses: Guess[] = []
          let actorIds = s.actorIds
          if (s.self) {
            const own = origin.id === null ? null : directory.affiliation(origin.id)
            if (own === null) {
              out.skipped.push({
                reason: 'no_actor',
                detail: 'a denial that names no one, by a speaker with no affiliated actor',
                text: input.text.slice(s.span.start, s.span.end),
                span: s.span,
                sentence: { start, end: sentence.end },
              })
              continue
            }
            actorIds = [own]
            guesses.push({ field: 'actor_ids', reason: `the denial names no one: taken as the speaker's own side, ${own}` })
          }
          if (s.implied && actorIds.every((a) => speakerActors.has(a))) continue
          const claim: AttributionDraftClaim = {
            kind: 'attribution',
            ...base(origin, s.span, own === undefined ? undefined : []),
            stance: s.stance,
            actor_ids: actorIds,
            certainty: s.certainty,
          }
          emit(claim, s.span, origin, guesses, s.basis)
        }
      }
    }
    yield
  }
  return out
}

interface OriginChoice {
  id: string | null
  guess: Guess | null
}

function originsOf(speaker: Speaker | null, publisher: string | null): OriginChoice[] {
  const named = (speaker?.origins ?? []).filter((o) => o.ids.length === 1)
  if (named.length > 0) return named.map((o) => ({ id: o.ids[0] ?? null, guess: speaker?.guess ?? null }))
  if ((speaker?.origins.length ?? 0) > 0)
    return [{ id: null, guess: { field: 'source_id', reason: 'the speaker’s name matches several sources (see unresolved)' } }]
  if (publisher !== null)
    return [{ id: publisher, guess: { field: 'source_id', reason: 'no speaker named: the publisher’s own reporting' } }]
  return [{ id: null, guess: { field: 'source_id', reason: 'no speaker named, and no publisher_id' } }]
}

/** Paragraphs: lines that are not blank, with their offsets. */
function paragraphs(text: string): Array<{ start: number; text: string }> {
  const out: Array<{ start: number; text: string }> = []
  for (const m of text.matchAll(/[^\n\r]+/g)) {
    if (m[0].trim() === '') continue
    out.push({ start: m.index ?? 0, text: m[0] })
  }
  return out
}

function overlaps(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end
}

/** The names of a sentence, and "the Russian and Syrian militaries" read as "Russian military" and "Syrian military". */
function mentionsIn(index: NameIndex, sentence: SentenceContext): NameMention[] {
  const found = index.find(sentence.text, sentence.start)
  for (const m of sentence.text.matchAll(/(\p{Lu}[\p{L}'’-]*) and (\p{Lu}[\p{L}'’-]*) (\p{Ll}+)/gu)) {
    const [, a = '', b = '', plural = ''] = m
    const singular = plural.endsWith('ies') ? `${plural.slice(0, -3)}y` : plural.endsWith('s') ? plural.slice(0, -1) : plural
    const at = sentence.start + (m.index ?? 0)
    const aIds = index.exact(`${a} ${singular}`)
    const bIds = index.exact(`${b} ${singular}`)
    if (aIds.length === 0 || bIds.length === 0) continue
    const end = at + m[0].length
    const covered = found.filter((f) => !(f.start < end && at < f.end))
    found.length = 0
    found.push(
      ...covered,
      { start: at, end, text: m[0], ids: aIds },
      { start: at + a.length + 5, end, text: m[0].slice(a.length + 5), ids: bIds },
    )
    found.sort((x, y) => x.start - y.start)
  }
  return found
}

/** Nouns of forces and of what they do: "<side> <noun>" names the side's forces ("Russian jets", "an Israeli strike"). */
const FORCES_NOUNS =
  'jets|warplanes|aircraft|planes|helicopters|drones|artillery|troops|soldiers|servicemen|fighters|forces|army|military|navy|strike|strikes|airstrike|airstrikes|air strike|air strikes|shelling|raid|raids|bombardment|bombing|missile|missiles|rocket|rockets|attack|attacks'
const ATTACK_NOUNS = new Set([
  'strike',
  'strikes',
  'airstrike',
  'airstrikes',
  'air strike',
  'air strikes',
  'shelling',
  'raid',
  'raids',
  'bombardment',
  'bombing',
  'missile',
  'missiles',
  'rocket',
  'rockets',
  'attack',
  'attacks',
  'jets',
  'warplanes',
  'aircraft',
  'planes',
  'helicopters',
  'drones',
  'artillery',
])
const FORCES = new RegExp(`(?<![\\p{L}])(\\p{Lu}[\\p{L}'’-]*) (${FORCES_NOUNS})(?![\\p{L}])`, 'gu')

/** The actor a side's word names as forces: "Russian" → the actor named "Russian forces" (or troops, armed forces, army). */
function sideActor(actors: NameIndex, side: string): string[] {
  for (const name of [`${side} forces`, `${side} troops`, `${side} armed forces`, `${side} army`, `${side} military`, side]) {
    const ids = actors.exact(name)
    if (ids.length > 0) return ids
  }
  return []
}

/** The side of a combatant noun from the words before it ("58 Russian soldiers"), when one names an actor's forces. */
function sideOf(actors: NameIndex, words: readonly Token[]): string | null {
  for (const w of words) {
    if (!/^\p{Lu}/u.test(w.text)) continue
    const [id, ...more] = sideActor(actors, w.text)
    if (id !== undefined && more.length === 0) return id
  }
  return null
}

/** Mentions of forces by their side and a noun ("Russian jets", "an Israeli strike") where no name of an actor is there already. */
function forcesMentions(actors: NameIndex, sentence: SentenceContext, named: readonly NameMention[]): NameMention[] {
  const out: NameMention[] = []
  for (const m of sentence.text.matchAll(FORCES)) {
    const [whole, side = '', noun = ''] = m
    const start = sentence.start + (m.index ?? 0)
    const end = start + whole.length
    if (named.some((n) => n.start < end && start < n.end)) continue
    const ids = sideActor(actors, side)
    if (ids.length === 0) continue
    out.push({ start, end, text: whole, ids, ...(ATTACK_NOUNS.has(noun.toLowerCase()) ? { attack: true } : {}) })
  }
  return out
}

/** Whether a number is a part of the figure before it: "including 11 children", "among them four children". */
function introducedAsPart(t: readonly Token[], m: NumberMention, phrases: Phrases): boolean {
  if (phrases.endingAt(t, m.first - 1, 'including') !== null) return true
  const q = phrases.endingAt(t, m.first - 1, 'qualifiers')
  return q !== null && phrases.endingAt(t, q.first - 1, 'including') !== null
}

/** Token index of the first token at or after a character offset. */
function tokenAt(tokens: readonly Token[], offset: number): number {
  const i = tokens.findIndex((t) => t.start >= offset)
  return i === -1 ? tokens.length : i
}
/** Token index of the last token ending at or before a character offset. */
function tokenBefore(tokens: readonly Token[], offset: number): number {
  let found = -1
  for (let i = 0; i < tokens.length && (tokens[i] as Token).end <= offset; i++) found = i
  return found
}

const PRONOUNS = new Set([
  'he',
  'she',
  'it',
  'they',
  'the ministry',
  'the organization',
  'the organisation',
  'the group',
  'the agency',
  'the statement',
  'the report',
  'the spokesman',
  'the spokeswoman',
  'the spokesperson',
  'the official',
])
function startsWithReference(t: readonly Token[]): boolean {
  const one = t[0]?.lower ?? ''
  const two = `${one} ${t[1]?.lower ?? ''}`
  return PRONOUNS.has(one) || PRONOUNS.has(two)
}

function findSpeaker(
  sentence: SentenceContext,
  sources: readonly NameMention[],
  speech: ReadonlyArray<PhraseHit<string>>,
  phrases: Phrases,
  articles: readonly string[],
): Speaker | null {
  const t = sentence.tokens
  type Placed = { m: NameMention; first: number; last: number }
  const named: Placed[] = sources.map((m) => ({ m, first: tokenAt(t, m.start), last: tokenBefore(t, m.end) }))
  /** The name that ends just before token `i`, skipping a few words ("later", "in a statement"). */
  const before = (i: number, gap: number): Placed | undefined =>
    [...named]
      .reverse()
      .find((n) => n.last < i && i - n.last - 1 <= gap && !t.slice(n.last + 1, i).some((x) => x.kind === 'punct' && x.text !== ','))
  const after = (i: number, gap: number): Placed | undefined =>
    named.find(
      (n) =>
        n.first > i &&
        n.first - i - 1 <= gap &&
        t
          .slice(i + 1, n.first)
          .every((x) => articles.includes(x.lower) || /^\p{Lu}|^[\p{L}]+-based$/u.test(x.text) || x.lower.endsWith('-based')),
    )

  // "R cited O (saying)", "R quoted O".
  for (const cue of phrases.find(t, 'citing')) {
    const relay = before(cue.first, 0)
    const origin = after(cue.last, 4)
    if (relay !== undefined && origin !== undefined) return { origins: [origin.m], relays: idsOf(relay.m), verb: cue.first, guess: null }
    if (relay === undefined && origin !== undefined && (cue.value === 'citing' || cue.value === 'quoting')) {
      return { origins: [origin.m], relays: [], verb: cue.first, guess: null }
    }
  }
  // "according to O".
  for (const cue of phrases.find(t, 'according')) {
    if (cue.value !== 'according to') continue
    const origin = after(cue.last, 2)
    if (origin !== undefined) {
      const relays = speech.map((v) => before(v.first, 4)).filter((n) => n !== undefined && n.m !== origin.m)
      return { origins: [origin.m], relays: relays.flatMap((n) => (n === undefined ? [] : idsOf(n.m))), verb: cue.first, guess: null }
    }
  }
  // "O told R".
  for (const cue of phrases.find(t, 'told')) {
    const origin = before(cue.first, 3)
    const relay = after(cue.last, 1)
    if (origin !== undefined && relay !== undefined) return { origins: [origin.m], relays: idsOf(relay.m), verb: cue.first, guess: null }
  }
  // The subject of a verb of saying; a later speaker is a relay.
  let found: Speaker | null = null
  for (const verb of speech) {
    const subject: Placed | undefined = before(verb.first, 3) ?? (found === null ? after(verb.last, 1) : undefined)
    if (subject === undefined) continue
    const coordinated: Placed[] = named.filter((n) => n !== subject && n.m.end === subject.m.end)
    if (found === null)
      found = {
        origins: [...coordinated.map((n) => n.m), subject.m].sort((a, b) => a.start - b.start),
        relays: [],
        verb: verb.first,
        guess: null,
      }
    // "O said …, R reported": R relays O. Another verb ("…, and M denied it") is another speaker's own stance, not a relay.
    else if (!found.origins.includes(subject.m) && REPORTING.has(verb.value)) found.relays.push(...idsOf(subject.m))
  }
  if (found !== null) return found
  // A headline's "… — O".
  const dash = t.findIndex((x, i) => i > 0 && ['—', '–', '-'].includes(x.text))
  if (sentence.headline && dash !== -1) {
    const origin = named.find((n) => n.first === dash + 1 && n.last === t.length - 1)
    if (origin !== undefined) return { origins: [origin.m], relays: [], verb: dash, guess: null }
  }
  return null
}

/** Verbs by which a later speaker in a sentence relays the first. */
const REPORTING = new Set(['reported', 'reports', 'wrote', 'cited', 'quoted'])

const idsOf = (m: NameMention) => (m.ids.length === 1 ? [m.ids[0] as string] : [])

/** Speakers that match no source: the words before a verb of saying, when capitalised ("the Kremlin press service said"). */
function unknownSpeakers(
  sentence: SentenceContext,
  sources: readonly NameMention[],
  speech: ReadonlyArray<PhraseHit<string>>,
  stops: readonly string[],
  articles: readonly string[],
): Unresolved[] {
  const t = sentence.tokens
  const out: Unresolved[] = []
  for (const verb of speech) {
    let first = verb.first
    while (first > 0 && verb.first - first < 6) {
      const x = t[first - 1] as Token
      if ((x.kind === 'punct' && x.text !== "'" && x.text !== '’') || stops.includes(x.lower)) break
      first--
    }
    while (first < verb.first && articles.includes((t[first] as Token).lower)) first++
    let last = verb.first - 1
    while (last >= first && /^\p{Ll}+ly$/u.test((t[last] as Token).text)) last-- // "Putin particularly stated"
    if (first > last) continue
    const span = { start: (t[first] as Token).start, end: (t[last] as Token).end }
    const words = t.slice(first, last + 1)
    if (!words.some((w) => /^\p{Lu}/u.test(w.text))) continue
    if (sources.some((s) => overlaps(s, span))) continue
    out.push({ kind: 'source', text: sentence.text.slice(span.start - sentence.start, span.end - sentence.start), span, candidates: [] })
  }
  return out
}

/**
 * The date of the statement: one before the verb of saying, or just after it
 * and before what was said ("said on Tuesday that"), or at the start of a
 * sentence without one.
 */
function statementDate(dates: readonly DateMention[], t: readonly Token[], verb: number | null): DateMention | null {
  if (dates.length === 0) return null
  const verbAt = verb === null ? null : (t[verb]?.start ?? null)
  if (verb !== null && verbAt !== null) {
    const before = dates.find((d) => d.end <= verbAt)
    if (before !== undefined) return before
    // Within the two words after the verb, with no "that" between: "said on Tuesday that", "said yesterday".
    const near = t[Math.min(verb + 3, t.length - 1)]?.end ?? verbAt
    return (
      dates.find(
        (d) => d.start > verbAt && d.start <= near && !t.some((x) => x.lower === 'that' && x.start > verbAt && x.start < d.start),
      ) ?? null
    )
  }
  const opening = t[Math.min(3, t.length - 1)]?.end ?? 0
  return dates.find((d) => d.start <= opening) ?? null
}

/** The incident of another event a sentence is about, or null: an incident noun and no word of the event. */
function anotherEvent(sentence: SentenceContext, event: DraftEvent, phrases: Phrases): string | null {
  const words = new Set(sentence.tokens.map((x) => x.lower))
  if (event.words.some((w) => words.has(w) || sentence.text.toLowerCase().includes(w))) return null
  const incident = phrases.find(sentence.tokens, 'incidents')[0]
  if (incident === undefined) return null
  // The incident with the words that qualify it: "the metro blast in Russia's city of St. Petersburg".
  const t = sentence.tokens
  let first = incident.first
  while (
    first > 0 &&
    (t[first - 1] as Token).kind === 'word' &&
    !['the', 'a', 'an', 'by', 'of', 'in'].includes((t[first - 1] as Token).lower)
  )
    first--
  let last = incident.last
  const inName = (i: number) => t[i]?.text === '.' && (t[i - 1]?.text.length ?? 9) <= 3 && /^\p{Lu}/u.test(t[i + 1]?.text ?? '')
  while (
    last + 1 < t.length &&
    ((t[last + 1] as Token).kind !== 'punct' || inName(last + 1)) &&
    !['and', 'but', 'his', 'her', 'their'].includes((t[last + 1] as Token).lower)
  )
    last++
  return `"${sentence.text.slice((t[first] as Token).start - sentence.start, (t[last] as Token).end - sentence.start)}"`
}

function findPopulation(t: readonly Token[], from: number, phrases: Phrases): PhraseHit<Population | null> | null {
  // Up to two words may come between ("58 Russian soldiers", "11 young children").
  for (let i = from; i < Math.min(from + 3, t.length); i++) {
    const pop = phrases.at(t, i, 'populations')
    if (pop !== null) return pop
    const people = phrases.at(t, i, 'people')
    if (people !== null) return { first: people.first, last: people.last, value: null }
    const x = t[i] as Token
    if (x.kind !== 'word' || phrases.at(t, i, 'metrics') !== null) return null
  }
  return null
}

function nearestMetric(
  t: readonly Token[],
  metrics: ReadonlyArray<PhraseHit<Metric>>,
  first: number,
  last: number,
  floor: number,
  ceiling: number,
  phrases: Phrases,
): PhraseHit<Metric> | null {
  const breaks = t.map((x, i) => (phrases.isBreak(x) ? i : -1)).filter((i) => i >= 0)
  let best: PhraseHit<Metric> | null = null
  let bestDistance = Infinity
  for (const m of metrics) {
    const distance = m.first > last ? m.first - last : m.last < first ? first - m.last : 0
    if (m.first > last && (m.first >= ceiling || m.first - last > 10 || breaks.some((b) => b > last && b < m.first))) continue
    if (m.last < first && (m.last <= floor || first - m.last > 8 || breaks.some((b) => b > m.last && b < first))) continue
    if (distance < bestDistance || (distance === bestDistance && m.first > last)) {
      best = m
      bestDistance = distance
    }
  }
  return best
}

interface StanceFound {
  stance: Stance
  actorIds: string[]
  certainty: Certainty
  /** A denial that names no one: the speaker's own side. */
  self: boolean
  /** An accusation without a verb of blame (an actor's chemical weapons): dropped when it names the speaker's own side. */
  implied: boolean
  unnamed: { text: string; span: Span } | null
  span: Span
  basis: string
  /** The source that takes this stance when it is not the sentence's speaker ("…, and Russia's defence ministry denied it"). */
  origin: NameMention | null
}

function findStances(
  sentence: SentenceContext,
  actors: readonly NameMention[],
  sources: readonly NameMention[],
  phrases: Phrases,
  speaker: Speaker | null,
  casualties: boolean,
): StanceFound[] {
  const t = sentence.tokens
  const place = (m: NameMention) => ({ m, first: tokenAt(t, m.start), last: tokenBefore(t, m.end) })
  // The speakers' own names are not blamed by their own words ("The Sudanese army accused the RSF").
  const speaking = new Set(speaker?.origins ?? [])
  const named = actors.filter((a) => a.ids.length === 1 && ![...speaking].some((o) => overlaps(o, a) && o.start === a.start)).map(place)
  const voices = sources.filter((m) => m.ids.length === 1).map(place)
  const clauseEnd = (from: number) => {
    for (let i = from; i < t.length; i++)
      if (phrases.isBreak(t[i] as Token) || ((t[i] as Token).text === '.' && i === t.length - 1)) return i
    return t.length
  }
  const clauseStart = (from: number) => {
    for (let i = from; i >= 0; i--) if (phrases.isBreak(t[i] as Token)) return i + 1
    return 0
  }
  const hedged = (from: number, to: number) => phrases.find(t.slice(from, to), 'hedges').length > 0
  const negated = (i: number) =>
    t.slice(Math.max(0, i - 3), i).some((x) => x.lower === 'not' || x.lower === "n't" || x.lower === 'never' || x.lower.endsWith("n't"))
  const spanOf = (first: number, last: number): Span => ({
    start: (t[first] as Token).start,
    end: (t[Math.min(last, t.length - 1)] as Token).end,
  })
  /** A source named just before a cue, other than the sentence's speaker, takes the stance itself ("and Russia's defence ministry denied"). */
  const ownVoice = (cue: number): NameMention | null => {
    const v = [...voices].reverse().find((n) => n.last < cue && cue - n.last <= 3)
    if (v === undefined || speaking.has(v.m)) return null
    return t.slice(v.last + 1, cue).some((x) => x.kind === 'punct') ? null : v.m
  }
  const out: StanceFound[] = []
  const used = new Set<string>()

  for (const cue of phrases.find(t, 'accuses')) {
    const end = clauseEnd(cue.last + 1)
    let targets: typeof named = []
    let on = -1
    if (cue.value === 'before') {
      targets = named.filter((n) => n.last < cue.first && cue.first - n.last <= 6 && n.first >= clauseStart(cue.first))
    } else {
      // "blamed X for Z": X, named right after the verb; "blames Z on X": X, after "on".
      const object = named.find((n) => n.first > cue.last && n.first <= cue.last + 2)
      if (cue.value === 'after_on' && object === undefined) on = t.findIndex((x, i) => i > cue.last && i < end && x.lower === 'on')
      const from = on === -1 ? cue.last : on
      const until = cue.value === 'after_on' && object !== undefined ? object.last + 1 : end
      targets = named.filter((n) => n.first > from && n.last < until)
    }
    // "killed by …" blames only when it names someone: "killed by the blast" is no stance.
    if (cue.value === 'by_whom' && targets.length === 0) continue
    const last = Math.max(cue.last, ...targets.map((n) => n.last))
    const closing = t[last + 1]?.kind === 'punct' && ['"', '”', "'", '’'].includes(t[last + 1]?.text ?? '') ? last + 1 : last
    const stance: Stance = negated(cue.first) ? 'denies' : 'accuses'
    const ids = [...new Set(targets.map((n) => n.m.ids[0] as string))]
    for (const id of ids) used.add(id)
    const unnamedFirst = on === -1 ? cue.last + 1 : on + 1
    const unnamedLast = Math.min(end - 1, unnamedFirst + 3)
    out.push({
      stance,
      actorIds: ids,
      certainty: stance === 'accuses' && hedged(clauseStart(cue.first), cue.first) ? 'suspected' : 'asserted',
      self: false,
      implied: false,
      unnamed:
        ids.length === 0 && unnamedFirst > 0 && unnamedFirst <= unnamedLast && (t[unnamedFirst] as Token).kind === 'word'
          ? {
              text: sentence.text
                .slice((t[unnamedFirst] as Token).start - sentence.start, (t[unnamedLast] as Token).end - sentence.start)
                .replace(/[.,;:!?"”]+$/u, ''),
              span: spanOf(unnamedFirst, unnamedLast),
            }
          : null,
      span: spanOf(Math.min(cue.first, ...targets.map((n) => n.first)), closing),
      basis: stance === 'denies' ? 'a negated accusation ("not … by")' : 'a word of blame and who is blamed',
      origin: ownVoice(cue.first),
    })
  }
  for (const cue of phrases.find(t, 'denies')) {
    if (out.some((s) => s.span.start <= (t[cue.first] as Token).start && (t[cue.first] as Token).start < s.span.end)) continue
    const end = clauseEnd(cue.last + 1)
    const targets = named.filter((n) => n.first > cue.last && n.last < end)
    for (const n of targets) used.add(n.m.ids[0] as string)
    const ids = [...new Set(targets.map((n) => n.m.ids[0] as string))]
    // "denied their involvement", "denied any role", "denied targeting civilians": its own side.
    const selfWords =
      t.slice(cue.last + 1, Math.min(end, cue.last + 4)).some((x) => phrases.isSelf(x)) || /^\p{L}+ing$/u.test(t[cue.last + 1]?.lower ?? '')
    const self = ids.length === 0 && (selfWords || cue.last + 1 >= end)
    const last = ids.length > 0 ? Math.max(...targets.map((n) => n.last)) : Math.min(end - 1, cue.last + 6)
    const origin = ownVoice(cue.first)
    out.push({
      stance: 'denies',
      actorIds: ids,
      certainty: 'asserted',
      self: self && (speaker !== null || origin !== null),
      implied: false,
      unnamed: null,
      span: spanOf(cue.first, last),
      basis: 'a word of denial',
      origin,
    })
  }
  // In a sentence about casualties, forces named as what struck ("an Israeli strike", "Russian shelling") or as who
  // killed ("Russian troops killed 17 civilians") are blamed by the speaker, with no verb of blame.
  if (casualties && speaker !== null) {
    for (const n of named) {
      const id = n.m.ids[0] as string
      if (used.has(id)) continue
      // Active voice only: "Russian troops killed 17 civilians" blames them; "200 Russian soldiers were killed" counts them.
      const killer = phrases.at(t, n.last + 1, 'metrics')
      const attack =
        n.m.attack === true ||
        ATTACK_NOUNS.has(t[n.last + 1]?.lower ?? '') ||
        ATTACK_NOUNS.has(`${t[n.last + 1]?.lower ?? ''} ${t[n.last + 2]?.lower ?? ''}`)
      if (!attack && killer === null) continue
      if (
        killer !== null &&
        !['killed', 'kill', 'kills', 'killing', 'wounded', 'wounding', 'injured', 'injuring', 'shot'].includes(t[killer.first]?.lower ?? '')
      )
        continue
      used.add(id)
      out.push({
        stance: negated(n.first) ? 'denies' : 'accuses',
        actorIds: [id],
        certainty: hedged(clauseStart(n.first), n.first) || hedged(n.first, Math.min(t.length, n.last + 4)) ? 'suspected' : 'asserted',
        self: false,
        implied: true,
        unnamed: null,
        span: spanOf(n.first, killer?.last ?? n.last),
        basis: 'forces named as what caused the casualties (no verb of blame: check the reading)',
        origin: null,
      })
    }
  }
  // An actor's chemical weapons, with no verb of blame: "militant facilities used to produce chemical bombs".
  if (speaker !== null && out.length === 0) {
    for (const n of named) {
      const id = n.m.ids[0] as string
      if (used.has(id)) continue
      const weapon = phrases.find(t.slice(n.last + 1, n.last + 7), 'weapons')[0]
      if (weapon === undefined) continue
      const weaponLast = n.last + 1 + weapon.last
      const last = Math.min(t.length - 1, weaponLast + (t[weaponLast + 1]?.kind === 'word' ? 1 : 0))
      out.push({
        stance: 'accuses',
        actorIds: [id],
        certainty: 'asserted',
        self: false,
        implied: true,
        unnamed: null,
        span: spanOf(n.first, last),
        basis: 'the weapons are said to be the actor’s (no verb of blame: check the reading)',
        origin: null,
      })
      used.add(id)
    }
  }
  return out
}

type PhraseKind =
  | 'qualifiers'
  | 'metrics'
  | 'populations'
  | 'people'
  | 'including'
  | 'speech'
  | 'according'
  | 'citing'
  | 'told'
  | 'accuses'
  | 'denies'
  | 'hedges'
  | 'weapons'
  | 'notCounts'
  | 'notCountsBefore'
  | 'incidents'

interface Phrases {
  /** Every hit of a kind in the tokens, longest at each place, in order, not overlapping. */
  find<K extends PhraseKind>(t: readonly Token[], kind: K): Array<PhraseHit<ValueOf<K>>>
  /** The longest hit of a kind starting at token `i`. */
  at<K extends PhraseKind>(t: readonly Token[], i: number, kind: K): PhraseHit<ValueOf<K>> | null
  /** The longest hit of a kind ending at token `i`. */
  endingAt<K extends PhraseKind>(t: readonly Token[], i: number, kind: K): PhraseHit<ValueOf<K>> | null
  isBreak(x: Token): boolean
  isSelf(x: Token): boolean
}

type ValueOf<K extends PhraseKind> = K extends 'qualifiers'
  ? Qualifier
  : K extends 'metrics'
    ? Metric
    : K extends 'populations'
      ? Population
      : K extends 'accuses'
        ? 'after' | 'after_on' | 'before' | 'by_whom'
        : string

/** The lexicon's phrases as token sequences, indexed by their first word (and by their last, for `endingAt`). */
function compilePhrases(language: DraftLanguage): Phrases {
  const lx = language.lexicon
  const pairs = (list: ReadonlyArray<readonly [string, unknown]>) => list.map(([p, v]) => [p, v] as const)
  const plain = (list: readonly string[]) => list.map((p) => [p, p] as const)
  const table: Record<PhraseKind, ReadonlyArray<readonly [string, unknown]>> = {
    qualifiers: pairs(lx.qualifiers),
    metrics: pairs(lx.metrics),
    populations: pairs(lx.populations),
    people: plain(lx.people),
    including: plain(lx.including),
    speech: plain(lx.speech),
    according: plain(lx.according),
    citing: plain(lx.citing),
    told: plain(lx.told),
    accuses: pairs(lx.accuses),
    denies: plain(lx.denies),
    hedges: plain(lx.hedges),
    weapons: plain(lx.weapons),
    notCounts: pairs(lx.notCounts),
    notCountsBefore: pairs(lx.notCountsBefore),
    incidents: plain(lx.incidents),
  }
  type Entry = { words: string[]; value: unknown }
  const byFirst = new Map<PhraseKind, Map<string, Entry[]>>()
  const byLast = new Map<PhraseKind, Map<string, Entry[]>>()
  for (const [kind, list] of Object.entries(table) as Array<[PhraseKind, ReadonlyArray<readonly [string, unknown]>]>) {
    const first = new Map<string, Entry[]>()
    const last = new Map<string, Entry[]>()
    for (const [phrase, value] of list) {
      const words = language.tokens(phrase.toLowerCase(), 0).map((x) => x.lower)
      const entry = { words, value }
      first.set(
        words[0] as string,
        [...(first.get(words[0] as string) ?? []), entry].sort((a, b) => b.words.length - a.words.length),
      )
      last.set(
        words[words.length - 1] as string,
        [...(last.get(words[words.length - 1] as string) ?? []), entry].sort((a, b) => b.words.length - a.words.length),
      )
    }
    byFirst.set(kind, first)
    byLast.set(kind, last)
  }
  const matches = (t: readonly Token[], at: number, words: readonly string[]) => words.every((w, j) => t[at + j]?.lower === w)
  const breaks = new Set(lx.clauseBreaks)
  const self = new Set(lx.selfReference)
  const phrases: Phrases = {
    at(t, i, kind) {
      const x = t[i]
      if (x === undefined) return null
      for (const e of byFirst.get(kind)?.get(x.lower) ?? []) {
        if (matches(t, i, e.words)) return { first: i, last: i + e.words.length - 1, value: e.value as never }
      }
      return null
    },
    endingAt(t, i, kind) {
      const x = t[i]
      if (x === undefined) return null
      for (const e of byLast.get(kind)?.get(x.lower) ?? []) {
        const first = i - e.words.length + 1
        if (first >= 0 && matches(t, first, e.words)) return { first, last: i, value: e.value as never }
      }
      return null
    },
    find(t, kind) {
      const hits = []
      for (let i = 0; i < t.length; i++) {
        const hit = phrases.at(t, i, kind)
        if (hit === null) continue
        hits.push(hit)
        i = hit.last
      }
      return hits
    },
    isBreak: (x) => breaks.has(x.lower),
    isSelf: (x) => self.has(x.lower),
  }
  return phrases
}
