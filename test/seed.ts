/**
 * The one seed of every random choice the tests make (fast-check properties,
 * the durability clients' choices): RECKON_TEST_SEED when set, else one taken
 * from the clock. The first use in a test file prints it, once, so that a
 * failing run can be replayed with the same choices:
 *
 *   RECKON_TEST_SEED=N npx tap test/lib/formats.test.ts
 *
 * It goes to stderr, with the file to rerun: tap's default reporter hides TAP
 * comments but shows each file's stderr, and the TAP reporter passes stderr
 * through as it comes. fast-check's own failure report names the seed too.
 */

import { relative } from 'node:path'

const VARIABLE = 'RECKON_TEST_SEED'

function choose(): number {
  const given = process.env[VARIABLE]
  if (given === undefined || given.trim() === '') return Date.now() % 2 ** 31
  const n = Number(given)
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31)
    throw new Error(`${VARIABLE} must be a whole number in [0, 2^31), not ${JSON.stringify(given)}`)
  return n
}

const SEED = choose()
let shown = false

/** The seed of this test run (the same for every call in a file), printed on first use. */
export function testSeed(): number {
  if (!shown) {
    shown = true
    // Named with its file: tap runs files in parallel and passes their stderr through as it comes.
    const file = relative(process.cwd(), process.argv[1] ?? '')
    const rerun = /\.test\.ts$/.test(file) ? ` npx tap ${file}` : ''
    console.error(`# seed: ${SEED} (rerun with ${VARIABLE}=${SEED}${rerun})`)
  }
  return SEED
}

/** A small seeded generator (mulberry32), so that a failing run can be replayed with its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}
