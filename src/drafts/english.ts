/**
 * English for the drafting engine (drafts/language.ts): sentences from the
 * platform's Unicode segmenter (Intl.Segmenter, with the abbreviations it
 * splits on joined back), numbers in words through compromise, dates
 * through chrono-node, and the words news reports use for casualties,
 * speakers and blame.
 */
import * as chrono from 'chrono-node'
import nlp from 'compromise'
import type { DateMention, DraftLanguage, Lexicon, NumberMention, Token } from './language.js'

/** Words that end with a full stop without ending the sentence. */
const ABBREVIATIONS = new Set(
  [
    'u.s',
    'u.n',
    'u.k',
    'e.u',
    'dr',
    'mr',
    'mrs',
    'ms',
    'st',
    'gen',
    'lt',
    'col',
    'capt',
    'sgt',
    'maj',
    'rep',
    'sen',
    'gov',
    'no',
    'jan',
    'feb',
    'mar',
    'apr',
    'aug',
    'sept',
    'sep',
    'oct',
    'nov',
    'dec',
    'vs',
    'approx',
    'est',
  ].map((a) => `${a}.`),
)

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' })

function sentences(paragraph: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = []
  for (const { index, segment } of segmenter.segment(paragraph)) {
    const previous = spans[spans.length - 1]
    const end = index + segment.trimEnd().length
    if (end === index) continue
    if (previous !== undefined && endsWithAbbreviation(paragraph.slice(previous.start, previous.end))) previous.end = end
    else spans.push({ start: index + (segment.length - segment.trimStart().length), end })
  }
  return spans
}

function endsWithAbbreviation(sentence: string): boolean {
  const last = /(\S+)$/.exec(sentence)?.[1]?.toLowerCase() ?? ''
  // A single capital and a stop ("J. Smith") or a known abbreviation.
  return ABBREVIATIONS.has(last) || /^\p{Lu}\.$/u.test(last.toUpperCase()) || /^(?:\p{L}\.){2,}$/u.test(last)
}

/** Words that start with digits ("5-year-old"), numbers with thousands separators or decimals, words (with inner hyphens and apostrophes), and single other characters. */
const TOKEN = /\d+(?:[-‐]\p{L}+)+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?!\p{L})|[\p{L}\p{N}]+(?:['’\-‐][\p{L}\p{N}]+)*|[^\s]/gu

function tokens(sentence: string, offset: number): Token[] {
  const out: Token[] = []
  for (const m of sentence.matchAll(TOKEN)) {
    const text = m[0]
    const start = offset + (m.index ?? 0)
    const kind = /^\d/.test(text) && /^[\d.,]+$/.test(text) ? 'number' : /[\p{L}\p{N}]/u.test(text) ? 'word' : 'punct'
    out.push({ text, lower: text.toLowerCase().replace(/’/g, "'"), start, end: start + text.length, kind })
  }
  return out
}

/** Words that make numbers ("twenty-five", "one hundred and twelve", "two dozen"). */
const NUMBER_WORDS = new Set([
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
  'twenty',
  'thirty',
  'forty',
  'fifty',
  'sixty',
  'seventy',
  'eighty',
  'ninety',
  'hundred',
  'thousand',
  'million',
  'dozen',
])
const MULTIPLIERS: Record<string, number> = { hundred: 100, thousand: 1_000, million: 1_000_000, dozen: 12 }
const VAGUE: Record<string, NumberMention['vague']> = { dozens: 'dozens', scores: 'dozens', hundreds: 'hundreds', thousands: 'thousands' }

const isNumberWord = (lower: string) => NUMBER_WORDS.has(lower) || lower.split('-').every((part) => NUMBER_WORDS.has(part))

/** compromise reads number words; the phrases repeat, so each is read once. */
const wordValues = new Map<string, number | null>()
function valueOfWords(phrase: string): number | null {
  let value = wordValues.get(phrase)
  if (value === undefined) {
    const [first] = nlp(phrase).numbers().get() as unknown[]
    value = typeof first === 'number' && Number.isInteger(first) && first >= 0 ? first : null
    if (wordValues.size < 10_000) wordValues.set(phrase, value)
  }
  return value
}

function numbers(list: readonly Token[]): NumberMention[] {
  const out: NumberMention[] = []
  for (let i = 0; i < list.length; i++) {
    const token = list[i] as Token
    const vague = VAGUE[token.lower]
    if (vague !== undefined) {
      out.push({ first: i, last: i, value: null, vague })
      continue
    }
    if (token.kind === 'number') {
      let value = Number(token.text.replace(/,/g, ''))
      let last = i
      const next = list[i + 1]
      const multiplier = next === undefined ? undefined : MULTIPLIERS[next.lower]
      if (multiplier !== undefined && next?.lower !== 'dozen') {
        value *= multiplier
        last = i + 1
      }
      if (Number.isInteger(value)) out.push({ first: i, last, value, vague: null })
      i = last
      continue
    }
    // "a dozen", "a hundred", or a run of number words joined by "and".
    const startsWithA =
      (token.lower === 'a' || token.lower === 'an') && list[i + 1] !== undefined && MULTIPLIERS[list[i + 1]?.lower ?? ''] !== undefined
    if (!startsWithA && !isNumberWord(token.lower)) continue
    let last = startsWithA ? i + 1 : i
    while (last + 1 < list.length) {
      const next = list[last + 1] as Token
      if (isNumberWord(next.lower)) last++
      else if (next.lower === 'and' && list[last + 2] !== undefined && isNumberWord((list[last + 2] as Token).lower)) last += 2
      else break
    }
    // "one" alone is rarely a count ("one of the victims"): only with a noun of people after it, which the engine checks.
    const phrase = list
      .slice(i, last + 1)
      .map((t) => t.lower)
      .join(' ')
    const value = valueOfWords(phrase)
    if (value !== null) out.push({ first: i, last, value, vague: null })
    i = last
  }
  return out
}

function dates(sentence: string, offset: number, reference: Date): DateMention[] {
  // Cheap test first: chrono parses every sentence otherwise, and most sentences have no date.
  if (!/\d|yesterday|today|tonight|week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\bago\b/i.test(sentence)) return []
  return chrono.en.parse(sentence, { instant: reference, timezone: 0 }, { forwardDate: false }).map((r) => {
    const year = r.start.get('year') ?? reference.getUTCFullYear()
    const month = r.start.get('month') ?? 1
    const day = r.start.get('day') ?? 1
    return {
      start: offset + r.index,
      end: offset + r.index + r.text.length,
      day: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      certain: r.start.isCertain('day') && r.start.isCertain('month') && !/week|month|ago/i.test(r.text),
    }
  })
}

function listItem(paragraph: string): number | null {
  const m = /^\s*(?:[-–—•*]|\d+[.)])\s+/.exec(paragraph)
  return m === null ? null : m[0].length
}

const lexicon: Lexicon = {
  qualifiers: [
    ['at least', 'at_least'],
    ['no fewer than', 'at_least'],
    ['no less than', 'at_least'],
    ['a minimum of', 'at_least'],
    ['more than', 'more_than'],
    ['over', 'more_than'],
    ['upwards of', 'more_than'],
    ['in excess of', 'more_than'],
    ['up to', 'at_most'],
    ['as many as', 'at_most'],
    ['at most', 'at_most'],
    ['no more than', 'at_most'],
    ['fewer than', 'fewer_than'],
    ['less than', 'fewer_than'],
    ['under', 'fewer_than'],
    ['about', 'approximately'],
    ['around', 'approximately'],
    ['some', 'approximately'],
    ['nearly', 'approximately'],
    ['almost', 'approximately'],
    ['approximately', 'approximately'],
    ['roughly', 'approximately'],
    ['an estimated', 'approximately'],
    ['estimated', 'approximately'],
    ['close to', 'approximately'],
    ['about', 'approximately'],
  ],
  metrics: [
    ['killed', 'killed'],
    ['kill', 'killed'],
    ['kills', 'killed'],
    ['killing', 'killed'],
    ['dead', 'killed'],
    ['died', 'killed'],
    ['die', 'killed'],
    ['death', 'killed'],
    ['deaths', 'killed'],
    ['death toll', 'killed'],
    ['toll', 'killed'],
    ['fatalities', 'killed'],
    ['lost their lives', 'killed'],
    ['perished', 'killed'],
    ['slain', 'killed'],
    ['executed', 'killed'],
    ['executing', 'killed'],
    ['executions', 'killed'],
    ['massacred', 'killed'],
    ['bodies', 'killed'],
    ['injured', 'injured'],
    ['injuring', 'injured'],
    ['injuries', 'injured'],
    ['wounded', 'injured'],
    ['wounding', 'injured'],
    ['hurt', 'injured'],
    ['casualties', 'casualties'],
    ['killed or injured', 'casualties'],
    ['killed or wounded', 'casualties'],
    ['dead or wounded', 'casualties'],
    ['missing', 'missing'],
    ['unaccounted for', 'missing'],
    ['displaced', 'displaced'],
    ['fled', 'displaced'],
    ['forced to flee', 'displaced'],
    ['uprooted', 'displaced'],
    ['homeless', 'displaced'],
    ['detained', 'detained'],
    ['arrested', 'detained'],
    ['detention', 'detained'],
    ['jailed', 'detained'],
    ['imprisoned', 'detained'],
    ['captured', 'captured'],
    ['taken prisoner', 'captured'],
    ['prisoners of war', 'captured'],
    ['abducted', 'captured'],
    ['prisoner', 'captured'],
    ['prisoners', 'captured'],
    ['hostages', 'captured'],
    ['detainees', 'detained'],
    ['refugees', 'displaced'],
    ['evacuees', 'displaced'],
    ['kidnapped', 'captured'],
    ['affected', 'affected'],
  ],
  populations: [
    ['children', 'children'],
    ['child', 'children'],
    ['minors', 'children'],
    ['boys', 'children'],
    ['girls', 'children'],
    ['babies', 'children'],
    ['civilians', 'civilians'],
    ['civilian', 'civilians'],
    ['women', 'women'],
    ['woman', 'women'],
    ['men', 'men'],
    ['medical workers', 'medical_workers'],
    ['health workers', 'medical_workers'],
    ['healthcare workers', 'medical_workers'],
    ['medics', 'medical_workers'],
    ['doctors', 'medical_workers'],
    ['nurses', 'medical_workers'],
    ['paramedics', 'medical_workers'],
    ['journalists', 'journalists'],
    ['reporters', 'journalists'],
    ['media workers', 'journalists'],
    ['soldiers', 'combatants'],
    ['troops', 'combatants'],
    ['servicemen', 'combatants'],
    ['service members', 'combatants'],
    ['servicemembers', 'combatants'],
    ['fighters', 'combatants'],
    ['combatants', 'combatants'],
    ['militants', 'combatants'],
    ['military personnel', 'combatants'],
    ['personnel', 'combatants'],
    ['officers', 'combatants'],
  ],
  people: [
    'people',
    'persons',
    'person',
    'individuals',
    'residents',
    'victims',
    'others',
    'more',
    'villagers',
    'migrants',
    'refugees',
    'patients',
    'passengers',
    'workers',
    'protesters',
    'demonstrators',
    'students',
    'worshippers',
    'inhabitants',
    'pilgrims',
  ],
  including: ['including', 'among them', 'of whom', 'of them', 'among whom', 'among those'],
  speech: [
    'said',
    'says',
    'say',
    'stated',
    'states',
    'reported',
    'reports',
    'announced',
    'announces',
    'alleged',
    'alleges',
    'claimed',
    'claims',
    'confirmed',
    'confirms',
    'estimated',
    'estimates',
    'added',
    'insisted',
    'insists',
    'told',
    'wrote',
    'warned',
    'warns',
    'denied',
    'denies',
    'blamed',
    'blames',
    'accused',
    'accuses',
    'put the toll',
    'put the death toll',
    'counted',
    'recorded',
    'documented',
    'tallied',
    'revised',
    'raised',
    'updated',
    'rejected',
    'rejects',
  ],
  according: ['according to', 'citing', 'quoting'],
  citing: ['cited', 'quoted', 'citing', 'quoting'],
  told: ['told'],
  accuses: [
    ['blamed', 'after_on'],
    ['blames', 'after_on'],
    ['blame', 'after_on'],
    ['blaming', 'after_on'],
    ['accused', 'after'],
    ['accuses', 'after'],
    ['accusing', 'after'],
    ['carried out by', 'after'],
    ['conducted by', 'after'],
    ['perpetrated by', 'after'],
    ['committed by', 'after'],
    ['launched by', 'after'],
    ['responsible', 'before'],
    ['was behind', 'before'],
    ['were behind', 'before'],
    ['killed by', 'by_whom'],
    ['wounded by', 'by_whom'],
    ['injured by', 'by_whom'],
    ['hit by', 'by_whom'],
    ['struck by', 'by_whom'],
  ],
  denies: ['denied', 'denies', 'deny', 'denying', 'rejected', 'rejects', 'refuted', 'refutes', 'dismissed'],
  hedges: [
    'could have',
    'could',
    'may have',
    'may',
    'might have',
    'might',
    'likely',
    'probably',
    'possibly',
    'suspected',
    'believed to',
    'appears to',
    'apparently',
  ],
  selfReference: [
    'their',
    'its',
    'his',
    'her',
    'our',
    'any',
    'involvement',
    'conducting',
    'carrying',
    'responsibility',
    'role',
    'accusation',
    'accusations',
    'allegation',
    'allegations',
    'charges',
    'claims',
    'reports',
  ],
  weapons: ['chemical', 'toxic', 'nerve agent', 'sarin', 'chlorine'],
  notCounts: [
    ['%', 'a percentage'],
    ['percent', 'a percentage'],
    ['per cent', 'a percentage'],
    ['percentage points', 'a percentage'],
    ['dollars', 'an amount of money'],
    ['euros', 'an amount of money'],
    ['pounds', 'an amount of money'],
    ['roubles', 'an amount of money'],
    ['rubles', 'an amount of money'],
    ['km', 'a distance'],
    ['kilometres', 'a distance'],
    ['kilometers', 'a distance'],
    ['miles', 'a distance'],
    ['metres', 'a distance'],
    ['meters', 'a distance'],
    ['kg', 'a weight'],
    ['tonnes', 'a weight'],
    ['tons', 'a weight'],
    ['years', 'a length of time'],
    ['year', 'a length of time'],
    ['months', 'a length of time'],
    ['weeks', 'a length of time'],
    ['days', 'a length of time'],
    ['hours', 'a length of time'],
    ['minutes', 'a length of time'],
    ['am', 'a time of day'],
    ['pm', 'a time of day'],
    ['year-old', 'an age'],
    ['years old', 'an age'],
    ['buildings', 'a count of things, not people'],
    ['homes', 'a count of things, not people'],
    ['houses', 'a count of things, not people'],
    ['vehicles', 'a count of things, not people'],
    ['tanks', 'a count of things, not people'],
    ['aircraft', 'a count of things, not people'],
    ['missiles', 'a count of things, not people'],
    ['rockets', 'a count of things, not people'],
    ['drones', 'a count of things, not people'],
    ['bombs', 'a count of things, not people'],
    ['strikes', 'a count of things, not people'],
    ['airstrikes', 'a count of things, not people'],
    ['attacks', 'a count of things, not people'],
    ['hospitals', 'a count of things, not people'],
    ['schools', 'a count of things, not people'],
    ['villages', 'a count of things, not people'],
    ['towns', 'a count of things, not people'],
    ['countries', 'a count of things, not people'],
    ['times', 'a count of things, not people'],
    ['families', 'a count of households, not people'],
    ['households', 'a count of households, not people'],
  ],
  notCountsBefore: [
    ['$', 'an amount of money'],
    ['€', 'an amount of money'],
    ['£', 'an amount of money'],
    ['us$', 'an amount of money'],
    ['aged', 'an age'],
    ['age', 'an age'],
    ['no', 'a number in a name'],
    ['number', 'a number in a name'],
    ['resolution', 'a number in a name'],
    ['flight', 'a number in a name'],
    ['route', 'a number in a name'],
    ['covid', 'a number in a name'],
  ],
  incidents: [
    'blast',
    'explosion',
    'bombing',
    'earthquake',
    'quake',
    'flood',
    'floods',
    'fire',
    'crash',
    'shooting',
    'stampede',
    'hurricane',
    'storm',
    'landslide',
    'derailment',
  ],
  clauseBreaks: [';', ':', '(', ')', 'but', 'while', 'whereas', 'although'],
  articles: ['the', 'a', 'an'],
  nameStops: [
    'that',
    'and',
    'or',
    'which',
    'who',
    'whom',
    'whose',
    'when',
    'where',
    'said',
    'says',
    'later',
    'also',
    'earlier',
    'it',
    'he',
    'she',
    'they',
    'we',
    'in',
    'on',
    'at',
    'by',
    'with',
    'to',
    'from',
    'of',
    'as',
    'for',
    'is',
    'was',
    'were',
    'are',
    'has',
    'had',
    'have',
  ],
}

export const english: DraftLanguage = {
  code: 'en',
  lexicon,
  sentences,
  tokens,
  numbers,
  dates,
  listItem,
}
