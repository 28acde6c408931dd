import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import {
  FINGERPRINT_SLICE,
  IDEMPOTENCY_KEY_TTL_MS,
  canonicalJson,
  idempotencyScope,
  requestFingerprint,
  requestFingerprintSliced,
} from '../../src/plugins/idempotency.js'
import { createIdempotencyRepository } from '../../src/repositories/idempotency-repository.js'
import { generateOpenApi } from '../../src/openapi.js'
import { type Problem, build, countRows as count, createAll, figureClaim, json, post } from '../helper.js'

interface KeyRow {
  scope: string
  key: string
  method: string
  path: string
  state: string
  status: number | null
  headers: string | null
  body: string | null
  created_at: string
  expires_at: string
}

type Asserts = Pick<typeof t, 'equal' | 'strictSame' | 'match' | 'ok'>

const HEADER = 'idempotency-key'
const REPLAYED = 'idempotent-replayed'

function keyRows(app: FastifyInstance): Promise<KeyRow[]> {
  return app.sql.all<KeyRow>('SELECT * FROM idempotency_keys ORDER BY scope, key')
}

function keyed(key: string, extra: Record<string, string> = {}) {
  return { [HEADER]: key, ...extra }
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` }
}

/** A replay: the stored status and body, byte for byte, marked as replayed. */
function assertReplay(t: Asserts, replay: LightMyRequestResponse, first: LightMyRequestResponse, what: string) {
  t.equal(replay.statusCode, first.statusCode, `${what}: same status`)
  t.equal(replay.body, first.body, `${what}: same body`)
  t.equal(replay.headers['content-type'], first.headers['content-type'], `${what}: same content-type`)
  t.equal(replay.headers.location, first.headers.location, `${what}: same location`)
  t.equal(replay.headers[REPLAYED], 'true', `${what}: marked as replayed`)
}

function assertKeyProblem(t: Asserts, res: LightMyRequestResponse, status: number, type: RegExp) {
  t.equal(res.statusCode, status)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const problem = json<Problem>(res)
  t.equal(problem.status, status)
  t.match(problem.type, type)
  t.strictSame(
    problem.errors?.map((e) => ({ path: e.path, in: e.in })),
    [{ path: '/idempotency-key', in: 'header' }],
    'the problem names the header',
  )
  t.equal(res.headers[REPLAYED], undefined, 'a key problem is not a replay')
}

function deferred() {
  let resolve: () => void = () => undefined
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

const sohr = { id: 'sohr', name: 'Syrian Observatory for Human Rights', kind: 'monitor' }

const seedEvent = (app: FastifyInstance) =>
  createAll(app, [
    ['/sources', sohr],
    ['/events', { id: 'ev', title: 'An event', occurred_on: '2017-04-04' }],
  ])

const figure = figureClaim()

t.test('a retry gets the first response again, and creates nothing', async (t) => {
  const app = await build(t)
  const first = await post(app, '/sources', { name: 'Reuters', kind: 'news_agency', aliases: ['RTRS'] }, keyed('k-1'))
  t.equal(first.statusCode, 201)
  t.equal(first.headers.location, '/sources/reuters')
  t.equal(first.headers[REPLAYED], undefined, 'the first response is not a replay')

  // The same request, its keys in another order: one request.
  const retry = await post(app, '/sources', { aliases: ['RTRS'], kind: 'news_agency', name: 'Reuters' }, keyed('k-1'))
  assertReplay(t, retry, first, 'retry')
  const again = await post(app, '/sources', { name: 'Reuters', kind: 'news_agency', aliases: ['RTRS'] }, keyed('k-1'))
  assertReplay(t, again, first, 'second retry')
  t.equal(await count(app, 'sources'), 1, 'one source')

  const rows = await keyRows(app)
  t.equal(rows.length, 1)
  const row = rows[0]
  t.ok(row)
  if (!row) return
  t.strictSame(
    { scope: row.scope, key: row.key, method: row.method, path: row.path, state: row.state, status: row.status },
    { scope: 'anonymous', key: 'k-1', method: 'POST', path: '/sources', state: 'done', status: 201 },
  )
  t.strictSame(JSON.parse(row.headers ?? 'null'), { 'content-type': 'application/json; charset=utf-8', location: '/sources/reuters' })
  t.equal(Date.parse(row.expires_at) - Date.parse(row.created_at), IDEMPOTENCY_KEY_TTL_MS, 'kept 24 hours')
  t.equal(IDEMPOTENCY_KEY_TTL_MS, 24 * 60 * 60 * 1000)
})

t.test('a claim is recorded once however often it is retried', async (t) => {
  const app = await build(t)
  await seedEvent(app)
  const first = await post(app, '/events/ev/claims', figure, keyed('claim-1'))
  t.equal(first.statusCode, 201)
  t.match(first.headers.location, /^\/claims\//)
  const retry = await post(app, '/events/ev/claims', figure, keyed('claim-1'))
  assertReplay(t, retry, first, 'retry')
  t.equal(await count(app, 'claims'), 1, 'one claim')
  t.equal(await count(app, 'events'), 1, 'one event')

  // Without a key the same body is a new claim: the key is what made the retry safe.
  const unkeyed = await post(app, '/events/ev/claims', figure)
  t.equal(unkeyed.statusCode, 201)
  t.equal(await count(app, 'claims'), 2)
})

t.test('the same key with another body is a 422 naming the header', async (t) => {
  const app = await build(t)
  const first = await post(app, '/sources', sohr, keyed('k'))
  t.equal(first.statusCode, 201)
  const res = await post(app, '/sources', { ...sohr, id: 'sohr-bis' }, keyed('k'))
  assertKeyProblem(t, res, 422, /^urn:reckon:problem:idempotency-key-reused$/)
  t.match(json<Problem>(res).detail, /another body/)
  t.equal(await count(app, 'sources'), 1, 'the second body did not run')
  t.equal((await keyRows(app))[0]?.status, 201, 'the stored response is untouched')
  assertReplay(t, await post(app, '/sources', sohr, keyed('k')), first, 'the first body still replays')
})

t.test('the same key on another path, or another query string, is a 422', async (t) => {
  const app = await build(t)
  const first = await post(app, '/sources', { name: 'Same name', kind: 'other' }, keyed('k'))
  t.equal(first.statusCode, 201)

  const otherPath = await post(app, '/actors', { name: 'Same name', kind: 'other' }, keyed('k'))
  assertKeyProblem(t, otherPath, 422, /idempotency-key-reused/)
  t.match(json<Problem>(otherPath).detail, /POST \/sources/, 'says what the key was used for')
  t.equal(await count(app, 'actors'), 0, 'the actor was not created')

  const otherQuery = await post(app, '/sources?x=1', { name: 'Same name', kind: 'other' }, keyed('k'))
  assertKeyProblem(t, otherQuery, 422, /idempotency-key-reused/)
  t.equal(await count(app, 'sources'), 1)
})

t.test('a key whose first request is still running is a 409; the first then answers and is replayed', async (t) => {
  const app = await build(t)
  const gate = deferred()
  const entered = deferred()
  let runs = 0
  app.post('/test/slow', async (_request, reply) => {
    runs += 1
    entered.resolve()
    await gate.promise
    return reply.code(201).header('location', `/test/slow/${runs}`).send({ runs })
  })

  const pending = post(app, '/test/slow', { n: 1 }, keyed('slow'))
  await entered.promise
  t.strictSame(
    (await keyRows(app)).map((r) => r.state),
    ['in_flight'],
    'the key is claimed while the request runs',
  )

  const concurrent = await post(app, '/test/slow', { n: 1 }, keyed('slow'))
  assertKeyProblem(t, concurrent, 409, /^urn:reckon:problem:idempotency-key-in-flight$/)
  // Another body is a misuse of the key, running or not.
  const misuse = await post(app, '/test/slow', { n: 2 }, keyed('slow'))
  assertKeyProblem(t, misuse, 422, /idempotency-key-reused/)

  gate.resolve()
  const first = await pending
  t.equal(first.statusCode, 201)
  t.strictSame(json(first), { runs: 1 })
  assertReplay(t, await post(app, '/test/slow', { n: 1 }, keyed('slow')), first, 'after it answered')
  t.equal(runs, 1, 'the handler ran once')
})

t.test('an in_flight key left by another process is a 409', async (t) => {
  const app = await build(t)
  const repo = createIdempotencyRepository(app.sql)
  const body = { name: 'Reuters', kind: 'news_agency' }
  // On the app's connection, so through its write gate (repositories/write-gate), as every write of it.
  const outcome = await app.writes.now(() =>
    repo.claim({
      scope: 'anonymous',
      key: 'elsewhere',
      method: 'POST',
      path: '/sources',
      fingerprint: requestFingerprint('POST', '/sources', 'application/json', body),
    }),
  )
  t.strictSame(outcome, { state: 'claimed' })
  const res = await post(app, '/sources', body, keyed('elsewhere'))
  assertKeyProblem(t, res, 409, /idempotency-key-in-flight/)
  t.equal(await count(app, 'sources'), 0)
})

t.test('a 4xx answer is kept and replayed, even when a re-run would now succeed', async (t) => {
  const app = await build(t)
  t.equal((await post(app, '/sources', sohr)).statusCode, 201)

  const taken = await post(app, '/sources', sohr, keyed('taken'))
  t.equal(taken.statusCode, 409, 'a taken id')
  t.match(taken.headers['content-type'], /^application\/problem\+json/)
  assertReplay(t, await post(app, '/sources', sohr, keyed('taken')), taken, 'the 409')

  const noEvent = await post(app, '/events/ev/claims', figure, keyed('early'))
  t.equal(noEvent.statusCode, 404, 'no such event yet')
  t.equal((await post(app, '/events', { id: 'ev', title: 'An event', occurred_on: '2017-04-04' })).statusCode, 201)
  assertReplay(t, await post(app, '/events/ev/claims', figure, keyed('early')), noEvent, 'the 404')
  t.equal(await count(app, 'claims'), 0, 'the replay did not run the request')
})

t.test('a request that fails validation is claimed, and its 400 replayed', async (t) => {
  const app = await build(t)
  const bad = await post(app, '/sources', { name: 'No kind' }, keyed('bad'))
  t.equal(bad.statusCode, 400)
  assertReplay(t, await post(app, '/sources', { name: 'No kind' }, keyed('bad')), bad, 'the 400')
  const fixed = await post(app, '/sources', { name: 'No kind', kind: 'other' }, keyed('bad'))
  assertKeyProblem(t, fixed, 422, /idempotency-key-reused/)
})

t.test('a 5xx is not kept: the key is released and the retry runs again', async (t) => {
  const app = await build(t)
  let calls = 0
  app.post('/test/flaky', async (_request, reply) => {
    calls += 1
    if (calls === 1) throw new Error('the disk is on fire')
    return reply.code(201).send({ calls })
  })

  const failed = await post(app, '/test/flaky', { a: 1 }, keyed('flaky'))
  t.equal(failed.statusCode, 500)
  t.equal((await keyRows(app)).length, 0, 'nothing kept, nothing held')

  const retry = await post(app, '/test/flaky', { a: 1 }, keyed('flaky'))
  t.equal(retry.statusCode, 201)
  t.strictSame(json(retry), { calls: 2 }, 'the retry ran')
  t.equal(retry.headers[REPLAYED], undefined)

  assertReplay(t, await post(app, '/test/flaky', { a: 1 }, keyed('flaky')), retry, 'the success')
  t.equal(calls, 2)
})

t.test('an expired key can be used again, for any request; expired keys are purged', async (t) => {
  const app = await build(t)
  const repo = createIdempotencyRepository(app.sql)
  const body = { name: 'Reuters', kind: 'news_agency' }
  const stale = { status: 201, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"stale":true}' }
  const longAgo = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS - 60_000)
  const lately = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS + 60_000)
  const sameRequest = requestFingerprint('POST', '/sources', 'application/json', body)
  const entries = [
    { key: 'expired-same', fingerprint: sameRequest, at: longAgo },
    { key: 'expired-other', fingerprint: 'another request', at: longAgo },
    { key: 'live-other', fingerprint: 'another request', at: lately },
    { key: 'expired-unused', fingerprint: 'another request', at: longAgo },
  ]
  for (const e of entries) {
    const claimed = await app.writes.now(() =>
      repo.claim({ scope: 'anonymous', key: e.key, method: 'POST', path: '/sources', fingerprint: e.fingerprint }, e.at),
    )
    t.strictSame(claimed, { state: 'claimed' })
    await app.writes.now(() => repo.complete('anonymous', e.key, stale))
  }

  const rerun = await post(app, '/sources', body, keyed('expired-same'))
  t.equal(rerun.statusCode, 201, 'the same request runs again rather than replaying a stale answer')
  t.equal(rerun.headers[REPLAYED], undefined)
  t.equal(json(rerun).id, 'reuters')
  t.strictSame(
    (await keyRows(app)).map((r) => r.key),
    ['expired-same', 'live-other'],
    'every expired key was purged; the reused key is held anew',
  )

  const reuse = await post(app, '/sources', body, keyed('expired-other'))
  t.equal(reuse.statusCode, 201, 'another request may take an expired key')
  t.equal(json(reuse).id, 'reuters-2')

  const live = await post(app, '/sources', body, keyed('live-other'))
  assertKeyProblem(t, live, 422, /idempotency-key-reused/)
})

t.test('keys are per client: two API keys may use the same key', async (t) => {
  const app = await build(t, { apiKeys: 'a:write,b:write' })
  const a1 = await post(app, '/sources', { name: 'Alpha', kind: 'other' }, keyed('shared', bearer('a')))
  const b1 = await post(app, '/sources', { name: 'Beta', kind: 'other' }, keyed('shared', bearer('b')))
  t.equal(a1.statusCode, 201)
  t.equal(b1.statusCode, 201, "b's request runs, not a 422 against a's")
  t.equal(b1.headers[REPLAYED], undefined)
  t.equal(json(b1).id, 'beta')

  assertReplay(t, await post(app, '/sources', { name: 'Alpha', kind: 'other' }, keyed('shared', bearer('a'))), a1, 'a')
  assertReplay(t, await post(app, '/sources', { name: 'Beta', kind: 'other' }, keyed('shared', bearer('b'))), b1, 'b')
  t.equal(await count(app, 'sources'), 2)

  const scopes = (await keyRows(app)).map((r) => r.scope)
  t.strictSame(scopes.sort(), [idempotencyScope('Bearer a'), idempotencyScope('Bearer b')].sort())
  t.notOk(
    scopes.some((s) => s === 'a' || s === 'b' || s === 'anonymous'),
    'tokens are not stored',
  )
})

t.test('a 401 does not claim, so does not burn, the key', async (t) => {
  const app = await build(t, { apiKeys: 'a:write,r:read' })
  const denied = await post(app, '/sources', sohr, keyed('k', bearer('r')))
  t.equal(denied.statusCode, 401)
  const anonymous = await post(app, '/sources', sohr, keyed('k'))
  t.equal(anonymous.statusCode, 401)
  t.equal((await keyRows(app)).length, 0, 'no key was claimed')

  // The read-only client gets its write key and retries with the same idempotency key.
  const ok = await post(app, '/sources', sohr, keyed('k', bearer('a')))
  t.equal(ok.statusCode, 201)
  t.equal(ok.headers[REPLAYED], undefined)
})

t.test('a malformed key is a 400 naming the header, and claims nothing', async (t) => {
  const app = await build(t)
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé'],
    ['a control character', 'a\tb'],
  ]
  for (const [what, key] of cases) {
    const res = await post(app, '/sources', sohr, keyed(key))
    t.equal(res.statusCode, 400, what)
    const problem = json<Problem>(res)
    t.equal(problem.type, 'urn:reckon:problem:validation', what)
    t.strictSame(
      problem.errors?.map((e) => ({ path: e.path, in: e.in })),
      [{ path: '/idempotency-key', in: 'header' }],
      what,
    )
  }
  t.equal((await keyRows(app)).length, 0)
  t.equal(await count(app, 'sources'), 0)

  const longest = await post(app, '/sources', sohr, keyed('~'.repeat(255)))
  t.equal(longest.statusCode, 201, '255 printable characters are a key')
  t.equal((await keyRows(app))[0]?.key, '~'.repeat(255))
})

t.test('a POST without the header is unaffected', async (t) => {
  const app = await build(t)
  const first = await post(app, '/sources', { name: 'Reuters', kind: 'news_agency' })
  const second = await post(app, '/sources', { name: 'Reuters', kind: 'news_agency' })
  t.equal(first.statusCode, 201)
  t.equal(second.statusCode, 201)
  t.equal(json(second).id, 'reuters-2', 'both ran')
  t.equal(second.headers[REPLAYED], undefined)
  t.equal((await keyRows(app)).length, 0, 'nothing stored')
})

t.test('GET ignores the header', async (t) => {
  const app = await build(t)
  await post(app, '/sources', sohr)
  for (const key of ['list', '']) {
    const res = await app.inject({ method: 'GET', url: '/sources', headers: keyed(key) })
    t.equal(res.statusCode, 200, `key "${key}"`)
    t.equal(res.headers[REPLAYED], undefined)
    t.equal(json<{ items: unknown[] }>(res).items.length, 1)
  }
  const one = await app.inject({ method: 'GET', url: '/sources/sohr', headers: keyed('k'.repeat(300)) })
  t.equal(one.statusCode, 200)
  t.equal((await keyRows(app)).length, 0)
})

t.test('the fingerprint: key order does not matter; method, path, media type and body do', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: null } }), '{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}')
  t.equal(canonicalJson(undefined), '')
  const base = requestFingerprint('POST', '/sources', 'application/json', { a: 1, b: 2 })
  t.match(base, /^[0-9a-f]{64}$/)
  t.equal(requestFingerprint('POST', '/sources', 'application/json; charset=utf-8', { b: 2, a: 1 }), base)
  t.equal(requestFingerprint('POST', '/sources', 'Application/JSON', { a: 1, b: 2 }), base)
  const others = [
    requestFingerprint('PUT', '/sources', 'application/json', { a: 1, b: 2 }),
    requestFingerprint('POST', '/actors', 'application/json', { a: 1, b: 2 }),
    requestFingerprint('POST', '/sources?a=1', 'application/json', { a: 1, b: 2 }),
    requestFingerprint('POST', '/sources', 'text/csv', { a: 1, b: 2 }),
    requestFingerprint('POST', '/sources', 'application/json', { a: 1, b: 3 }),
    requestFingerprint('POST', '/sources', 'application/json', '{"a":1,"b":2}'),
    requestFingerprint('POST', '/sources', 'application/json', undefined),
  ]
  t.equal(new Set([base, ...others]).size, others.length + 1, 'all different')
  t.equal(idempotencyScope(undefined), 'anonymous')
  t.equal(idempotencyScope('Bearer abc'), idempotencyScope('bearer  abc '), 'the token, however the header is spelled')
  t.not(idempotencyScope('Bearer abc'), idempotencyScope('Bearer abd'))
})

t.test('a large array body is fingerprinted a slice at a time, to the same digest', async (t) => {
  const rows: unknown[] = Array.from({ length: 2 * FINGERPRINT_SLICE + 7 }, (_, i) => ({ z: i, a: { y: [i, null], b: 'x' } }))
  rows.push(null, [], 'a row', 5)
  const whole = requestFingerprint('POST', '/claims/bulk', 'application/x-ndjson', rows)
  const seen: string[] = []
  setImmediate(() => seen.push('another turn of the loop'))
  const sliced = await requestFingerprintSliced('POST', '/claims/bulk', 'application/x-ndjson', rows).finally(() => seen.push('digest'))
  t.equal(sliced, whole, 'the digest of the body in one piece')
  t.strictSame(seen, ['another turn of the loop', 'digest'], 'the event loop turned in between')
  for (const small of [rows.slice(0, FINGERPRINT_SLICE), { a: 1 }, 'text', undefined]) {
    t.equal(
      await requestFingerprintSliced('POST', '/x', 'application/json', small),
      requestFingerprint('POST', '/x', 'application/json', small),
    )
  }
})

t.test('every POST documents the header and its 409 and 422; other methods do not', async (t) => {
  interface Op {
    parameters?: Array<{ in: string; name: string; required?: boolean; description?: string }>
    responses?: Record<string, { content?: Record<string, unknown> }>
  }
  const doc = JSON.parse(await generateOpenApi()) as { paths: Record<string, Record<string, Op>> }
  let posts = 0
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const header = op.parameters?.find((p) => p.in === 'header' && p.name === HEADER)
      if (method !== 'post') {
        t.notOk(header, `${method.toUpperCase()} ${path} has no Idempotency-Key`)
        continue
      }
      posts += 1
      t.ok(header, `POST ${path} documents the header`)
      t.equal(header?.required, false, `POST ${path}: the header is optional`)
      t.match(header?.description ?? '', /422/, `POST ${path}: the header is explained`)
      for (const code of ['409', '422']) {
        t.ok(op.responses?.[code]?.content?.['application/problem+json'], `POST ${path} documents its ${code}`)
      }
    }
  }
  t.ok(posts >= 5, `${posts} POST operations`)
  const added = doc.paths['/claims/{id}/retraction']?.post?.responses?.['422'] as { description?: string } | undefined
  t.match(added?.description ?? '', /Idempotency-Key/, 'a 422 is added, and explained, where the route had none')
})

t.test('a body nested thousands deep is a 400 problem, not a crash of the fingerprint', async (t) => {
  const app = await build(t)
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
  const res = await app.inject({
    method: 'POST',
    url: '/claims',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'deep-1' },
    payload: deep,
  })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.body, /nested too deeply/)
})
