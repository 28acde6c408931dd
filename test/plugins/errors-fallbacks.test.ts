/**
 * The errors plugin's last resorts: a 4xx error it has no words of its own
 * for, and a router error other than the two it names (plugins/errors.ts).
 */
import t from 'tap'
import Fastify, { type FastifyServerOptions } from 'fastify'
import errorsPlugin, { frameworkErrors } from '../../src/plugins/errors.js'
import { build, json, type Page, type Problem } from '../helper.js'

type Strategy = NonNullable<NonNullable<FastifyServerOptions['routerOptions']>['constraints']>[string]

t.test('a body shorter than its Content-Length says is a 400 problem with the reason, and nothing is written', async (t) => {
  const app = await build(t)
  const res = await app.inject({
    method: 'POST',
    url: '/sources?x=1',
    headers: { 'content-type': 'application/json', 'content-length': '500' },
    payload: JSON.stringify({ name: 'Syrian Observatory for Human Rights', kind: 'monitor' }),
  })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const problem = json<Problem>(res)
  t.equal(problem.type, 'urn:reckon:problem:invalid-request')
  t.equal(problem.title, 'Invalid request')
  t.equal(problem.status, 400)
  t.equal(problem.detail, 'The body is not as long as its Content-Length header says.')
  t.strictSame(
    problem.errors,
    [{ path: '/content-length', in: 'header', message: 'does not match the size of the body sent' }],
    'the header named',
  )
  t.equal(problem.instance, '/sources', 'the path, without the query string')
  const list = await app.inject({ method: 'GET', url: '/sources' })
  t.strictSame(json<Page<unknown>>(list).items, [], 'no source was created')
})

t.test('a router error frameworkErrors does not name is a 500 problem that leaks nothing, and is logged', async (t) => {
  const lines: string[] = []
  // An asynchronous constraint whose lookup fails: find-my-way reports FST_ERR_ASYNC_CONSTRAINT, and Fastify hands it to frameworkErrors.
  const desk = {
    name: 'desk',
    storage() {
      const handlers = new Map<string, unknown>()
      return {
        get: (value: string) => handlers.get(value) ?? null,
        set: (value: string, handler: unknown) => void handlers.set(value, handler),
      }
    },
    deriveConstraint(_request: unknown, _context: unknown, done: (err: Error | null, value?: string) => void) {
      done(new Error('desk lookup failed at /srv/desks.db'))
    },
    mustMatchWhenDerived: false,
    validate() {},
  }
  const app = Fastify({
    logger: { level: 'error', stream: { write: (line: string) => lines.push(line) } },
    frameworkErrors,
    // Fastify's types know only the synchronous deriveConstraint(request, context); the router also takes the asynchronous form.
    routerOptions: { constraints: { desk: desk as unknown as Strategy } },
  })
  t.teardown(() => app.close())
  await app.register(errorsPlugin)
  app.get('/notes', { constraints: { desk: 'night' } }, async () => ({ ok: true }))
  const res = await app.inject({ method: 'GET', url: '/notes?desk=night' })
  t.equal(res.statusCode, 500)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.strictSame(json<Problem>(res), {
    type: 'urn:reckon:problem:internal',
    title: 'Internal server error',
    status: 500,
    detail: 'Something went wrong on our side. It has been logged.',
    instance: '/notes',
  })
  const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { code?: string } })
  t.strictSame(
    logged.map((l) => [l.level, l.msg, l.err?.code]),
    [[50, 'framework error', 'FST_ERR_ASYNC_CONSTRAINT']],
    'one error line, with the framework error',
  )
})
