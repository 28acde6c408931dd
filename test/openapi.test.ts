import { readFileSync } from 'node:fs'
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { loadFixture, readFixture } from '../src/demo/load-fixture.js'
import { generateOpenApi } from '../src/openapi.js'
import { build, json } from './helper.js'

const committedPath = new URL('../openapi/openapi.json', import.meta.url)

interface Operation {
  operationId?: string
  summary?: string
  description?: string
  tags?: string[]
  responses?: Record<string, { content?: Record<string, unknown> }>
  requestBody?: unknown
}

t.test('the committed openapi/openapi.json is what the code generates', async (t) => {
  const generated = await generateOpenApi()
  const committed = readFileSync(committedPath, 'utf8')
  t.equal(committed, generated, 'run `npm run openapi` and commit openapi/openapi.json')
})

t.test('the document is valid OpenAPI 3.1, and every operation is documented', async (t) => {
  const doc = JSON.parse(readFileSync(committedPath, 'utf8')) as { openapi: string; paths: Record<string, Record<string, Operation>> }
  t.equal(doc.openapi, '3.1.0')
  await t.resolves(SwaggerParser.validate(structuredClone(doc) as never), 'swagger-parser validates it')
  const ids = new Set<string>()
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`
      t.ok(op.operationId, `${name} has an operationId`)
      t.notOk(ids.has(op.operationId ?? ''), `${name} operationId is unique`)
      ids.add(op.operationId ?? '')
      t.ok(op.summary, `${name} has a summary`)
      t.ok(op.description, `${name} has a description`)
      t.ok(op.tags && op.tags.length > 0, `${name} has tags`)
      const codes = Object.keys(op.responses ?? {})
      t.ok(codes.some((c) => c.startsWith('2')), `${name} documents its success`)
      if (op.requestBody || path.includes('{id}')) {
        t.ok(codes.some((c) => c.startsWith('4')), `${name} documents its errors`)
      }
      for (const code of codes.filter((c) => c.startsWith('4'))) {
        t.ok(op.responses?.[code]?.content?.['application/problem+json'], `${name} ${code} is a problem document`)
      }
    }
  }
  t.ok(ids.has('getEventSummary') && ids.has('createEventClaim') && ids.has('retractClaim'))
})

t.test('the server serves the document and Swagger UI', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  t.same(json(res), JSON.parse(readFileSync(committedPath, 'utf8')))
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/i)
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.same(json(health), { status: 'ok' })
})

t.test('the document shows the conditional GET exactly where the server answers one', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const first = async (url: string) => (json<{ items: Array<{ id: string }> }>(await app.inject({ method: 'GET', url })).items[0]?.id ?? '')
  const ids: Record<string, string> = { sources: await first('/sources'), actors: await first('/actors'), events: 'khan-shaykhun', claims: await first('/claims') }
  const query: Record<string, string> = { '/events/{id}/timeline': '?metric=killed' }
  const doc = JSON.parse(readFileSync(committedPath, 'utf8')) as {
    paths: Record<string, { get?: Operation & { parameters?: Array<{ in: string; name: string }> } }>
  }
  let conditional = 0
  for (const [path, item] of Object.entries(doc.paths)) {
    const op = item.get
    if (!op || path === '/changes/stream') continue // a stream that does not end
    const url = path.replace('{id}', ids[path.split('/')[1] ?? ''] ?? '') + (query[path] ?? '')
    const res = await app.inject({ method: 'GET', url })
    if (res.statusCode !== 200) {
      t.equal(path, '/keys', `${url}: only the admin list is not open here (${res.statusCode})`)
      continue
    }
    const documented = op.responses?.['304'] !== undefined
    const header = (op.parameters ?? []).some((p) => p.in === 'header' && p.name === 'If-None-Match')
    t.equal(documented, typeof res.headers.etag === 'string', `${path}: 304 documented ⇔ an ETag answered`)
    t.equal(header, documented, `${path}: If-None-Match documented with its 304`)
    if (typeof res.headers.etag === 'string') {
      conditional++
      const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': res.headers.etag } })
      t.equal(again.statusCode, 304, `${path}: the documented 304`)
    }
  }
  t.ok(conditional >= 15, `${conditional} operations answer conditional GETs`)
})
