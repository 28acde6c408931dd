/** The environment, read and validated once (contract §0). */
import { isIP } from 'node:net'
import { z } from 'zod'

/** What an API key may do (contract §13), in this order wherever keys are shown. */
export const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export interface ApiKey {
  token: string
  scopes: Set<Scope>
}

/** The non-empty items of a comma-separated setting, trimmed. */
function commaList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
}

/** `token:scopes,token:scopes`, scopes joined by `+` (e.g. `s3cret:read+write`). */
export function parseApiKeys(text: string): ApiKey[] {
  return commaList(text).map((entry, i) => {
    const colon = entry.lastIndexOf(':')
    if (colon <= 0) throw new Error(`RECKON_API_KEYS entry ${i + 1} must be token:scopes (e.g. s3cret:read+write)`)
    const token = entry.slice(0, colon)
    const scopes = entry
      .slice(colon + 1)
      .split('+')
      .map((s) => s.trim())
    for (const scope of scopes) {
      if (!(SCOPES as readonly string[]).includes(scope)) {
        throw new Error(`RECKON_API_KEYS entry ${i + 1}: unknown scope "${scope}" (use ${SCOPES.join(', ')})`)
      }
    }
    return { token, scopes: new Set(scopes as Scope[]) }
  })
}

const Flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')

const TRUST_PROXY_SHAPE = 'a number of proxies (1, 2, …) or their addresses and networks, comma-separated (127.0.0.1,10.0.0.0/8)'

/**
 * RECKON_TRUST_PROXY: which proxies' `X-Forwarded-For` (and `-Proto`,
 * `-Host`) to believe, as Fastify's `trustProxy` takes them — how many hops
 * in front of Reckon, or the addresses and networks of the proxies. Never
 * "all": a client could then name any address and dodge its rate limit.
 */
export function parseTrustProxy(text: string): number | string[] {
  if (/^\d+$/.test(text)) {
    const hops = Number(text)
    if (hops < 1 || hops > 16) throw new Error(`RECKON_TRUST_PROXY: ${text} proxies? Use ${TRUST_PROXY_SHAPE}`)
    return hops
  }
  const entries = commaList(text)
  if (entries.length === 0) throw new Error(`RECKON_TRUST_PROXY names no proxy: use ${TRUST_PROXY_SHAPE}`)
  return entries.map((entry, i) => {
    const [address = '', bits, ...rest] = entry.split('/')
    const family = isIP(address)
    const max = family === 6 ? 128 : 32
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max)
    if (family === 0 || !validBits || rest.length > 0)
      throw new Error(`RECKON_TRUST_PROXY entry ${i + 1} ("${entry}") is not an address or a network: use ${TRUST_PROXY_SHAPE}`)
    return entry
  })
}

/** `https://a.example,https://b.example`: each an origin (scheme://host[:port]), no path. */
export function parseOrigins(text: string): string[] {
  return commaList(text).map((o, i) => {
    let url: URL
    try {
      url = new URL(o)
    } catch {
      throw new Error(`RECKON_CORS_ORIGINS entry ${i + 1} ("${o}") is not an origin such as https://desk.example.org`)
    }
    if (url.origin !== o.replace(/\/$/, ''))
      throw new Error(`RECKON_CORS_ORIGINS entry ${i + 1} ("${o}") must be an origin only (scheme://host[:port]), as ${url.origin}`)
    return url.origin
  })
}

/** Where rate limits are counted when replicas share them (RECKON_REDIS_URL), and the deployment's own part of that Redis. */
export interface RedisConfig {
  /** redis://[[user]:password@]host[:port][/db], or rediss://… for TLS. */
  url: string
  /** Every key this deployment writes starts with it (RECKON_REDIS_PREFIX), so that deployments sharing a Redis count apart. */
  prefix: string
}

export const DEFAULT_REDIS_PREFIX = 'reckon:'

const REDIS_URL_SHAPE = 'redis://[[user]:password@]host[:port][/db], or rediss://… for TLS (e.g. redis://127.0.0.1:6379)'

/**
 * RECKON_REDIS_URL checked: a redis:// or rediss:// URL with a host, an optional database number
 * and nothing else. A message never repeats the value, which may hold a password.
 */
export function parseRedisUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`RECKON_REDIS_URL is not a URL: use ${REDIS_URL_SHAPE}`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(
      `RECKON_REDIS_URL must start with redis:// or rediss:// (its scheme is "${url.protocol.slice(0, -1)}"): use ${REDIS_URL_SHAPE}`,
    )
  if (url.hostname === '') throw new Error(`RECKON_REDIS_URL names no host: use ${REDIS_URL_SHAPE}`)
  if (!/^\/?\d*$/.test(url.pathname))
    throw new Error(`RECKON_REDIS_URL: the path may only be a database number (/0, /1, …): use ${REDIS_URL_SHAPE}`)
  if (url.search !== '' || url.hash !== '')
    throw new Error(`RECKON_REDIS_URL may have no query (?…) or fragment (#…): use ${REDIS_URL_SHAPE}`)
  return text
}

/** A Redis URL as logs and messages may show it: the password, if any, masked. */
export function redactRedisUrl(text: string): string {
  const url = new URL(text)
  if (url.password !== '') url.password = '***'
  return url.href
}

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  RECKON_DB: z.string().min(1).default('data/reckon.db'),
  RECKON_DATABASE_URL: z.string().optional(),
  RECKON_API_KEYS: z.string().default(''),
  RECKON_READS_NEED_KEY: Flag.default(false),
  RECKON_RATE_LIMIT: z.coerce.number().int().min(0).default(1200),
  RECKON_CORS_ORIGINS: z.string().default(''),
  RECKON_TRUST_PROXY: z.string().optional(),
  RECKON_REDIS_URL: z.string().optional(),
  RECKON_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/, 'at most 64 letters, digits, ":", ".", "_" or "-", starting with a letter or digit')
    .optional(),
  RECKON_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  RECKON_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})

export interface Config {
  port: number
  host: string
  dbPath: string
  /** PostgreSQL (RECKON_DATABASE_URL), the store of several replicas; SQLite at dbPath without it. Checked when opened (db/pg/client). */
  databaseUrl?: string | undefined
  apiKeys: ApiKey[]
  /** Reads need a key with `read` too (RECKON_READS_NEED_KEY). */
  readsNeedKey: boolean
  /** Requests a minute per key (or per client address without one); 0: no limit. */
  rateLimit: number
  /** Origins whose pages may call the API from a browser (CORS); none: no CORS headers. */
  corsOrigins: string[]
  /** The proxies whose X-Forwarded-For is believed (RECKON_TRUST_PROXY): how many, or their addresses; absent: none. */
  trustProxy?: number | string[]
  /** Rate limits shared by every replica through this Redis; absent: each replica counts its own. */
  redis?: RedisConfig
  /** A request must arrive whole within this (slow clients hold sockets otherwise). */
  requestTimeoutMs: number
  /** Above this event-loop delay the server answers 503 with Retry-After; 0: never. */
  maxEventLoopDelayMs: number
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
  if (e.RECKON_REDIS_PREFIX !== undefined && e.RECKON_REDIS_URL === undefined)
    throw new Error('RECKON_REDIS_PREFIX is set but RECKON_REDIS_URL is not: set both to share rate limits through Redis, or neither')
  const redis: RedisConfig | undefined =
    e.RECKON_REDIS_URL === undefined
      ? undefined
      : { url: parseRedisUrl(e.RECKON_REDIS_URL), prefix: e.RECKON_REDIS_PREFIX ?? DEFAULT_REDIS_PREFIX }
  return {
    port: e.PORT,
    host: e.HOST,
    dbPath: e.RECKON_DB,
    ...(e.RECKON_DATABASE_URL === undefined ? {} : { databaseUrl: e.RECKON_DATABASE_URL }),
    apiKeys: parseApiKeys(e.RECKON_API_KEYS),
    readsNeedKey: e.RECKON_READS_NEED_KEY,
    rateLimit: e.RECKON_RATE_LIMIT,
    corsOrigins: parseOrigins(e.RECKON_CORS_ORIGINS),
    ...(e.RECKON_TRUST_PROXY === undefined ? {} : { trustProxy: parseTrustProxy(e.RECKON_TRUST_PROXY) }),
    // Absent rather than undefined without a URL: the configuration reads the same as before it existed.
    ...(redis === undefined ? {} : { redis }),
    requestTimeoutMs: e.RECKON_REQUEST_TIMEOUT_MS,
    maxEventLoopDelayMs: e.RECKON_MAX_EVENT_LOOP_DELAY_MS,
    logLevel: e.LOG_LEVEL,
  }
}
