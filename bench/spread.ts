/**
 * npm run bench:spread — why the hot paths build objects without spreads
 * (bench/README.md, "Object spreads"). Builds a claim-shaped object (ten
 * common fields, then nine of a figure) in five ways, in one run, and prints
 * ns per object and the ratio to a plain object literal:
 *   1. one object literal with every field (the baseline),
 *   2. the common fields, then Object.assign of the figure's (toEngineClaim, engineClaimOf),
 *   3. `{ ...common, ...figure }`,
 *   4. `{ ...common, kind }` (one field added by a spread),
 *   5. conditional spreads `...(x ? { a } : {})` for optional fields (figure-summary).
 * Each way runs ROUNDS rounds of N objects, alternating, and the median round counts.
 */
const N = Number(process.env.N ?? 200_000)
const ROUNDS = Number(process.env.ROUNDS ?? 15)

type Row = readonly [string, string, string, string, string, string, string | null, number, number | null]
const rows: Row[] = Array.from({ length: 1024 }, (_, i) => [
  `id-${i}`,
  'event',
  'source',
  '2017-04-04',
  '2017-04-05',
  'killed',
  i % 3 ? null : 'party',
  i,
  i % 2 ? null : i + 10,
])

const sink: unknown[] = new Array(1024)

function common(r: Row) {
  return {
    id: r[0],
    event_id: r[1],
    source_id: r[2],
    via: [] as string[],
    stated_at: r[3],
    recorded_at: r[4],
    supersedes: null,
    retraction: null,
    quote: null,
    url: null,
  }
}
function figure(r: Row) {
  return {
    kind: 'figure' as const,
    metric: r[5],
    population: 'all',
    party: r[6],
    qualifier: 'exact',
    value: r[7],
    low: r[8],
    high: null,
    best: null,
  }
}

const ways: Record<string, (r: Row) => unknown> = {
  'object literal': (r) => ({
    kind: 'figure',
    id: r[0],
    event_id: r[1],
    source_id: r[2],
    via: [] as string[],
    stated_at: r[3],
    recorded_at: r[4],
    supersedes: null,
    retraction: null,
    quote: null,
    url: null,
    metric: r[5],
    population: 'all',
    party: r[6],
    qualifier: 'exact',
    value: r[7],
    low: r[8],
    high: null,
    best: null,
  }),
  'Object.assign(common, figure)': (r) => Object.assign(common(r), figure(r)),
  '{ ...common, ...figure }': (r) => ({ ...common(r), ...figure(r) }),
  '{ ...common, kind }': (r) => ({ ...common(r), kind: 'figure' }),
  'conditional spreads': (r) => ({
    id: r[0],
    ...(r[6] === null ? {} : { party: r[6] }),
    ...(r[8] === null ? {} : { low: r[8] }),
    value: r[7],
  }),
}

function round(make: (r: Row) => unknown): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) sink[i & 1023] = make(rows[i & 1023] as Row)
  return Number(process.hrtime.bigint() - start) / N
}

const times = new Map<string, number[]>(Object.keys(ways).map((name) => [name, []]))
for (let k = 0; k < ROUNDS; k++) {
  const names = k % 2 === 0 ? Object.keys(ways) : Object.keys(ways).reverse()
  for (const name of names) times.get(name)?.push(round(ways[name] as (r: Row) => unknown))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const base = median(times.get('object literal') ?? [])
console.log(`node ${process.version}, ${ROUNDS} rounds of ${N} objects, median round`)
for (const [name, xs] of times)
  console.log(`${name.padEnd(32)} ${median(xs).toFixed(1).padStart(7)} ns/object   ratio ${(median(xs) / base).toFixed(2)}`)
if (sink.length === 0) console.log('(sink)')
