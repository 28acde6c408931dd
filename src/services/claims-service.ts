/**
 * Recording claims, one or a batch: resolve every reference (ids or
 * aliases), check what the contract asks, and append. Every problem of a
 * request is reported together; nothing is written unless everything holds.
 */
import { createHash } from 'node:crypto'
import { uuidv7 } from 'uuidv7'
import type { Sql } from '../db/sql.js'
import { ConflictError, type FieldError, NotFoundError, UnprocessableError, pointer } from '../errors.js'
import { nowIso } from '../lib/time.js'
import type { ActorsRepository } from '../repositories/actors-repository.js'
import { type ClaimInsert, type ClaimsRepository, externalKey } from '../repositories/claims-repository.js'
import type { DisputesRepository } from '../repositories/disputes-repository.js'
import type { EventsRepository } from '../repositories/events-repository.js'
import { recordChange, recordChanges } from '../repositories/records.js'
import type { SourcesRepository } from '../repositories/sources-repository.js'
import type { ClaimCreateInput, ClaimOut } from '../schemas/claims.js'

export interface Repositories {
  sources: SourcesRepository
  actors: ActorsRepository
  events: EventsRepository
  claims: ClaimsRepository
  disputes: DisputesRepository
}

export type RecordOutcome = { claim: ClaimOut; created: boolean }

/** One claim of a batch: its input, its event, and where its errors point (`[]` or `[row]`). */
export interface ClaimRequest {
  input: ClaimCreateInput
  eventId: string
  at: Array<string | number>
}

export interface BatchOutcome {
  inserted: number
  existing: number
  /** In request order; for a dry run, null where a claim would be created. */
  ids: Array<string | null>
}

/**
 * What makes two submissions "the same content" for external_id replays:
 * every field as stored, references resolved, in a fixed order.
 */
function fingerprint(row: Omit<Row, 'id' | 'recordedAt' | 'fingerprint'>): string {
  const content = [
    row.eventId,
    row.kind,
    row.sourceId,
    row.via,
    row.statedAt,
    row.quote,
    row.url,
    row.language,
    row.note,
    row.externalId,
    row.supersedes,
    row.metric,
    row.population,
    row.party,
    row.qualifier,
    row.value,
    row.low,
    row.high,
    row.best,
    row.stance,
    row.actorIds,
    row.certainty,
    row.role,
  ]
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url')
}

/** What each distinct key of `keys` maps to, looked up once however many rows name it. */
async function resolved<T>(keys: Iterable<string>, look: (key: string) => Promise<T>): Promise<(key: string) => T> {
  const found = new Map<string, T>()
  for (const key of keys) if (!found.has(key)) found.set(key, await look(key))
  return (key) => found.get(key) as T
}

type Row = Required<ClaimInsert>

export function createClaimsService(sql: Sql, repos: Repositories) {
  /** Every reference of the request, resolved once each however many rows name the same thing. */
  async function lookups(requests: readonly ClaimRequest[]) {
    const sources = new Set<string>()
    const actors = new Set<string>()
    const claims = new Set<string>()
    for (const { input } of requests) {
      sources.add(input.source_id)
      for (const ref of input.via ?? []) sources.add(ref)
      if (input.supersedes) claims.add(input.supersedes)
      if (input.kind === 'figure' && input.party) actors.add(input.party)
      if (input.kind === 'attribution') for (const ref of input.actor_ids) actors.add(ref)
    }
    return {
      source: await resolved(sources, (ref) => repos.sources.resolve(ref)),
      actor: await resolved(actors, (ref) => repos.actors.resolve(ref)),
      event: await resolved(
        requests.map((r) => r.eventId),
        async (id) => (await repos.events.get(id)) !== null,
      ),
      claim: await resolved(claims, (id) => repos.claims.get(id)),
    }
  }

  /** Resolves references and builds the row; pushes 422s for what does not exist. */
  function prepare(req: ClaimRequest, look: Awaited<ReturnType<typeof lookups>>, errors: FieldError[]): Row {
    const { input, eventId } = req
    const at = (...tokens: Array<string | number>) => pointer(...req.at, ...tokens)
    // Paths are built only for errors: this runs once per row of a bulk request.
    const missing = (tokens: Array<string | number>, what: string, ref: string) =>
      errors.push({ path: at(...tokens), in: 'body', message: `no ${what} with id or alias "${ref}"` })
    const source = (ref: string, ...tokens: Array<string | number>) => look.source(ref) ?? (missing(tokens, 'source', ref), ref)
    const actor = (ref: string, ...tokens: Array<string | number>) => look.actor(ref) ?? (missing(tokens, 'actor', ref), ref)

    const sourceId = source(input.source_id, 'source_id')
    const via = (input.via ?? []).map((ref, i) => source(ref, 'via', i))
    let supersedes: string | null = null
    if (input.supersedes) {
      const target = look.claim(input.supersedes)
      if (!target) {
        errors.push({ path: at('supersedes'), in: 'body', message: `no claim with id "${input.supersedes}"` })
      } else if (target.event_id !== eventId) {
        errors.push({
          path: at('supersedes'),
          in: 'body',
          message: `claim "${target.id}" belongs to event "${target.event_id}", not "${eventId}"`,
        })
      } else {
        supersedes = target.id
      }
    }
    const figure = input.kind === 'figure' ? input : null
    const attribution = input.kind === 'attribution' ? input : null
    const party = figure?.party ? actor(figure.party, 'party') : null
    const actorIds = attribution ? attribution.actor_ids.map((ref, i) => actor(ref, 'actor_ids', i)) : null

    const row = {
      eventId,
      kind: input.kind,
      sourceId,
      via,
      statedAt: input.stated_at,
      quote: input.quote ?? null,
      url: input.url ?? null,
      language: input.language ?? null,
      note: input.note ?? null,
      externalId: input.external_id ?? null,
      supersedes,
      metric: figure?.metric ?? null,
      population: figure?.population ?? null,
      party,
      qualifier: figure?.qualifier ?? null,
      value: figure?.value ?? null,
      low: figure?.low ?? null,
      high: figure?.high ?? null,
      best: figure?.best ?? null,
      stance: attribution?.stance ?? null,
      actorIds,
      certainty: attribution?.certainty ?? null,
      role: attribution?.role ?? null,
    }
    // Completed in place, not copied with a spread (docs/operators.md#performance): three times a claim on this path.
    const print = fingerprint(row)
    return Object.assign(row, { id: '', recordedAt: '', fingerprint: print })
  }

  /**
   * The whole of a request: 422 if anything it names does not exist, 409 if
   * it clashes with what is recorded (or with itself), else every new claim
   * is appended in one transaction. External-id replays are not re-inserted.
   */
  function recordAll(requests: ClaimRequest[], opts: { dryRun: boolean }): Promise<BatchOutcome> {
    return sql.transaction(async () => {
      const look = await lookups(requests)
      const missing: FieldError[] = []
      for (const req of requests) {
        if (!look.event(req.eventId)) {
          missing.push({ path: pointer(...req.at, 'event_id'), in: 'body', message: `no event with id "${req.eventId}"` })
        }
      }
      const rows = requests.map((req) => prepare(req, look, missing))
      if (missing.length > 0) throw new UnprocessableError('The claims refer to what does not exist.', missing)

      const conflicts: FieldError[] = []
      const ids: Array<string | null> = []
      const fresh: Row[] = []
      // What is recorded under the request's external ids, read at once; nothing is written before the loop ends.
      const external = new Map<string, { sourceId: string; externalId: string }>()
      for (const row of rows) {
        if (row.externalId !== null)
          external.set(externalKey(row.sourceId, row.externalId), { sourceId: row.sourceId, externalId: row.externalId })
      }
      const recorded = external.size > 0 ? await repos.claims.findByExternalIds([...external.values()]) : new Map<string, never>()
      const seenExternal = new Map<string, { fingerprint: string; id: string | null }>()
      const supersededHere = new Set<string>()
      for (const [i, row] of rows.entries()) {
        const at = (field: string) => pointer(...(requests[i]?.at ?? []), field)
        if (row.externalId !== null) {
          const key = externalKey(row.sourceId, row.externalId)
          const earlier = seenExternal.get(key) ?? recorded.get(key)
          if (earlier) {
            if (earlier.fingerprint === row.fingerprint) {
              ids.push(earlier.id)
              continue
            }
            conflicts.push({
              path: at('external_id'),
              in: 'body',
              message: `source "${row.sourceId}" already used external_id "${row.externalId}" for other content${earlier.id ? ` (claim "${earlier.id}")` : ''}`,
            })
          }
        }
        if (row.supersedes !== null) {
          const by = look.claim(row.supersedes)?.superseded_by
          if (by || supersededHere.has(row.supersedes)) {
            conflicts.push({
              path: at('supersedes'),
              in: 'body',
              message: `claim "${row.supersedes}" is already superseded${by ? ` by "${by}"` : ' by another claim of this request'}`,
            })
          }
          supersededHere.add(row.supersedes)
        }
        const id = opts.dryRun ? null : uuidv7()
        if (row.externalId !== null) seenExternal.set(externalKey(row.sourceId, row.externalId), { fingerprint: row.fingerprint, id })
        ids.push(id)
        row.id = id ?? '' // rows are this request's own objects, each pushed once
        fresh.push(row)
      }
      if (conflicts.length > 0) throw new ConflictError('The claims clash with what is recorded.', conflicts)

      const inserted = fresh.length
      if (!opts.dryRun && inserted > 0) {
        const recordedAt = nowIso()
        const touched = new Set<string>()
        for (const row of fresh) {
          row.recordedAt = recordedAt
          touched.add(row.eventId)
        }
        // Multi-row statements in fixed sizes (#15): a few dozen statements for a batch of thousands.
        await repos.claims.insertMany(fresh)
        await recordChanges(sql, 'claim.created', fresh, recordedAt)
        // Queued first, in id order (disputes-repository: a refresh of the event under way is waited for), then touched;
        // summarised by the next reader, not once per batch.
        const eventIds = [...touched].sort()
        await repos.disputes.queueMany(eventIds)
        await repos.events.touchMany(eventIds)
      }
      return { inserted, existing: requests.length - inserted, ids }
    })
  }

  return {
    recordAll,

    /** POST /events/{id}/claims and POST /claims: one claim, 201 when new, 200 for a replay. */
    async record(input: ClaimCreateInput, eventId: string, opts: { eventFromPath: boolean }): Promise<RecordOutcome> {
      if (opts.eventFromPath && !(await repos.events.get(eventId))) throw new NotFoundError('event', eventId)
      const { ids, inserted } = await recordAll([{ input, eventId, at: [] }], { dryRun: false })
      const claim = ids[0] ? await repos.claims.get(ids[0]) : null
      if (!claim) throw new Error('a recorded claim could not be read back')
      return { claim, created: inserted === 1 }
    },

    /** POST /claims/{id}/retraction. */
    retract(claimId: string, reason: string): Promise<ClaimOut> {
      return sql.transaction(async () => {
        const claim = await repos.claims.get(claimId)
        if (!claim) throw new NotFoundError('claim', claimId)
        if (claim.retraction) {
          throw new ConflictError(`Claim "${claimId}" was already retracted at ${claim.retraction.at}.`)
        }
        const at = nowIso()
        await repos.claims.retract(claimId, at, reason)
        await recordChange(sql, 'claim.retracted', claimId, claim.event_id, at)
        await repos.disputes.queue(claim.event_id)
        await repos.events.touch(claim.event_id)
        const after = await repos.claims.get(claimId)
        if (!after) throw new Error(`claim ${claimId} vanished after retraction`)
        return after
      })
    },
  }
}

export type ClaimsService = ReturnType<typeof createClaimsService>
