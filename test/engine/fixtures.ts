/** Builders shared by the engine tests (not a test file itself). */
import fc from 'fast-check'
import { QUALIFIERS } from '../../src/engine/types.js'
import type {
  ActorInfo,
  AttributionClaim,
  Directory,
  FigureClaim,
  FigureStatement,
  Qualifier,
  SourceInfo,
} from '../../src/engine/types.js'

/** A date as the API stores it: 00:00:00Z that day. */
export const day = (date: string) => `${date}T00:00:00.000Z`
/** `as_of` given as a date: the end of that day. */
export const endOf = (date: string) => `${date}T23:59:59.999Z`

const base = {
  event_id: 'e',
  via: [] as string[],
  supersedes: null,
  retraction: null,
  quote: null,
  url: null,
}

type Required<K extends keyof FigureClaim | keyof AttributionClaim> = 'id' | 'source_id' | K

export function figure(
  fields: Partial<FigureClaim> & Pick<FigureClaim, Required<'stated_at' | 'qualifier'>>,
): FigureClaim {
  return {
    ...base,
    kind: 'figure',
    metric: 'killed',
    population: 'all',
    party: null,
    value: null,
    low: null,
    high: null,
    best: null,
    recorded_at: fields.stated_at,
    ...fields,
  }
}

export function attribution(
  fields: Partial<AttributionClaim> &
    Pick<AttributionClaim, Required<'stated_at' | 'stance' | 'actor_ids'>>,
): AttributionClaim {
  return {
    ...base,
    kind: 'attribution',
    certainty: 'asserted',
    role: null,
    recorded_at: fields.stated_at,
    ...fields,
  }
}

export function statement(qualifier: Qualifier, numbers: Partial<FigureStatement> = {}) {
  return { qualifier, value: null, low: null, high: null, best: null, ...numbers }
}

export function directory(
  sources: Array<Partial<SourceInfo> & { id: string }> = [],
  actors: Array<Partial<ActorInfo> & { id: string }> = [],
): Directory {
  return {
    sources: new Map(
      sources.map((s) => [s.id, { name: s.id, affiliated_actor_id: null, ...s }]),
    ),
    actors: new Map(actors.map((a) => [a.id, { name: a.id, parent_id: null, ...a }])),
  }
}

/** Runs a property and records one assertion, carrying the counterexample when it fails. */
export function holds<Ts>(
  t: { notOk(value: unknown, message?: string): boolean },
  name: string,
  property: fc.IProperty<Ts>,
  params?: fc.Parameters<Ts>,
): void {
  const details = fc.check(property, params)
  t.notOk(details.failed, details.failed ? (fc.defaultReportMessage(details) ?? name) : name)
}

// ---- arbitraries for property tests: small numbers so brute force stays cheap ----

/** Any statement §2 allows, with values up to `max`. */
export function statementArb(max = 40): fc.Arbitrary<FigureStatement> {
  return fc.constantFrom(...QUALIFIERS).chain((qualifier): fc.Arbitrary<FigureStatement> => {
    switch (qualifier) {
      case 'range':
        return fc
          .tuple(fc.nat(max), fc.nat(max), fc.option(fc.nat(max), { nil: null }))
          .map(([a, b, best]) => {
            const [low, high] = a <= b ? [a, b] : [b, a]
            const inside = best === null ? null : low + (best % (high - low + 1))
            return statement('range', { low, high, best: inside })
          })
      case 'dozens':
      case 'hundreds':
      case 'thousands':
        return fc.constant(statement(qualifier))
      case 'fewer_than':
        return fc.integer({ min: 1, max }).map((value) => statement(qualifier, { value }))
      default:
        return fc.nat(max).map((value) => statement(qualifier, { value }))
    }
  })
}

export const SOURCES = ['s1', 's2', 's3', 's4', 's5']
/** A small tree: gov ← air-force ← squadron, and two unrelated actors. */
export const ACTORS: Array<Partial<ActorInfo> & { id: string }> = [
  { id: 'gov' },
  { id: 'air-force', parent_id: 'gov' },
  { id: 'squadron', parent_id: 'air-force' },
  { id: 'rebels' },
  { id: 'foreign' },
]
export const WORLD = directory(
  SOURCES.map((id, i) => ({ id, affiliated_actor_id: [null, 'gov', 'rebels'][i % 3] ?? null })),
  ACTORS,
)

const DAYS = ['2020-01-01', '2020-01-02', '2020-01-03'].map(day)

const claimBase = fc.record({
  source_id: fc.constantFrom(...SOURCES),
  via: fc.subarray(SOURCES, { maxLength: 2 }),
  stated_at: fc.constantFrom(...DAYS),
  recorded_at: fc.constantFrom(...DAYS),
  retracted: fc.nat(5).map((n) => n === 0),
})

/** A figure claim of one of two groups, without id (ids are given in order by `claimsArb`). */
const figureFields = fc.record({
  common: claimBase,
  statement: statementArb(),
  population: fc.constantFrom('all' as const, 'children' as const),
})

const attributionFields = fc.record({
  common: claimBase,
  stance: fc.constantFrom('accuses' as const, 'denies' as const),
  actor_ids: fc.subarray(ACTORS.map((a) => a.id), { minLength: 1, maxLength: 3 }),
  certainty: fc.constantFrom('asserted' as const, 'suspected' as const),
})

/**
 * An event's claims in arrival order: distinct ids, any qualifier, ties in time, retractions,
 * and supersedes pointing at earlier claims.
 */
export function claimsArb(
  kinds: 'figures' | 'attributions' | 'both' = 'both',
  maxLength = 12,
): fc.Arbitrary<Array<FigureClaim | AttributionClaim>> {
  const one =
    kinds === 'figures'
      ? figureFields.map((f) => ({ f }))
      : kinds === 'attributions'
        ? attributionFields.map((a) => ({ a }))
        : fc.oneof(figureFields.map((f) => ({ f })), attributionFields.map((a) => ({ a })))
  return fc
    .array(fc.tuple(one, fc.option(fc.nat(), { nil: null, freq: 4 })), { maxLength })
    .map((rows) =>
      rows.map(([row, supersedes], i) => {
        const id = `c${String(i).padStart(3, '0')}`
        const c = 'f' in row ? row.f.common : row.a.common
        const shared = {
          id,
          source_id: c.source_id,
          via: c.via,
          stated_at: c.stated_at,
          recorded_at: c.recorded_at,
          retraction: c.retracted ? { at: day('2021-01-01'), reason: 'wrong' } : null,
          supersedes: supersedes === null || i === 0 ? null : `c${String(supersedes % i).padStart(3, '0')}`,
        }
        return 'f' in row
          ? figure({ ...shared, ...row.f.statement, population: row.f.population })
          : attribution({
              ...shared,
              stance: row.a.stance,
              actor_ids: row.a.actor_ids,
              certainty: row.a.certainty,
            })
      }),
    )
}
