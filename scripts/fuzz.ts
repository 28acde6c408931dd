/**
 * `npm run fuzz`: the OpenAPI fuzzer (test/fuzz/fuzzer.ts) at length.
 *
 *   npm run fuzz                          10,000 cases, a random seed (printed)
 *   npm run fuzz -- --runs 50000 --seed 42
 *   FUZZ_RUNS=2000 FUZZ_SEED=42 npm run fuzz
 *   FUZZ_SEED=42 FUZZ_CASE=1234 npm run fuzz     replay one case
 *   FUZZ_ONLY=createSource,/claims npm run fuzz  only these operations (operationId or part of "METHOD /path")
 *   FUZZ_SHOW=all                                print every failure (default: the first 50; all are counted)
 *
 * Prints per-operation counts and statuses, then every failure with its
 * request and the command that replays it. Exits 1 when anything failed.
 */
import { parseArgs } from 'node:util'
import { formatReport, runFuzz } from '../test/fuzz/fuzzer.js'

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    case: { type: 'string' },
    only: { type: 'string' },
  },
})

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined
  const n = Number(text)
  if (!Number.isInteger(n)) {
    console.error(`${name} must be a whole number, not "${text}"`)
    process.exit(2)
  }
  return n
}

const runs = integer('runs', values.runs ?? process.env.FUZZ_RUNS) ?? 10_000
const seed = integer('seed', values.seed ?? process.env.FUZZ_SEED) ?? (Math.random() * 2 ** 31) | 0
const caseIndex = integer('case', values.case ?? process.env.FUZZ_CASE)
const onlyText = values.only ?? process.env.FUZZ_ONLY
const only = onlyText
  ? onlyText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : undefined

console.log(
  caseIndex === undefined
    ? `fuzzing ${runs} cases with seed ${seed} (replay with FUZZ_SEED=${seed})`
    : `replaying case ${caseIndex} of seed ${seed}`,
)
let lastShown = Date.now()
const report = await runFuzz({
  seed,
  runs,
  ...(caseIndex !== undefined ? { caseIndex } : {}),
  ...(only ? { only } : {}),
  onCase: (done, total) => {
    if (Date.now() - lastShown > 5000) {
      lastShown = Date.now()
      process.stderr.write(`  ${done}/${total}\n`)
    }
  },
})
console.log(formatReport(report, process.env.FUZZ_SHOW === 'all' ? Infinity : 50))
process.exitCode = report.failures.length > 0 ? 1 : 0
