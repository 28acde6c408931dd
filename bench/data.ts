/**
 * npm run bench:data — a realistic database for the benchmarks: EVENTS events
 * (default 100,000) with CLAIMS_PER_EVENT claims each (default 10: 1,000,000),
 * written straight through better-sqlite3 on the migrated schema.
 *
 * Each event has 2–5 sources giving killed/all figures that they revise over
 * the following days (exact, at_least, approximately, range), an injured
 * figure, sometimes a children's figure, and accusations and denials among a
 * few actors. Deterministic: the same seed gives the same database.
 */
import { rmSync } from 'node:fs'
import { uuidv7 } from 'uuidv7'
import { openDatabase } from '../src/db/client.js'
import { SqliteSql } from '../src/db/sql.js'
import { createActorsRepository } from '../src/repositories/actors-repository.js'
import { createClaimsRepository } from '../src/repositories/claims-repository.js'
import { createDisputesRepository } from '../src/repositories/disputes-repository.js'
import { createSourcesRepository } from '../src/repositories/sources-repository.js'

export const BENCH_DB = process.env.BENCH_DB ?? 'bench/data/reckon-bench.db'

/** A small deterministic PRNG (mulberry32), so runs are comparable. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function generate(
  path: string,
  events: number,
  perEvent: number,
): Promise<{ claims: number; seconds: number; indexSeconds: number; disputeSeconds: number }> {
  rmSync(path, { force: true })
  rmSync(`${path}-wal`, { force: true })
  rmSync(`${path}-shm`, { force: true })
  const started = process.hrtime.bigint()
  const database = openDatabase(path)
  const db = database.$client
  const rnd = random(20170404)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T
  const now = new Date().toISOString()
  const SOURCES = Array.from({ length: 200 }, (_, i) => `source-${i}`)
  const ACTORS = ['government', 'air-force', 'militia', 'rebels', 'foreign-forces', 'unknown-group']
  const COUNTRIES = ['SY', 'UA', 'YE', 'SD', 'ML', 'MM', 'ET', 'SO', 'IQ', 'AF']

  db.prepare(
    "INSERT INTO actors (id, name, aliases, kind, parent_id, created_at, updated_at) VALUES ('government', 'Government', '[]', 'state', NULL, ?, ?)",
  ).run(now, now)
  const actor = db.prepare(
    "INSERT INTO actors (id, name, aliases, kind, parent_id, created_at, updated_at) VALUES (?, ?, '[]', 'armed_group', ?, ?, ?)",
  )
  for (const id of ACTORS.slice(1)) actor.run(id, id, id === 'air-force' ? 'government' : null, now, now)
  const source = db.prepare(
    "INSERT INTO sources (id, name, aliases, kind, affiliated_actor_id, created_at, updated_at) VALUES (?, ?, '[]', ?, ?, ?, ?)",
  )
  SOURCES.forEach((id, i) =>
    source.run(
      id,
      `Source ${i}`,
      pick(['monitor', 'media', 'ngo', 'government', 'news_agency']),
      i % 20 === 0 ? 'government' : null,
      now,
      now,
    ),
  )

  const event = db.prepare(
    "INSERT INTO events (id, title, occurred_on, location, tags, external_ids, created_at, updated_at) VALUES (?, ?, ?, ?, '[]', '{}', ?, ?)",
  )
  const claim = db.prepare(
    `INSERT INTO claims (id, event_id, kind, source_id, via, stated_at, recorded_at, fingerprint, metric, population, qualifier,
       value, low, high, stance, actor_ids, certainty)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const change = db.prepare('INSERT INTO changes (at, type, id, event_id) VALUES (?, ?, ?, ?)')
  let total = 0
  const base = Date.UTC(2015, 0, 1)
  const writeEvent = (e: number) => {
    const id = `event-${e}`
    const day = new Date(base + Math.floor(rnd() * 3650) * 86_400_000)
    const occurred = day.toISOString().slice(0, 10)
    event.run(id, `Attack ${e}`, occurred, JSON.stringify({ country: pick(COUNTRIES), place: `Place ${e % 5000}` }), now, now)
    change.run(now, 'event.created', id, id)
    const sources = Array.from({ length: 2 + Math.floor(rnd() * 4) }, () => pick(SOURCES))
    const truth = 5 + Math.floor(rnd() ** 3 * 400)
    for (let k = 0; k < perEvent; k++) {
      const src = sources[k % sources.length] as string
      const stated = new Date(day.getTime() + (k + Math.floor(rnd() * 3)) * 86_400_000).toISOString()
      const id = uuidv7()
      const r = rnd()
      if (r < 0.2) {
        const stance = rnd() < 0.7 ? 'accuses' : 'denies'
        const actors = rnd() < 0.3 ? [pick(ACTORS), pick(ACTORS)].filter((a, i, all) => all.indexOf(a) === i) : [pick(ACTORS)]
        claim.run(
          id,
          `event-${e}`,
          'attribution',
          src,
          '[]',
          stated,
          now,
          id,
          null,
          null,
          null,
          null,
          null,
          null,
          stance,
          JSON.stringify(actors),
          rnd() < 0.3 ? 'suspected' : 'asserted',
        )
      } else {
        const metric = r < 0.3 ? 'injured' : 'killed'
        const population = rnd() < 0.15 ? 'children' : 'all'
        const scale = population === 'children' ? 0.3 : metric === 'injured' ? 2 : 1
        const value = Math.max(0, Math.round(truth * scale * (0.6 + rnd() * 0.8) * (1 + k * 0.05)))
        const q = rnd()
        const [qualifier, v, lo, hi] =
          q < 0.55
            ? ['exact', value, null, null]
            : q < 0.75
              ? ['at_least', value, null, null]
              : q < 0.9
                ? ['approximately', value, null, null]
                : ['range', null, value, value + Math.floor(value * 0.3) + 1]
        claim.run(
          id,
          `event-${e}`,
          'figure',
          src,
          rnd() < 0.3 ? JSON.stringify([pick(SOURCES)]) : '[]',
          stated,
          now,
          id,
          metric,
          population,
          qualifier,
          v,
          lo,
          hi,
          null,
          null,
          null,
        )
      }
      change.run(now, 'claim.created', id, `event-${e}`)
      total++
    }
  }
  const CHUNK = 5000
  for (let from = 0; from < events; from += CHUNK) {
    db.transaction(() => {
      for (let e = from; e < Math.min(events, from + CHUNK); e++) writeEvent(e)
    })()
  }
  // The claims went in straight through SQL: index their lanes and tallies, and compute every event's
  // dispute block (GET /events), as the app would at start.
  const indexStarted = process.hrtime.bigint()
  const sql = new SqliteSql(database)
  const claims = createClaimsRepository(sql)
  await claims.reindexIfIncomplete()
  const indexSeconds = Number(process.hrtime.bigint() - indexStarted) / 1e9
  const disputesStarted = process.hrtime.bigint()
  await createDisputesRepository(sql, {
    claims,
    sources: createSourcesRepository(sql),
    actors: createActorsRepository(sql),
  }).refreshAll()
  const disputeSeconds = Number(process.hrtime.bigint() - disputesStarted) / 1e9
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  return { claims: total, seconds: Number(process.hrtime.bigint() - started) / 1e9, indexSeconds, disputeSeconds }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const events = Number(process.env.EVENTS ?? 100_000)
  const perEvent = Number(process.env.CLAIMS_PER_EVENT ?? 10)
  const { claims, seconds, indexSeconds, disputeSeconds } = await generate(BENCH_DB, events, perEvent)
  console.log(
    `${BENCH_DB}: ${events} events, ${claims} claims in ${seconds.toFixed(1)} s (of which the claims' lanes and tallies ${indexSeconds.toFixed(1)} s, dispute blocks ${disputeSeconds.toFixed(1)} s)`,
  )
}
