import { readFileSync } from 'node:fs'
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { testStore } from './store.js'
import { buildApp } from '../src/app.js'
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
      t.equal(op.tags?.length, 1, `${name} is under exactly one tag`)
      const codes = Object.keys(op.responses ?? {})
      t.ok(
        codes.some((c) => c.startsWith('2')),
        `${name} documents its success`,
      )
      if (op.requestBody || path.includes('{id}')) {
        t.ok(
          codes.some((c) => c.startsWith('4')),
          `${name} documents its errors`,
        )
      }
      for (const code of codes.filter((c) => c.startsWith('4'))) {
        t.ok(op.responses?.[code]?.content?.['application/problem+json'], `${name} ${code} is a problem document`)
      }
    }
  }
  t.ok(ids.has('getEventSummary') && ids.has('createEventClaim') && ids.has('retractClaim'))
})

interface Document {
  info: { version: string }
  servers: Array<{ url: string; description: string }>
  tags: Array<{ name: string; description?: string }>
  paths: Record<string, Record<string, Operation & { security?: Array<Record<string, string[]>> }>>
}

/** Each operation's security requirements, as `METHOD path` → requirements. */
function securities(doc: Document): Map<string, Array<Record<string, string[]>> | undefined> {
  const out = new Map<string, Array<Record<string, string[]>> | undefined>()
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) out.set(`${method.toUpperCase()} ${path}`, op.security)
  return out
}

const WRITE = /^(POST|PATCH|PUT|DELETE) /
/** POSTs that write nothing (POST /drafts): authorised as reads; in read-key mode, documented as one. */
const READ_ONLY = new Set(['POST /drafts'])
const OPEN_TO_ALL = new Set(['GET /health', 'GET /openapi.json'])

t.test("the document's version, server, tags and locks are what a reader of Swagger UI needs", async (t) => {
  const doc = JSON.parse(readFileSync(committedPath, 'utf8')) as Document
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(doc.info.version, pkg.version, "the package's version")
  t.strictSame(
    doc.servers.map((s) => s.url),
    ['/'],
    'one server, relative: the address the document was read from, whatever its host, port or proxy',
  )
  t.notMatch(JSON.stringify(doc.servers), /3000|127\.0\.0\.1|localhost/, 'naming no fixed host or port')
  const declared = doc.tags.map((tag) => tag.name)
  for (const tag of doc.tags) t.ok((tag.description ?? '').length > 0, `tag ${tag.name} is described`)
  const used = new Set<string>()
  for (const item of Object.values(doc.paths)) for (const op of Object.values(item)) for (const tag of op.tags ?? []) used.add(tag)
  t.strictSame([...used].sort(), [...declared].sort(), 'every declared tag is used, and every tag used is declared')

  for (const [name, security] of securities(doc)) {
    if (name.includes(' /keys')) t.strictSame(security, [{ bearerAuth: [] }], `${name}: always a key (admin)`)
    else if (READ_ONLY.has(name)) t.strictSame(security, [{ bearerAuth: [] }, {}], `${name}: a key may be sent, none is needed`)
    else if (WRITE.test(name)) t.strictSame(security, [{ bearerAuth: [] }, {}], `${name}: a key once the server has keys`)
    else t.strictSame(security, [], `${name}: no key, so no lock`)
  }
})

t.test('a server that requires keys for reads serves a document that marks its reads', async (t) => {
  const app = await buildApp({ config: { ...(await testStore()), apiKeys: [], logLevel: 'silent', readsNeedKey: true }, logger: false })
  t.teardown(() => app.close())
  const doc = json<Document>(await app.inject({ method: 'GET', url: '/openapi.json' }))
  for (const [name, security] of securities(doc)) {
    if (name.includes(' /keys')) continue
    if (WRITE.test(name) && !READ_ONLY.has(name)) t.strictSame(security, [{ bearerAuth: [] }, {}], `${name}: as before`)
    else if (OPEN_TO_ALL.has(name)) t.strictSame(security, [], `${name}: open to all`)
    else t.strictSame(security, [{ bearerAuth: [] }], `${name}: a key with the read scope`)
  }
})

t.test('the server serves the document and Swagger UI', async (t) => {
  const app = await build(t)
  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  t.strictSame(json(res), JSON.parse(readFileSync(committedPath, 'utf8')))
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.body, /swagger-ui/i)
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200)
  t.match(json(health), { status: 'ok', store: app.sql.dialect })
})

t.test('the document shows the conditional GET exactly where the server answers one', async (t) => {
  const app = await build(t)
  await loadFixture(app, readFixture())
  const first = async (url: string) => json<{ items: Array<{ id: string }> }>(await app.inject({ method: 'GET', url })).items[0]?.id ?? ''
  const ids: Record<string, string> = {
    sources: await first('/sources'),
    actors: await first('/actors'),
    events: 'khan-shaykhun',
    claims: await first('/claims'),
  }
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
