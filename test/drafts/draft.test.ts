/**
 * The drafting engine (src/drafts, #17) on sentences with known readings:
 * numbers, ranges and qualifiers, metrics and populations, speakers and
 * relays, dates, stances, skips and guesses; and properties over random
 * sentences and random text (seeded: test/seed.ts prints the seed).
 */
import t from 'tap'
import fc from 'fast-check'
import { type DraftClaim, type DraftInput, draftClaims, draftSteps } from '../../src/drafts/draft.js'
import { english } from '../../src/drafts/english.js'
import { draftDirectory } from '../../src/drafts/names.js'
import { holds } from '../engine/fixtures/claims.js'

const SOURCES = [
  { id: 'who', names: ['World Health Organization', 'WHO'], affiliated_actor_id: null },
  { id: 'sohr', names: ['Syrian Observatory for Human Rights', 'SOHR'], affiliated_actor_id: null },
  { id: 'reuters', names: ['Reuters'], affiliated_actor_id: null },
  { id: 'ap', names: ['Associated Press', 'AP'], affiliated_actor_id: null },
  {
    id: 'ua-mod',
    names: ['Ukrainian Defence Ministry', "Ukraine's defence ministry", 'Ukrainian military'],
    affiliated_actor_id: 'ua-forces',
  },
  { id: 'ru-mod', names: ['Russian Defence Ministry', "Russia's defence ministry", 'Russian military'], affiliated_actor_id: 'ru-forces' },
  { id: 'idf', names: ['Israel Defense Forces', 'Israeli military'], affiliated_actor_id: 'israel' },
  { id: 'gaza-moh', names: ['Gaza health ministry'], affiliated_actor_id: null },
]
const ACTORS = [
  { id: 'ua-forces', names: ['Ukrainian forces', 'Ukrainian troops'], kind: 'armed_forces' },
  { id: 'ru-forces', names: ['Russian forces', 'Russian troops', 'Russia'], kind: 'armed_forces' },
  { id: 'israel', names: ['Israel', 'Israeli forces'], kind: 'armed_forces' },
  { id: 'hamas', names: ['Hamas'], kind: 'armed_group' },
  { id: 'rebels', names: ['rebels', 'militants', 'terrorists'], kind: 'armed_group' },
]
const DIRECTORY = draftDirectory(SOURCES, ACTORS)

function draft(text: string, extra: Partial<DraftInput> = {}) {
  return draftClaims(
    { text, published_at: '2022-03-10T12:00:00.000Z', url: null, publisher_id: 'reuters', event: null, ...extra },
    DIRECTORY,
    english,
  )
}

/** A figure draft in short: [source, metric, population, qualifier, numbers…]. */
function figures(text: string, extra: Partial<DraftInput> = {}): Array<Array<string | number | null>> {
  return draft(text, extra).drafts.flatMap(({ claim: c }) =>
    c.kind === 'figure'
      ? [
          [
            c.source_id,
            c.metric,
            c.population,
            c.qualifier,
            ...(c.qualifier === 'range' ? [c.low ?? null, c.high ?? null] : c.value === undefined ? [] : [c.value]),
          ],
        ]
      : [],
  )
}
function stances(text: string): Array<[string | null, string, string[], string]> {
  return draft(text).drafts.flatMap(({ claim: c }) =>
    c.kind === 'attribution' ? [[c.source_id, c.stance, c.actor_ids, c.certainty] as [string | null, string, string[], string]] : [],
  )
}

t.test('numbers in digits and words, and every qualifier of contract §2', async (t) => {
  const cases: Array<[string, Array<Array<string | number | null>>]> = [
    ['The WHO said 58 people were killed.', [['who', 'killed', 'all', 'exact', 58]]],
    ['The WHO said 1,200 people were killed.', [['who', 'killed', 'all', 'exact', 1200]]],
    ['The WHO said eleven people were killed.', [['who', 'killed', 'all', 'exact', 11]]],
    ['The WHO said two dozen people were injured.', [['who', 'injured', 'all', 'exact', 24]]],
    ['The WHO said 1.5 million people were displaced.', [['who', 'displaced', 'all', 'exact', 1_500_000]]],
    ['The WHO said between 58 and 86 people were killed.', [['who', 'killed', 'all', 'range', 58, 86]]],
    ['The WHO said 58 to 86 people were killed.', [['who', 'killed', 'all', 'range', 58, 86]]],
    ['The WHO said at least 70 people have died.', [['who', 'killed', 'all', 'at_least', 70]]],
    ['The WHO said more than 70 people died.', [['who', 'killed', 'all', 'more_than', 70]]],
    ['The WHO said over 70 people died.', [['who', 'killed', 'all', 'more_than', 70]]],
    ['The WHO said up to 70 people died.', [['who', 'killed', 'all', 'at_most', 70]]],
    ['The WHO said fewer than 70 people died.', [['who', 'killed', 'all', 'fewer_than', 70]]],
    ['The WHO said about 70 people died.', [['who', 'killed', 'all', 'approximately', 70]]],
    ['The WHO said some 70 people died.', [['who', 'killed', 'all', 'approximately', 70]]],
    ['The WHO said nearly 70 people died.', [['who', 'killed', 'all', 'approximately', 70]]],
    ['The WHO said around 70 people died.', [['who', 'killed', 'all', 'approximately', 70]]],
    ['The WHO said dozens of people were hurt.', [['who', 'injured', 'all', 'dozens']]],
    ['The WHO said hundreds were affected.', [['who', 'affected', 'all', 'hundreds']]],
    ['The WHO said thousands were displaced.', [['who', 'displaced', 'all', 'thousands']]],
  ]
  for (const [text, expected] of cases) t.strictSame(figures(text), expected, text)
})

t.test('metrics and populations from the words around the number', async (t) => {
  const cases: Array<[string, Array<Array<string | number | null>>]> = [
    [
      'SOHR said an airstrike had killed 58 people including 11 children.',
      [
        ['sohr', 'killed', 'all', 'exact', 58],
        ['sohr', 'killed', 'children', 'exact', 11],
      ],
    ],
    [
      'The WHO said 70 people have died and hundreds more have been affected.',
      [
        ['who', 'killed', 'all', 'exact', 70],
        ['who', 'affected', 'all', 'hundreds'],
      ],
    ],
    ['The WHO said 12 civilians lost their lives.', [['who', 'killed', 'civilians', 'exact', 12]]],
    ['The WHO said 12 women were wounded.', [['who', 'injured', 'women', 'exact', 12]]],
    ['The WHO said 5 medical workers were missing.', [['who', 'missing', 'medical_workers', 'exact', 5]]],
    ['The WHO said 3 journalists were detained.', [['who', 'detained', 'journalists', 'exact', 3]]],
    ["Ukraine's defence ministry said 40 soldiers were captured.", [['ua-mod', 'captured', 'combatants', 'exact', 40]]],
    ['The WHO said the death toll rose to 90.', [['who', 'killed', 'all', 'exact', 90]]],
    ["Ukraine's defence ministry said it had taken 40 Russian soldiers prisoner.", [['ua-mod', 'captured', 'combatants', 'exact', 40]]],
    ['The WHO said 2 million refugees had been recorded.', [['who', 'displaced', 'all', 'exact', 2_000_000]]],
    [
      'The WHO said 19 fighters and seven civilians were killed.',
      [
        ['who', 'killed', 'combatants', 'exact', 19],
        ['who', 'killed', 'civilians', 'exact', 7],
      ],
    ],
  ]
  for (const [text, expected] of cases) t.strictSame(figures(text), expected, text)
})

t.test('who said it: speakers, relays, the publisher last', async (t) => {
  const via = (text: string, publisher: string | null = 'reuters') =>
    draft(text, { publisher_id: publisher }).drafts.map((d) => [d.claim.source_id, d.claim.via])
  t.strictSame(via('Reuters cited SOHR saying 58 people were killed.', 'ap'), [['sohr', ['reuters', 'ap']]], 'R cited O saying')
  t.strictSame(via('According to the WHO, 58 people were killed.'), [['who', ['reuters']]], 'according to')
  t.strictSame(via('The WHO told AP that 58 people were killed.'), [['who', ['ap', 'reuters']]], 'O told R')
  t.strictSame(via('58 people were killed, the WHO said.'), [['who', ['reuters']]], 'the speaker after')
  t.strictSame(via('The WHO said 58 people were killed.', 'who'), [['who', []]], 'the publisher is no relay of itself')
  const none = draft('Rescuers pulled 58 bodies from the rubble on Tuesday.', { publisher_id: null })
  t.strictSame(
    none.drafts.map((d) => [d.claim.source_id, d.missing, d.confidence.level, d.guesses.map((g) => g.field)]),
    [[null, ['source_id', 'event_id'], 'low', ['source_id', 'stated_at']]],
    'no speaker and no publisher: missing, and said so',
  )
  const own = draft('Rescuers pulled 58 bodies from the rubble.', { publisher_id: 'ap' })
  t.strictSame(own.drafts[0]?.guesses[0], { field: 'source_id', reason: 'no speaker named: the publisher’s own reporting' })
  const carried = draft('The WHO said 58 people were killed. It said 20 more were injured.')
  t.strictSame(
    carried.drafts.map((d) => [d.claim.source_id, d.guesses.map((g) => g.field)]),
    [
      ['who', ['stated_at']],
      ['who', ['source_id', 'stated_at']],
    ],
    '"It said": the sentence before’s speaker, as a guess',
  )
  t.strictSame(
    draft('The Russian and Ukrainian militaries denied involvement.').drafts.map((d) => [
      d.claim.source_id,
      d.claim.kind === 'attribution' ? d.claim.actor_ids : null,
    ]),
    [
      ['ru-mod', ['ru-forces']],
      ['ua-mod', ['ua-forces']],
    ],
    'two speakers joined by "and", each denying for its own side',
  )
  t.strictSame(
    draft('Experts who said 58 people were killed were cited.').drafts.map((d) => d.claim.source_id),
    ['reuters'],
    'an acronym (WHO) matches only in capitals',
  )
  const unknown = draft('The Kremlin press service said 58 people were killed.')
  t.strictSame(
    unknown.unresolved.map((u) => [u.kind, u.text]),
    [['source', 'Kremlin press service']],
  )
})

t.test('when: a date before the verb of saying, relative to the publication; else the publication, as a guess', async (t) => {
  const stated = (text: string) =>
    draft(text).drafts.map((d) => [d.claim.stated_at, d.guesses.filter((g) => g.field === 'stated_at').length])
  t.strictSame(stated('On March 4, the WHO said 58 people were killed.'), [['2022-03-04', 0]])
  t.strictSame(stated('The WHO said on Tuesday that 58 people were killed.'), [['2022-03-08', 1]], 'a weekday: which one is a guess')
  t.strictSame(stated('Yesterday the WHO said 58 people were killed.'), [['2022-03-09', 0]])
  t.strictSame(
    stated('The WHO said that on March 4 an airstrike killed 58 people.'),
    [['2022-03-10T12:00:00.000Z', 1]],
    'the event’s date is not the statement’s',
  )
  t.strictSame(
    stated('On March 4, the WHO said 58 people were killed. The WHO said 20 were injured.'),
    [
      ['2022-03-04', 0],
      ['2022-03-04', 1],
    ],
    'the sentence before’s date, in one paragraph, as a guess',
  )
})

t.test('stances: accusations, suspicions, denials', async (t) => {
  t.strictSame(stances('The Israeli military blamed the blast on Hamas.'), [['idf', 'accuses', ['hamas'], 'asserted']])
  t.strictSame(stances('The Gaza health ministry accused Israel of the strike.'), [['gaza-moh', 'accuses', ['israel'], 'asserted']])
  t.strictSame(stances('Reuters said the attack could have been carried out by Russian forces or rebels.'), [
    ['reuters', 'accuses', ['ru-forces', 'rebels'], 'suspected'],
  ])
  t.strictSame(stances("Russia's defence ministry denied carrying out the strike."), [['ru-mod', 'denies', ['ru-forces'], 'asserted']])
  t.strictSame(stances('The WHO denied that Hamas was involved.'), [['who', 'denies', ['hamas'], 'asserted']])
  t.strictSame(stances("Russia's defence ministry said the strike was not carried out by Russian forces."), [
    ['ru-mod', 'denies', ['ru-forces'], 'asserted'],
  ])
  t.strictSame(
    stances('The Israeli military blamed Hamas for the blast on the road.'),
    [['idf', 'accuses', ['hamas'], 'asserted']],
    'blamed X for Z on …',
  )
  t.strictSame(
    stances('The Israeli military denied the accusations.'),
    [['idf', 'denies', ['israel'], 'asserted']],
    'denied the accusations: its own side',
  )
  const nobody = draft('The WHO denied any involvement.')
  t.strictSame([nobody.drafts, nobody.skipped.map((s) => s.reason)], [[], ['no_actor']], 'a denial for no side: skipped, said why')
  const unknownActor = draft('The Israeli military blamed the blast on smugglers.')
  t.strictSame(
    unknownActor.unresolved.map((u) => [u.kind, u.text]),
    [['actor', 'smugglers']],
  )
})

t.test('skipped: dates, numbers that are not counts of people, another event, duplicates', async (t) => {
  const skipped = (text: string, extra: Partial<DraftInput> = {}) => draft(text, extra).skipped.map((s) => [s.reason, s.text])
  t.strictSame(skipped('The WHO said on March 4 that 5% of 300 buildings were hit.'), [
    ['date', '4'],
    ['not_a_count', '5'],
    ['not_a_count', '300'],
  ])
  t.strictSame(skipped('The WHO said 2022 was the worst year.'), [['date', '2022']])
  t.strictSame(skipped('The WHO said 58 trucks arrived.'), [['no_metric', '58']])
  t.strictSame(
    skipped('The WHO said a 5-year-old girl was among 12 people killed.').map((s) => s[0]),
    [],
  )
  const other = draft('The WHO said 12 people were killed in the metro blast in St. Petersburg.', {
    event: { id: 'khan', words: ['khan shaykhun', 'idlib'] },
  })
  t.strictSame(
    [other.drafts, other.skipped.map((s) => [s.reason, s.detail])],
    [[], [['another_event', 'about "metro blast in St. Petersburg", not this event']]],
  )
  t.strictSame(
    figures('The WHO said 12 people were killed in the blast in Idlib.', { event: { id: 'khan', words: ['idlib'] } }),
    [['who', 'killed', 'all', 'exact', 12]],
    'a blast at the event’s place is the event',
  )
  const twice = draft('- The WHO says 58 killed\nThe WHO said 58 people were killed.')
  t.strictSame([twice.drafts.length, twice.skipped.map((s) => s.reason)], [1, ['duplicate']])
})

t.test('draftSteps yields once a paragraph, and its answer is draftClaims’s', async (t) => {
  const text = 'The WHO said 58 people were killed.\n\nReuters said 12 were injured.\nAP said 3 were missing.'
  const input = { text, published_at: '2022-03-10T12:00:00.000Z', url: null, publisher_id: null, event: null }
  const steps = draftSteps(input, DIRECTORY, english)
  let yields = 0
  let step = steps.next()
  while (step.done !== true) {
    yields++
    step = steps.next()
  }
  t.equal(yields, 3)
  t.strictSame(step.value, draftClaims(input, DIRECTORY, english))
})

t.test('properties', async (t) => {
  const qualifierWords = fc.constantFrom('', 'at least ', 'more than ', 'up to ', 'fewer than ', 'about ', 'nearly ')
  const sentence = fc.record({
    speaker: fc.constantFrom('The WHO', 'Reuters', 'SOHR', 'The Gaza health ministry'),
    qualifier: qualifierWords,
    value: fc.integer({ min: 2, max: 1_000_000 }),
    noun: fc.constantFrom('people', 'children', 'civilians', 'soldiers', 'women'),
    verb: fc.constantFrom('were killed', 'were injured', 'died', 'were displaced', 'are missing'),
  })
  holds(
    t,
    'a sentence "X said Q N NOUN VERB" drafts that one figure, its quote being the text at its span',
    fc.property(fc.array(sentence, { minLength: 1, maxLength: 5 }), (list) => {
      const text = list.map((s) => `${s.speaker} said ${s.qualifier}${s.value.toLocaleString('en')} ${s.noun} ${s.verb}.`).join('\n')
      const out = draft(text, { publisher_id: null })
      const keys = new Set<string>()
      const expected = list.flatMap((s) => {
        const key = JSON.stringify([s.speaker, s.qualifier, s.value, s.noun, s.verb])
        if (keys.has(key)) return []
        keys.add(key)
        return [s.value]
      })
      return (
        out.drafts.length === expected.length &&
        out.drafts.every(
          (d, i) =>
            (d.claim as Extract<DraftClaim, { kind: 'figure' }>).value === expected[i] &&
            text.slice(d.span.start, d.span.end) === d.claim.quote,
        )
      )
    }),
  )
  holds(
    t,
    'any text at all: no exception, and every quote and span is the text’s',
    fc.property(fc.string({ maxLength: 400, unit: 'grapheme' }), (text) => {
      const out = draft(text)
      return [
        ...out.drafts.map((d) => ({ span: d.span, quote: d.claim.quote })),
        ...out.unresolved.map((u) => ({ span: u.span, quote: u.text })),
      ].every((x) => x.span.start >= 0 && x.span.end <= text.length && text.slice(x.span.start, x.span.end) === x.quote)
    }),
    { numRuns: 300 },
  )
})
