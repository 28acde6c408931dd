/**
 * The database's seek of the counted set (claims-repository countedAt,
 * through claim_lanes and event_lanes) against the engine's reading of
 * every claim (countedSet over asKnownAt): on random histories, at every
 * moment that can matter and as known at every moment that can matter, the
 * same claims (and what the echo rule reads of their groups), the same
 * summary, the same warnings, the same claims_total.
 */
import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import fc from 'fast-check'
import { countedSet } from '../../src/engine/counting.js'
import { summarizeCounted, summarizeEvent } from '../../src/engine/event-summary.js'
import { asKnownAt } from '../../src/engine/known-at.js'
import type { AttributionClaim, Claim } from '../../src/engine/types.js'
import { summaryWarnings } from '../../src/engine/warnings.js'
import { ACTORS, SOURCES, WORLD, claimsArb, day, endOf, holdsAsync } from '../engine/fixtures/claims.js'
import { type Teardown, build, claimRow, createAll } from '../helper.js'
import { ON_POSTGRES } from '../store.js'

// On PostgreSQL every statement is a round trip: the properties take longer than tap's 30 s a file.
if (ON_POSTGRES) t.setTimeout(600_000)

const RETRACTED_ON = ['2020-01-01', '2020-01-02', '2020-01-03', '2021-01-01'].map(day)

/** A history: claimsArb's claims, with figures of a party too, retractions made on varied days, and recorded in arrival order. */
const historyArb = fc
  .tuple(claimsArb('both', 16), fc.array(fc.nat(RETRACTED_ON.length - 1), { minLength: 16, maxLength: 16 }))
  .map(([claims, when]) =>
    claims.map((c, i): Claim => {
      const retraction = c.retraction === null ? null : { at: RETRACTED_ON[when[i] ?? 0] as string, reason: 'wrong' }
      if (c.kind === 'figure') return { ...c, retraction, party: i % 3 === 0 ? 'rebels' : null }
      return { ...c, retraction }
    }),
  )

/** Every moment a summary can change at, and a moment between and after each. */
function momentsOf(claims: readonly Claim[]): string[] {
  const days = new Set(['2019-12-31', '2020-01-01', '2020-01-02', '2020-01-03', '2021-01-01'].map(endOf))
  for (const c of claims) {
    days.add(c.stated_at)
    days.add(c.recorded_at)
    if (c.retraction) days.add(c.retraction.at)
  }
  return [...days].sort()
}

/**
 * The suite's store (test/store.ts) with the fixtures' sources and actors, its claims repository, and what the tests write
 * straight through SQL (no route: the repository alone is under test), each write through the app's write gate.
 */
async function world(t: Teardown) {
  const app = await build(t)
  await createAll(app, [
    ...SOURCES.map((id) => ['/sources', { id, name: id, kind: 'media' }] as const),
    ...ACTORS.map((a) => ['/actors', { id: a.id, name: a.id, kind: 'other', parent_id: a.parent_id ?? null }] as const),
  ])
  const write = (text: string, params: unknown[] = []) => app.writes.now(() => app.sql.run(text, params))
  return {
    app,
    repo: app.repos.claims,
    sql: app.sql,
    write,
    addEvent: (id: string) =>
      write(
        "INSERT INTO events (id, title, occurred_on, tags, external_ids, created_at, updated_at) VALUES (?, 'e', '2020', '[]', '{}', '', '')",
        [id],
      ),
    insert: (c: Claim) => app.writes.now(() => app.repos.claims.insert(claimRow(c))),
  }
}

const byId = (a: Claim, b: Claim) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

t.test('the sought counted set is the engine’s, at every moment and as known at every moment', async (t) => {
  const { repo, write, addEvent, insert } = await world(t)
  let run = 0

  await holdsAsync(
    t,
    'countedAt, totalAt, statedThrough and statedAfter equal the engine’s from every claim',
    fc.asyncProperty(historyArb, async (history) => {
      const event = `e${run++}`
      await addEvent(event)
      // Ids are the run's own: claim ids are unique across events.
      const claims = history.map((c) => ({
        ...c,
        id: `${event}-${c.id}`,
        event_id: event,
        supersedes: c.supersedes && `${event}-${c.supersedes}`,
      }))
      for (const c of claims) await insert(c)
      for (const c of claims)
        if (c.retraction)
          await write('INSERT INTO retractions (claim_id, at, reason) VALUES (?, ?, ?)', [c.id, c.retraction.at, c.retraction.reason])

      for (const knownAt of [undefined, ...momentsOf(claims)]) {
        const known = knownAt === undefined ? claims : asKnownAt(claims, knownAt)
        if ((await repo.totalAt(event, knownAt)) !== known.length) return false
        for (const asOf of momentsOf(claims)) {
          const expected = countedSet(known, asOf)
          const sought = await repo.countedAt(event, asOf, knownAt)
          const same =
            isDeepStrictEqual([...sought.counted].sort(byId), [...expected.counted].sort(byId)) &&
            isDeepStrictEqual([...sought.previous].sort(byId), [...expected.previous].sort(byId)) &&
            isDeepStrictEqual(sought.earlier, expected.earlier) &&
            isDeepStrictEqual(summarizeCounted(sought.counted, known.length, WORLD), summarizeEvent(known, asOf, WORLD)) &&
            isDeepStrictEqual(summaryWarnings(sought), summaryWarnings(expected))
          if (!same) return false
        }
      }
      for (const moment of momentsOf(claims)) {
        const stated = claims.map((c) => c.stated_at).sort()
        const through = stated.filter((s) => s <= moment).pop() ?? null
        const after = stated.find((s) => s > moment) ?? null
        if ((await repo.statedThrough(event, moment)) !== through || (await repo.statedAfter(event, moment)) !== after) return false
      }
      return true
    }),
    { numRuns: 150 },
  )
})

t.test('an attribution counts once however many of its actors it decides; lanes are per actor', async (t) => {
  const { repo, sql, addEvent, insert } = await world(t)
  await addEvent('e')
  const both: AttributionClaim = {
    kind: 'attribution',
    id: 'a1',
    event_id: 'e',
    source_id: 's1',
    via: [],
    stated_at: day('2020-01-01'),
    recorded_at: day('2020-01-01'),
    supersedes: null,
    retraction: null,
    quote: null,
    url: null,
    stance: 'accuses',
    actor_ids: ['gov', 'rebels', 'gov'],
    certainty: 'asserted',
    role: null,
  }
  await insert(both)
  t.strictSame(await sql.all("SELECT lane, source_id, claim_id FROM claim_lanes WHERE event_id = 'e' ORDER BY lane"), [
    { lane: 'a|gov', source_id: 's1', claim_id: 'a1' },
    { lane: 'a|rebels', source_id: 's1', claim_id: 'a1' },
  ])
  t.strictSame(
    (await repo.countedAt('e', endOf('2020-01-01'))).counted.map((c) => c.id),
    ['a1'],
  )
})

t.test('reindexIfIncomplete rebuilds exactly what insert writes, and only when claims are missing from it', async (t) => {
  const { app, repo, sql, write, addEvent, insert } = await world(t)
  // Every column in the order: a store gives rows that tie on an ORDER BY in any order (PostgreSQL, once rebuilt, another).
  const ordered: Array<[string, string]> = [
    ['claim_lanes', '1, 2, 3, 4, 5, 6'],
    ['event_lanes', '1, 2, 3'],
    ['event_tallies', '1, 2, 3'],
  ]
  const tables = () => Promise.all(ordered.map(([table, by]) => sql.all(`SELECT * FROM ${table} ORDER BY ${by}`)))
  // The app's start may have run it already: none now, with no claims.
  t.equal(await repo.reindexIfIncomplete(), false, 'no claims: nothing to do')
  let run = 0
  await holdsAsync(
    t,
    'the rebuilt lanes and tallies are the ones insert wrote, whatever the order claims were recorded in',
    fc.asyncProperty(historyArb, async (history) => {
      const event = `r${run++}`
      await addEvent(event)
      for (const c of history) await insert({ ...c, id: `${event}-${c.id}`, event_id: event, supersedes: null })
      const written = await tables()
      if (await repo.reindexIfIncomplete()) return false
      for (const table of ['claim_lanes', 'event_lanes', 'event_tallies']) await write(`DELETE FROM ${table}`)
      const anyClaim = Number(await sql.value('SELECT COUNT(*) FROM claims')) !== 0
      const rebuilt = await app.writes.now(() => repo.reindexIfIncomplete())
      return rebuilt === anyClaim && isDeepStrictEqual(await tables(), written)
    }),
    { numRuns: 40 },
  )
})
