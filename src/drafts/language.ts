/**
 * #17 drafts from text: what the drafting engine (drafts/draft.ts) needs of
 * a language. The engine walks sentences and tokens and matches the
 * lexicon's phrases; everything that is a word of one language is here, so
 * that another language is another `DraftLanguage`, not another engine.
 */
import type { Metric, Population, Qualifier } from '../engine/types.js'

/** A word or a run of punctuation, with its place in the text. */
export interface Token {
  /** As written. */
  text: string
  /** Lower-cased (and apostrophes made straight): what the lexicon matches. */
  lower: string
  start: number
  end: number
  kind: 'number' | 'word' | 'punct'
}

/** A number the text gives: a count ("58", "eleven", "two dozen") or a vague quantity ("hundreds"). */
export interface NumberMention {
  /** Token indices, first and last (inclusive). */
  first: number
  last: number
  value: number | null
  /** For "dozens", "hundreds", "thousands": the qualifier itself. */
  vague: Extract<Qualifier, 'dozens' | 'hundreds' | 'thousands'> | null
}

/** A date the text gives, as a day of the calendar, relative to the publication where it must be. */
export interface DateMention {
  start: number
  end: number
  /** YYYY-MM-DD. */
  day: string
  /** False for "last week", "on Tuesday" (no year or day given): a guess. */
  certain: boolean
}

/** Phrases are lower-case token sequences, written as strings with single spaces ("lost their lives"). */
export interface Lexicon {
  /** Words just before a number, to the qualifier they make ("at least" → at_least). */
  qualifiers: ReadonlyArray<readonly [phrase: string, qualifier: Qualifier]>
  /** Words that say what happened to the people counted. */
  metrics: ReadonlyArray<readonly [phrase: string, metric: Metric]>
  /** Nouns after a number that say who was counted; `null` for people in general (population `all`). */
  populations: ReadonlyArray<readonly [phrase: string, population: Population]>
  /** Nouns for people in general after a number ("people", "persons"). */
  people: readonly string[]
  /** Words that join a part to the figure before it ("including 11 children"): the part takes its metric. */
  including: readonly string[]
  /** Verbs of saying: their subject is the speaker. */
  speech: readonly string[]
  /** "according to X": X is the speaker. */
  according: readonly string[]
  /** "R cited O (saying)": O is the origin, R a relay. */
  citing: readonly string[]
  /** "O told R": O is the origin, R a relay. */
  told: readonly string[]
  /**
   * Cues of an accusation; `target` says where its actors are: after the cue, after "on" ("blames X on Y"), before it
   * ("X was behind"), or after it only when it names one ("killed by Russian shelling"; "killed by the blast" is none).
   */
  accuses: ReadonlyArray<readonly [phrase: string, target: 'after' | 'after_on' | 'before' | 'by_whom']>
  /** Cues of a denial. */
  denies: readonly string[]
  /** Words that make an accusation a suspicion ("could have been", "likely"). */
  hedges: readonly string[]
  /** Words after a denial that stand for the speaker's own side ("their involvement", "conducting air strikes"). */
  selfReference: readonly string[]
  /** Words that, after an actor, blame it for a chemical or other weapon ("militant facilities used to produce chemical bombs"). */
  weapons: readonly string[]
  /** Words after a number that make it a measure, not a count of people (days, kilometres, percent…), with the reason. */
  notCounts: ReadonlyArray<readonly [phrase: string, reason: string]>
  /** Words before a number that make it not a count (currency, "aged", "No."). */
  notCountsBefore: ReadonlyArray<readonly [phrase: string, reason: string]>
  /** Nouns of incidents ("blast", "earthquake"): a sentence about casualties of another incident, elsewhere, is another event. */
  incidents: readonly string[]
  /** Words that end a clause: a figure's metric is not looked for across them. */
  clauseBreaks: readonly string[]
  /** Articles and the like, dropped at the start of an unresolved name ("the Kremlin press service"). */
  articles: readonly string[]
  /** Words that cannot be part of a name before a verb of saying ("that", "and"). */
  nameStops: readonly string[]
}

export interface DraftLanguage {
  /** BCP 47. */
  code: string
  lexicon: Lexicon
  /** Sentence spans of one paragraph. */
  sentences(paragraph: string): Array<{ start: number; end: number }>
  tokens(sentence: string, offset: number): Token[]
  /** Numbers among the tokens, in order, none overlapping. */
  numbers(tokens: readonly Token[]): NumberMention[]
  /** Dates in a sentence, relative to `reference` (the publication). */
  dates(sentence: string, offset: number, reference: Date): DateMention[]
  /** Whether a paragraph is an item of a list ("- Moscow insists…"), and where its text starts. */
  listItem(paragraph: string): number | null
}
