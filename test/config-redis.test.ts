/** RECKON_REDIS_URL and RECKON_REDIS_PREFIX (rate limits shared by replicas): what is taken, and what stops the start with a message naming the variable and never the password. */
import t from 'tap'
import { DEFAULT_REDIS_PREFIX, loadConfig, parseRedisUrl, redactRedisUrl } from '../src/config.js'

t.test('without RECKON_REDIS_URL there is no redis setting: each replica counts its own limits', async (t) => {
  t.equal('redis' in loadConfig({}), false)
  t.equal('redis' in loadConfig({ RECKON_REDIS_URL: '' }), false, 'an empty variable counts as unset')
})

t.test('redis:// and rediss:// URLs are taken as they are, with the default prefix', async (t) => {
  for (const url of [
    'redis://127.0.0.1:6379',
    'redis://localhost',
    'redis://127.0.0.1:6379/',
    'redis://127.0.0.1:6379/2',
    'redis://:s3cret@cache.internal:6380/0',
    'redis://reckon:s3cret@cache.internal',
    'rediss://default:s3cret@cache.example.org:6380',
    'redis://[::1]:6379',
  ]) {
    t.strictSame(loadConfig({ RECKON_REDIS_URL: url }).redis, { url, prefix: DEFAULT_REDIS_PREFIX }, url)
  }
  t.equal(DEFAULT_REDIS_PREFIX, 'reckon:')
})

t.test('RECKON_REDIS_PREFIX sets the deployment’s part of a shared Redis', async (t) => {
  t.strictSame(loadConfig({ RECKON_REDIS_URL: 'redis://127.0.0.1', RECKON_REDIS_PREFIX: 'reckon-staging:' }).redis, {
    url: 'redis://127.0.0.1',
    prefix: 'reckon-staging:',
  })
  for (const prefix of ['has space', ':leading', 'x'.repeat(65), 'a*b', 'ünï']) {
    t.throws(
      () => loadConfig({ RECKON_REDIS_URL: 'redis://127.0.0.1', RECKON_REDIS_PREFIX: prefix }),
      /Invalid configuration:[\s\S]*RECKON_REDIS_PREFIX: at most 64 letters/,
      JSON.stringify(prefix),
    )
  }
  t.throws(
    () => loadConfig({ RECKON_REDIS_PREFIX: 'reckon-staging:' }),
    /^RECKON_REDIS_PREFIX is set but RECKON_REDIS_URL is not/,
    'a prefix without a URL is a mistake, not a silent per-replica count',
  )
})

t.test('a bad RECKON_REDIS_URL is refused naming the variable and the expected shape, never repeating the value', async (t) => {
  const cases: Array<[url: string, message: RegExp]> = [
    ['not a url s3cret', /^RECKON_REDIS_URL is not a URL: use redis:\/\/\[\[user\]:password@\]host\[:port\]\[\/db\], or rediss:\/\//],
    ['127.0.0.1:6379', /^RECKON_REDIS_URL is not a URL/],
    ['redis://:s3cret@/0', /^RECKON_REDIS_URL is not a URL/],
    ['localhost:6379', /^RECKON_REDIS_URL must start with redis:\/\/ or rediss:\/\/ \(its scheme is "localhost"\): use redis:\/\//],
    ['http://:s3cret@127.0.0.1:6379', /^RECKON_REDIS_URL must start with redis:\/\/ or rediss:\/\/ \(its scheme is "http"\)/],
    ['redis+sentinel://:s3cret@host', /^RECKON_REDIS_URL must start with redis:\/\/ or rediss:\/\/ \(its scheme is "redis\+sentinel"\)/],
    ['redis:///0', /^RECKON_REDIS_URL names no host/],
    ['redis://:s3cret@127.0.0.1/cache', /^RECKON_REDIS_URL: the path may only be a database number/],
    ['redis://:s3cret@127.0.0.1/0/1', /^RECKON_REDIS_URL: the path may only be a database number/],
    ['redis://127.0.0.1?password=s3cret', /^RECKON_REDIS_URL may have no query \(\?…\) or fragment/],
    ['redis://:s3cret@127.0.0.1#x', /^RECKON_REDIS_URL may have no query \(\?…\) or fragment/],
  ]
  for (const [url, message] of cases) {
    let error: unknown = null
    try {
      loadConfig({ RECKON_REDIS_URL: url })
    } catch (err) {
      error = err
    }
    t.type(error, Error, url)
    const text = error instanceof Error ? error.message : ''
    t.match(text, message, url)
    t.notMatch(text, /s3cret/, `${url}: no password in the message`)
    t.throws(() => parseRedisUrl(url), message, `parseRedisUrl ${url}`)
  }
})

t.test('redactRedisUrl masks the password, and only that', async (t) => {
  t.equal(redactRedisUrl('redis://:s3cret@cache.internal:6380/2'), 'redis://:***@cache.internal:6380/2')
  t.equal(redactRedisUrl('rediss://reckon:s3cret@cache.example.org'), 'rediss://reckon:***@cache.example.org')
  t.equal(redactRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379')
  t.equal(redactRedisUrl('redis://reckon@127.0.0.1'), 'redis://reckon@127.0.0.1', 'a user without a password')
})
