/**
 * #16 "who to believe": what the claims stated by a moment tell of each
 * source (engine/track-record) and, from that, each event's bias-aware
 * estimates (engine/estimate). Learning reads every claim stated by then, so
 * what is learnt is kept, a few moments at a time, stamped with what it was
 * learnt from: the database's state (changes-repository databaseState: the
 * latest change, and for "now" the next claim to come due), and the
 * directory's revisions (affiliations, the actor tree).
 *
 * An event's estimates depend on nothing else, so each learning also keeps
 * the estimates it has answered, as JSON text (validated by the schema once,
 * when made): a dashboard asking again, or many events in turn, costs a
 * lookup. At most KEPT_TEXT_CHARS (`keptTextChars`) are kept over all learnings; past that an
 * answer is made and not kept.
 */
import { z } from 'zod'
import { countedFigureGroups } from '../engine/counting.js'
import { type EstimateGroup, type GroupEstimate, adjustedEstimates, estimateGroups, summaryEstimateGroups } from '../engine/estimate.js'
import { DEFAULT_LEVEL } from '../engine/track-record.js'
import type { FigureSummary } from '../engine/types.js'
import { nowIso } from '../lib/time.js'
import type { DatabaseState } from '../repositories/changes-repository.js'
import { GroupEstimate as GroupEstimateSchema } from '../schemas/track-records.js'
import type { Repositories } from './claims-service.js'
import { type Learner, type Learnt, learnHere } from './learning.js'

/** Moments (and levels) whose learning is kept: "now", and a few a dashboard or a script asks again and again. */
const KEPT_LEARNINGS = 8

/** The estimates' JSON kept over all learnings, in characters (~1.8 KB an event of ten claims: some 26,000 events). */
export const KEPT_TEXT_CHARS = 48_000_000

const Groups = z.array(GroupEstimateSchema)

interface Kept {
  stamp: string
  learnt: Promise<Learnt>
  /** Each event's estimates as of the learning, as JSON text of its groups (null: no such event). */
  texts: Map<string, string | null>
  chars: number
}

/** An event's estimates as of a moment, its groups as JSON text. */
export interface EstimatesText {
  as_of: string
  groups: string
}

/**
 * `state`: the database's state at a moment (changes-repository databaseState), unless a request read it already.
 * `learn`: how a learning is made (services/learning: here, or in a worker thread on a large database).
 */
export function createTrackRecordService(
  repos: Repositories,
  state: (moment: string) => Promise<DatabaseState>,
  learn: Learner = learnHere,
  keptTextChars = KEPT_TEXT_CHARS,
) {
  const kept = new Map<string, Kept>()
  let textChars = 0

  function forget(key: string): void {
    const entry = kept.get(key)
    if (entry === undefined) return
    kept.delete(key)
    textChars -= entry.chars
  }

  /** The kept learning of `asOf` (default now) at `level`, made when the database has changed since. */
  async function current(
    asOf: string | undefined,
    level: number,
    known?: DatabaseState | null,
  ): Promise<{ entry: Kept; moment: string; key: string }> {
    const moment = asOf ?? nowIso()
    const db = known ?? (await state(moment))
    // "Now" also moves when a claim comes due; a moment given does not (claims stated by it are stated by it).
    const stamp = `${db.latest}:${asOf === undefined ? db.due : ''}:${await repos.sources.revision()}:${await repos.actors.revision()}`
    const key = `${asOf ?? 'now'}\u0000${level}`
    let entry = kept.get(key)
    if (entry === undefined || entry.stamp !== stamp) {
      forget(key)
      const made: Kept = { stamp, learnt: learn(repos, moment, level), texts: new Map(), chars: 0 }
      // A failed learning is not kept: the next request tries again.
      made.learnt.catch(() => kept.get(key) === made && forget(key))
      entry = made
    }
    kept.delete(key) // most recently used last
    kept.set(key, entry)
    if (kept.size > KEPT_LEARNINGS) forget(kept.keys().next().value as string)
    return { entry, moment, key }
  }

  /** The event's groups with their estimates, counted as of `at` (null: no such event). */
  async function estimateOf(eventId: string, learnt: Learnt, at: string, now: boolean, level: number): Promise<GroupEstimate[] | null> {
    let groups: EstimateGroup[]
    const stored = now ? await repos.disputes.nowState(eventId, at) : undefined
    if (stored === null) return null
    if (stored?.summary != null) {
      // "Now": the stored summary's groups while it shows now (no claim read).
      groups = summaryEstimateGroups((JSON.parse(stored.summary) as { figures: FigureSummary[] }).figures)
    } else {
      if (stored === undefined && (await repos.events.get(eventId)) === null) return null
      groups = estimateGroups(countedFigureGroups((await repos.claims.countedAt(eventId, at)).counted))
    }
    return adjustedEstimates(groups, learnt.model, level)
  }

  return {
    /** What the claims stated by `asOf` (default now) tell of every source, learnt once per state of the database. */
    async learnt(asOf: string | undefined, level = DEFAULT_LEVEL, known?: DatabaseState | null): Promise<Learnt> {
      const { entry, moment } = await current(asOf, level, known)
      const learnt = await entry.learnt
      return learnt.as_of === moment ? learnt : { ...learnt, as_of: moment }
    },

    /**
     * The event's figure groups as of `asOf` (default now), each with the
     * contract's median and the bias-aware estimate, as JSON text; null for
     * an unknown event. "Now", the groups are the stored summary's while it
     * shows now (disputes nowState: no claim read), else counted from the
     * claims. `known`: the database's state, when the request read it.
     */
    async estimatesText(
      eventId: string,
      asOf: string | undefined,
      level = DEFAULT_LEVEL,
      known?: DatabaseState | null,
    ): Promise<EstimatesText | null> {
      const { entry, moment, key } = await current(asOf, level, known)
      const learnt = await entry.learnt
      let text = entry.texts.get(eventId)
      if (text === undefined) {
        const groups = await estimateOf(eventId, learnt, learnt.as_of, asOf === undefined, level)
        text = groups === null ? null : JSON.stringify(z.encode(Groups, groups))
        const chars = text?.length ?? 0
        if (kept.get(key) === entry && textChars + chars <= keptTextChars) {
          entry.texts.set(eventId, text)
          entry.chars += chars
          textChars += chars
        }
      }
      return text === null ? null : { as_of: moment, groups: text }
    },

    /** estimatesText's groups as objects (the chart, GET /summaries?adjusted=true, the CSV and NDJSON rows). */
    async estimates(
      eventId: string,
      asOf: string | undefined,
      level = DEFAULT_LEVEL,
      known?: DatabaseState | null,
    ): Promise<{ as_of: string; groups: GroupEstimate[] } | null> {
      const found = await this.estimatesText(eventId, asOf, level, known)
      return found === null ? null : { as_of: found.as_of, groups: JSON.parse(found.groups) as GroupEstimate[] }
    },
  }
}

export type TrackRecordService = ReturnType<typeof createTrackRecordService>
