/**
 * POST /claims/bulk's work, wherever it runs — in the bulk-claims worker (a
 * file database) or in the app (':memory:'): the body's rows validated as the
 * route's schema says, then recorded by the claims service (recordAll) in one
 * transaction. What it throws is what the errors plugin answers; from the
 * worker it crosses the thread boundary as a TaskFailure and is rebuilt
 * (errorOf), so that both ways answer alike.
 */
import type { FastifySchemaValidationError } from 'fastify'
import type { z } from 'zod'
import { ProblemError, type ProblemWire, problemFromWire, problemToWire } from '../errors.js'
import { BulkClaims } from '../schemas/claims.js'
import { ZOD_VALIDATION, validatorCompiler } from '../schemas/validator.js'
import type { BatchOutcome, ClaimsService } from './claims-service.js'

export interface BulkClaimsTask {
  /** The body as parsed (a JSON array, or the rows of an NDJSON or CSV body), not validated yet. */
  rows: unknown
  dryRun: boolean
}

/** One failed check of the body, as fastify-type-provider-zod reports it to Fastify. */
type ValidationItem = FastifySchemaValidationError

/**
 * The error Fastify raises when a body fails its schema, with the members the
 * errors plugin reads (`validation`, `validationContext`): it answers the
 * same 400, naming each bad row and field.
 */
export class BodyValidationError extends Error {
  readonly statusCode = 400
  readonly code = 'FST_ERR_VALIDATION'
  readonly validationContext = 'body'
  readonly validation: ValidationItem[]

  constructor(items: readonly ValidationItem[]) {
    super(`body${items[0]?.instancePath ?? ''} ${items[0]?.message ?? 'is invalid'}`)
    this.name = 'BodyValidationError'
    // A structured clone drops symbol keys: mark the items again.
    this.validation = items.map((item) => Object.assign({ [ZOD_VALIDATION]: true }, item))
  }
}

/** The route schema's validator, as Fastify would run it (schemas/validator). */
const validate = validatorCompiler({ schema: BulkClaims, method: 'POST', url: '/claims/bulk', httpPart: 'body' })

function validated(rows: unknown): z.output<typeof BulkClaims> {
  const result = validate(rows)
  if (typeof result === 'object' && result !== null && 'error' in result && result.error !== undefined) {
    if (Array.isArray(result.error)) throw new BodyValidationError(result.error)
    throw result.error
  }
  // The validator answers { value } with zod's output for the schema it was given.
  return (result as { value: z.output<typeof BulkClaims> }).value
}

/** Validates the rows and records them: every row lands, or none does (contract §9). */
export async function recordBulk(claims: Pick<ClaimsService, 'recordAll'>, task: BulkClaimsTask): Promise<BatchOutcome> {
  const requests = validated(task.rows).map((input, row) => ({ input, eventId: input.event_id, at: [row] }))
  return claims.recordAll(requests, { dryRun: task.dryRun })
}

// ---- across the thread boundary ----

/** What the app sends the worker: a batch (`id` names its answer), or the end. */
export type WorkerMessage = { type: 'task'; id: number; task: BulkClaimsTask } | { type: 'close' }

/** The worker's answer to a batch. */
export type TaskReply = { id: number; ok: true; outcome: BatchOutcome } | { id: number; ok: false; failure: TaskFailure }

/** Why a task failed, as the worker sends it. */
export type TaskFailure =
  | { kind: 'problem'; problem: ProblemWire }
  | { kind: 'validation'; items: ValidationItem[] }
  | { kind: 'internal'; name: string; message: string; stack: string | undefined }

export function failureOf(error: unknown): TaskFailure {
  if (error instanceof ProblemError) return { kind: 'problem', problem: problemToWire(error) }
  if (error instanceof BodyValidationError) {
    // Issue parameters are plain data (zod's); a JSON round trip keeps them so, whatever zod adds one day.
    return { kind: 'validation', items: JSON.parse(JSON.stringify(error.validation)) as ValidationItem[] }
  }
  const err = error instanceof Error ? error : new Error(String(error))
  return { kind: 'internal', name: err.name, message: err.message, stack: err.stack }
}

/** The error a failed task threw, rebuilt: a problem of the same class, the same validation error, or a server error (500). */
export function errorOf(failure: TaskFailure): Error {
  switch (failure.kind) {
    case 'problem':
      return problemFromWire(failure.problem)
    case 'validation':
      return new BodyValidationError(failure.items)
    case 'internal': {
      const err = new Error(failure.message)
      err.name = failure.name
      if (failure.stack !== undefined) err.stack = failure.stack
      return err
    }
  }
}
