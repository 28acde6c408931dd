/**
 * Recording a claim: resolve every reference (ids or aliases), check what
 * the contract asks, and append. All the 422s of one request are reported
 * together; nothing is written unless everything holds.
 */
import { createHash } from 'node:crypto'
import { uuidv7 } from 'uuidv7'
import type { Db } from '../db/client.js'
import { ConflictError, type FieldError, NotFoundError, UnprocessableError, pointer } from '../errors.js'
import { nowIso } from '../lib/time.js'
import type { ActorsRepository } from '../repositories/actors-repository.js'
import type { ClaimsRepository } from '../repositories/claims-repository.js'
import type { EventsRepository } from '../repositories/events-repository.js'
import { inTransaction, recordChange } from '../repositories/records.js'
import type { SourcesRepository } from '../repositories/sources-repository.js'
import type { ClaimCreateInput, ClaimOut } from '../schemas/claims.js'

export interface Repositories {
  sources: SourcesRepository
  actors: ActorsRepository
  events: EventsRepository
  claims: ClaimsRepository
}

export type RecordOutcome = { claim: ClaimOut; created: boolean }

/** Sorted-key JSON, so that the same content always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function createClaimsService(db: Db, repos: Repositories) {
  /**
   * Resolves refs to ids and checks existence; `base` prefixes error paths
   * (bulk ingest passes `/<row>`).
   */
  function resolve(input: ClaimCreateInput, eventId: string, base: string[]) {
    const errors: FieldError[] = []
    const at = (...tokens: Array<string | number>) => pointer(...base, ...tokens)
    const source = (ref: string, path: string) => {
      const id = repos.sources.resolve(ref)
      if (id === null) errors.push({ path, in: 'body', message: `no source with id or alias "${ref}"` })
      return id ?? ref
    }
    const actor = (ref: string, path: string) => {
      const id = repos.actors.resolve(ref)
      if (id === null) errors.push({ path, in: 'body', message: `no actor with id or alias "${ref}"` })
      return id ?? ref
    }
    const sourceId = source(input.source_id, at('source_id'))
    const via = (input.via ?? []).map((ref, i) => source(ref, at('via', i)))
    let supersedes: string | null = null
    if (input.supersedes) {
      const target = repos.claims.get(input.supersedes)
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
    const specific =
      input.kind === 'figure'
        ? { party: input.party ? actor(input.party, at('party')) : null }
        : { actor_ids: input.actor_ids.map((ref, i) => actor(ref, at('actor_ids', i))) }
    return { errors, sourceId, via, supersedes, ...specific }
  }

  function supersededConflict(supersedes: string | null): FieldError[] {
    if (!supersedes) return []
    const target = repos.claims.get(supersedes)
    if (target?.superseded_by) {
      return [{ path: '/supersedes', in: 'body', message: `claim "${supersedes}" is already superseded by "${target.superseded_by}"` }]
    }
    return []
  }

  return {
    /** POST /events/{id}/claims and POST /claims. */
    record(input: ClaimCreateInput, eventId: string, opts: { eventFromPath: boolean }): RecordOutcome {
      return inTransaction(db, () => {
        if (!repos.events.get(eventId)) {
          if (opts.eventFromPath) throw new NotFoundError('event', eventId)
          throw new UnprocessableError(`No event "${eventId}".`, [
            { path: '/event_id', in: 'body', message: `no event with id "${eventId}"` },
          ])
        }
        const resolved = resolve(input, eventId, [])
        if (resolved.errors.length > 0) {
          throw new UnprocessableError('The claim refers to what does not exist.', resolved.errors)
        }

        const content = {
          ...input,
          event_id: eventId,
          source_id: resolved.sourceId,
          via: resolved.via,
          supersedes: resolved.supersedes,
          ...(input.kind === 'figure' ? { party: resolved.party } : { actor_ids: resolved.actor_ids }),
        }
        const fingerprint = createHash('sha256').update(canonical(content)).digest('hex')

        if (input.external_id) {
          const existing = repos.claims.findByExternalId(resolved.sourceId, input.external_id)
          if (existing) {
            if (existing.fingerprint === fingerprint) {
              const claim = repos.claims.get(existing.id)
              if (claim) return { claim, created: false }
            }
            throw new ConflictError(
              `Source "${resolved.sourceId}" already has a claim with external_id "${input.external_id}" and different content.`,
              [{ path: '/external_id', in: 'body', message: `already used by claim "${existing.id}" with different content` }],
            )
          }
        }

        const conflicts = supersededConflict(resolved.supersedes)
        if (conflicts.length > 0) throw new ConflictError('That claim is already superseded.', conflicts)

        const id = uuidv7()
        const recordedAt = nowIso()
        const figure = input.kind === 'figure' ? input : null
        const attribution = input.kind === 'attribution' ? input : null
        repos.claims.insert({
          id,
          eventId,
          kind: input.kind,
          sourceId: resolved.sourceId,
          via: resolved.via,
          statedAt: input.stated_at,
          recordedAt,
          quote: input.quote ?? null,
          url: input.url ?? null,
          language: input.language ?? null,
          note: input.note ?? null,
          externalId: input.external_id ?? null,
          supersedes: resolved.supersedes,
          fingerprint,
          metric: figure?.metric ?? null,
          population: figure?.population ?? null,
          party: resolved.party ?? null,
          qualifier: figure?.qualifier ?? null,
          value: figure?.value ?? null,
          low: figure?.low ?? null,
          high: figure?.high ?? null,
          best: figure?.best ?? null,
          stance: attribution?.stance ?? null,
          actorIds: resolved.actor_ids ?? null,
          certainty: attribution?.certainty ?? null,
          role: attribution?.role ?? null,
        })
        repos.events.touch(eventId)
        recordChange(db, 'claim.created', id, eventId, recordedAt)
        const claim = repos.claims.get(id)
        if (!claim) throw new Error(`claim ${id} vanished after insert`)
        return { claim, created: true }
      })
    },

    /** POST /claims/{id}/retraction. */
    retract(claimId: string, reason: string): ClaimOut {
      return inTransaction(db, () => {
        const claim = repos.claims.get(claimId)
        if (!claim) throw new NotFoundError('claim', claimId)
        if (claim.retraction) {
          throw new ConflictError(`Claim "${claimId}" was already retracted at ${claim.retraction.at}.`)
        }
        const at = nowIso()
        repos.claims.retract(claimId, at, reason)
        repos.events.touch(claim.event_id)
        recordChange(db, 'claim.retracted', claimId, claim.event_id, at)
        const after = repos.claims.get(claimId)
        if (!after) throw new Error(`claim ${claimId} vanished after retraction`)
        return after
      })
    },
  }
}

export type ClaimsService = ReturnType<typeof createClaimsService>
