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
