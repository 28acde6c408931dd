/**
 * Idempotency-Key (contract §9) at its edges: a store that fails to keep an
 * answer, a route that declares headers of its own, and a body the
 * fingerprint cannot write (plugins/idempotency.ts).
 */
import t from 'tap'
import { refuse, testStore } from '../store.js'
import { z } from 'zod'
import { buildApp } from '../../src/app.js'
import { ProblemError } from '../../src/errors.js'
import { canonicalJson } from '../../src/plugins/idempotency.js'
import { build, json } from '../helper.js'

t.test('when the answer cannot be kept, the request still gets it, and the failure is logged', async (t) => {
  const lines: string[] = []
  const app = await buildApp({
    config: { ...(await testStore()), apiKeys: [], logLevel: 'error' },
    logStream: { write: (line) => void lines.push(line) },
  })
  t.teardown(() => app.close())
  // The store refuses to record answers (as a full disk would).
  await refuse(app, { name: 'refuse_answers', before: 'UPDATE', table: 'idempotency_keys', message: 'database or disk is full' })
  const res = await app.inject({
    method: 'POST',
    url: '/sources',
    headers: { 'idempotency-key': 'keep-fails-1' },
    payload: { id: 'sohr', name: 'Syrian Observatory for Human Rights', kind: 'monitor' },
  })
  t.equal(res.statusCode, 201, 'the request happened, and is answered as it happened')
  t.equal(res.headers.location, '/sources/sohr')
  t.equal(json<{ id: string }>(res).id, 'sohr')
  t.equal(res.headers['idempotent-replayed'], undefined)
  t.equal((await app.inject({ method: 'GET', url: '/sources/sohr' })).statusCode, 200, 'the source exists')
  const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message?: string } })
  t.strictSame(
    logged.map((l) => [l.level, l.msg, l.err?.message]),
    [[50, 'could not keep the response to an Idempotency-Key', 'database or disk is full']],
  )

  // The key was released, not left claimed: a retry runs (and meets the source it made), instead of
  // being told for 24 hours that the first request is still running (contract §9 allows that 409 only while it is).
  const retry = await app.inject({
    method: 'POST',
    url: '/sources',
    headers: { 'idempotency-key': 'keep-fails-1' },
    payload: { id: 'sohr', name: 'Syrian Observatory for Human Rights', kind: 'monitor' },
  })
  t.equal(retry.statusCode, 409)
  t.equal(json<{ type: string }>(retry).type, 'urn:reckon:problem:conflict', 'the id is taken: not idempotency-key-in-flight')
})

interface Parameter {
  in: string
  name: string
  required?: boolean
}

interface Operation {
  parameters?: Parameter[]
  responses?: Record<string, unknown>
}

t.test('a POST route with headers of its own documents and accepts the Idempotency-Key beside them', async (t) => {
  const app = await build(t)
  // Routes added after the plugins, as a new route would be.
  app.post(
    '/desk-notes',
    { schema: { operationId: 'postDeskNote', headers: z.looseObject({ 'x-desk': z.string().min(1) }), response: { 204: z.null() } } },
    async (_request, reply) => reply.code(204).send(),
  )
  app.post(
    '/own-key',
    { schema: { operationId: 'postOwnKey', headers: z.looseObject({ 'idempotency-key': z.uuid() }), response: { 204: z.null() } } },
    async (_request, reply) => reply.code(204).send(),
  )
  const doc = json<{ paths: Record<string, { post?: Operation }> }>(await app.inject({ method: 'GET', url: '/openapi.json' }))
  const desk = doc.paths['/desk-notes']?.post
  t.strictSame(
    desk?.parameters?.map((p) => [p.in, p.name, p.required]),
    [
      ['header', 'x-desk', true],
      ['header', 'idempotency-key', false],
    ],
    'its own header, and the optional key added',
  )
  t.strictSame(
    Object.keys(desk?.responses ?? {}).filter((code) => code === '409' || code === '422'),
    ['409', '422'],
    'with the key’s 409 and 422',
  )
  t.strictSame(
    doc.paths['/own-key']?.post?.parameters?.map((p) => [p.in, p.name, p.required]),
    [['header', 'idempotency-key', true]],
    'a route that declares the header itself keeps its own declaration',
  )

  const send = () => app.inject({ method: 'POST', url: '/desk-notes', headers: { 'x-desk': 'night', 'idempotency-key': 'note-1' } })
  const first = await send()
  t.equal(first.statusCode, 204, 'the extended headers schema accepts the key')
  t.equal(first.headers['idempotent-replayed'], undefined)
  const again = await send()
  t.equal(again.statusCode, 204)
  t.equal(again.headers['idempotent-replayed'], 'true', 'and the retry is a replay')
})

t.test('a body JSON cannot write is not mistaken for one nested too deeply', async (t) => {
  let caught: unknown
  try {
    canonicalJson({ value: 10n })
  } catch (err) {
    caught = err
  }
  t.equal(caught instanceof TypeError, true, "JSON.stringify's own error comes through")
  t.equal(caught instanceof ProblemError, false, 'not turned into a 400 about nesting')
  t.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}', 'what it can write, it writes with sorted keys')
})
