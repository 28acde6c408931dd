/** The one way tests build the app: a fresh in-memory database, closed at teardown. */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../src/app.js'
import { type ApiKey, parseApiKeys } from '../src/config.js'

export interface Teardown {
  teardown(fn: () => unknown): void
}

export async function build(t: Teardown, opts: { apiKeys?: string; dbPath?: string } = {}): Promise<FastifyInstance> {
  const apiKeys: ApiKey[] = opts.apiKeys ? parseApiKeys(opts.apiKeys) : []
  const app = await buildApp({ config: { dbPath: opts.dbPath ?? ':memory:', apiKeys, logLevel: 'silent' }, logger: false })
  t.teardown(() => app.close())
  return app
}

/** JSON body of a response, typed loosely for assertions. */
export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T
}

export async function post(app: FastifyInstance, url: string, payload: unknown, headers: InjectOptions['headers'] = {}) {
  return app.inject({ method: 'POST', url, payload: payload as InjectOptions['payload'], headers })
}

/** A problem document as the tests read it (RFC 9457, contract §7). */
export interface FieldError {
  path: string
  message: string
  in?: string
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  errors?: FieldError[]
}

export interface Page<T> {
  items: T[]
  next_cursor: string | null
}

/** The timestamp format of every stored moment. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The JSON Pointers a problem's `errors` name, in order. */
export function paths(problem: Problem): string[] {
  return (problem.errors ?? []).map((e) => e.path)
}

export function patch(app: FastifyInstance, url: string, payload: Record<string, unknown>) {
  return app.inject({ method: 'PATCH', url, payload })
}

/** A valid figure row of POST /claims/bulk (SOHR, Khan Shaykhun, exact 87 killed), with `extra` fields set or replaced. */
export function figureRow(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: 'khan-shaykhun',
    kind: 'figure',
    source_id: 'sohr',
    stated_at: '2017-04-08',
    metric: 'killed',
    qualifier: 'exact',
    value: 87,
    ...extra,
  }
}
