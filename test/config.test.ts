import t from 'tap'
import { loadConfig, parseApiKeys } from '../src/config.js'

t.test('parseApiKeys', async (t) => {
  t.test('token:scopes pairs, scopes joined by +', async (t) => {
    const keys = parseApiKeys('s3cret:read+write, r1:read ,a1:admin')
    t.equal(keys.length, 3)
    t.equal(keys[0]?.token, 's3cret')
    t.strictSame([...(keys[0]?.scopes ?? [])].sort(), ['read', 'write'])
    t.equal(keys[1]?.token, 'r1', 'entries are trimmed')
    t.strictSame([...(keys[1]?.scopes ?? [])], ['read'])
    t.equal(keys[2]?.token, 'a1')
    t.strictSame([...(keys[2]?.scopes ?? [])], ['admin'])
  })

  t.test('empty input and empty entries give no keys', async (t) => {
    t.strictSame(parseApiKeys(''), [])
    t.strictSame(parseApiKeys(' , ,'), [])
    t.equal(parseApiKeys('a:read,,b:write').length, 2)
  })

  t.test('a token may contain a colon: the scopes follow the last one', async (t) => {
    const [key] = parseApiKeys('abc:def:write')
    t.equal(key?.token, 'abc:def')
    t.strictSame([...(key?.scopes ?? [])], ['write'])
  })

  t.test('a missing colon or token is an error naming the entry', async (t) => {
    t.throws(() => parseApiKeys('s3cret'), /entry 1 must be token:scopes/)
    t.throws(() => parseApiKeys('a:read,nocolon'), /entry 2 must be token:scopes/)
    t.throws(() => parseApiKeys(':read'), /must be token:scopes/, 'an empty token')
  })

  t.test('an unknown scope is an error naming it', async (t) => {
    t.throws(() => parseApiKeys('s3cret:superuser'), /unknown scope "superuser"/)
    t.throws(() => parseApiKeys('a:read,b:read+delete'), /entry 2: unknown scope "delete"/)
    t.throws(() => parseApiKeys('s3cret:'), /unknown scope ""/, 'no scopes at all')
    t.throws(() => parseApiKeys('s3cret:READ'), /unknown scope "READ"/, 'scopes are lower-case')
  })
})

t.test('loadConfig', async (t) => {
  t.test('defaults', async (t) => {
    const config = loadConfig({})
    t.strictSame(config, {
      port: 3000,
      host: '127.0.0.1',
      dbPath: 'data/reckon.db',
      apiKeys: [],
      readsNeedKey: false,
      rateLimit: 1200,
      corsOrigins: [],
      requestTimeoutMs: 60_000,
      maxEventLoopDelayMs: 2000,
      logLevel: 'info',
    })
  })

  t.test('reads every variable', async (t) => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      RECKON_DB: ':memory:',
      RECKON_DATABASE_URL: 'postgres://reckon@db.example.org:5432/reckon',
      RECKON_API_KEYS: 'k:read+write',
      RECKON_READS_NEED_KEY: 'true',
      RECKON_RATE_LIMIT: '60',
      RECKON_CORS_ORIGINS: 'https://desk.example.org, http://localhost:8080',
      RECKON_REQUEST_TIMEOUT_MS: '5000',
      RECKON_MAX_EVENT_LOOP_DELAY_MS: '0',
      LOG_LEVEL: 'debug',
    })
    t.equal(config.readsNeedKey, true)
    t.equal(config.rateLimit, 60)
    t.strictSame(config.corsOrigins, ['https://desk.example.org', 'http://localhost:8080'])
    t.equal(config.requestTimeoutMs, 5000)
    t.equal(config.maxEventLoopDelayMs, 0)
    t.equal(config.port, 8080)
    t.equal(config.host, '0.0.0.0')
    t.equal(config.dbPath, ':memory:')
    t.equal(config.databaseUrl, 'postgres://reckon@db.example.org:5432/reckon')
    t.equal(config.logLevel, 'debug')
    t.equal(config.apiKeys.length, 1)
    t.equal(config.apiKeys[0]?.token, 'k')
    t.ok(config.apiKeys[0]?.scopes.has('write'))
  })

  t.test('an invalid PORT is refused with a message naming it', async (t) => {
    for (const PORT of ['abc', '70000', '-1', '80.5']) {
      t.throws(() => loadConfig({ PORT }), /Invalid configuration:[\s\S]*PORT/, PORT)
    }
  })

  t.test('other invalid values are refused', async (t) => {
    t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
    t.throws(() => loadConfig({ RECKON_API_KEYS: 'nocolon' }), /must be token:scopes/)
    t.throws(() => loadConfig({ RECKON_READS_NEED_KEY: 'yes' }), /RECKON_READS_NEED_KEY/)
    t.throws(() => loadConfig({ RECKON_RATE_LIMIT: '-5' }), /RECKON_RATE_LIMIT/)
    t.throws(() => loadConfig({ RECKON_CORS_ORIGINS: 'desk.example.org' }), /RECKON_CORS_ORIGINS entry 1/)
    t.throws(() => loadConfig({ RECKON_CORS_ORIGINS: 'https://a.example/path' }), /must be an origin only/)
    t.throws(() => loadConfig({ RECKON_REQUEST_TIMEOUT_MS: '10' }), /RECKON_REQUEST_TIMEOUT_MS/)
    for (const bad of ['0', '17', 'true', 'nginx', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', ' , ']) {
      t.throws(() => loadConfig({ RECKON_TRUST_PROXY: bad }), /RECKON_TRUST_PROXY/, bad)
    }
    t.throws(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' }), /PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/, 'all problems are listed')
  })

  t.test('RECKON_TRUST_PROXY: how many proxies, or their addresses and networks', async (t) => {
    t.equal(loadConfig({ RECKON_TRUST_PROXY: '1' }).trustProxy, 1)
    t.equal(loadConfig({ RECKON_TRUST_PROXY: '2' }).trustProxy, 2)
    t.strictSame(loadConfig({ RECKON_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8' }).trustProxy, [
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
    ])
    t.equal('trustProxy' in loadConfig({}), false, 'absent by default: no proxy is believed')
  })

  t.test('reads process.env by default', async (t) => {
    const saved = process.env.PORT
    process.env.PORT = '4321'
    t.teardown(() => {
      if (saved === undefined) delete process.env.PORT
      else process.env.PORT = saved
    })
    t.equal(loadConfig().port, 4321)
  })
})

t.test('an empty variable counts as unset', async (t) => {
  const config = loadConfig({ PORT: '', HOST: '', RECKON_DB: '' })
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.dbPath, 'data/reckon.db')
})
