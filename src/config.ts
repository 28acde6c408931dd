/** The environment, read and validated once (contract §0). */
import { z } from 'zod'

const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export interface ApiKey {
  token: string
  scopes: Set<Scope>
}

/** `token:scopes,token:scopes`, scopes joined by `+` (e.g. `s3cret:read+write`). */
export function parseApiKeys(text: string): ApiKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, i) => {
      const colon = entry.lastIndexOf(':')
      if (colon <= 0) throw new Error(`RECKON_API_KEYS entry ${i + 1} must be token:scopes (e.g. s3cret:read+write)`)
      const token = entry.slice(0, colon)
      const scopes = entry.slice(colon + 1).split('+').map((s) => s.trim())
      for (const scope of scopes) {
        if (!(SCOPES as readonly string[]).includes(scope)) {
          throw new Error(`RECKON_API_KEYS entry ${i + 1}: unknown scope "${scope}" (use ${SCOPES.join(', ')})`)
        }
      }
      return { token, scopes: new Set(scopes as Scope[]) }
    })
}

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  RECKON_DB: z.string().min(1).default('data/reckon.db'),
  RECKON_API_KEYS: z.string().default(''),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export interface Config {
  port: number
  host: string
  dbPath: string
  apiKeys: ApiKey[]
  logLevel: z.output<typeof Env>['LOG_LEVEL']
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A variable set to the empty string counts as unset (PORT= must not mean a random port).
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''))
  const parsed = Env.safeParse(set)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  return { port: e.PORT, host: e.HOST, dbPath: e.RECKON_DB, apiKeys: parseApiKeys(e.RECKON_API_KEYS), logLevel: e.LOG_LEVEL }
}
