/** Swagger UI as a newcomer meets it, rendered in headless Chromium under the security headers (helmet's CSP and its own). */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { renderedDom } from './chromium.js'

/** The rendered block of one operation (Swagger UI ids it `operations-<tag>-<operationId>`), up to the next one. */
function operationBlock(dom: string, tag: string, operationId: string): string {
  const start = dom.indexOf(`id="operations-${tag}-${operationId}"`)
  if (start < 0) return ''
  const next = dom.indexOf('id="operations-', start + 1)
  return dom.slice(start, next < 0 ? undefined : next)
}

t.test('Swagger UI renders every operation under its Content-Security-Policy, as Reckon', async (t) => {
  const app = await buildApp({
    config: { dbPath: ':memory:', apiKeys: [], logLevel: 'silent', rateLimit: 1000, corsOrigins: [] },
    logger: false,
  })
  t.teardown(() => app.close())
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const docs = await app.inject({ method: 'GET', url: '/docs' })
  t.match(docs.headers['content-security-policy'], /script-src 'self'/, 'served with a CSP')
  const dom = await renderedDom(`${address}/docs`)
  const operations = dom.match(/class="opblock opblock-/g)?.length ?? 0
  t.ok(operations >= 30, `${operations} operations rendered (scripts ran, the document loaded)`)
  t.match(dom, /\/events\/\{id\}\/summary/, 'the summary route among them')
  t.match(dom, /authorize/i, 'with the Authorize button for API keys')

  t.match(dom, /<title>Reckon API<\/title>/, "the page's title is Reckon's")
  t.match(
    dom,
    /class="topbar-wrapper"><a[^>]*><img[^>]*src="data:image\/svg\+xml;base64,/,
    "the top bar shows Reckon's logo, not Swagger's",
  )
  const logo = /src="data:image\/svg\+xml;base64,([^"]+)"/.exec(dom)?.[1] ?? ''
  t.match(Buffer.from(logo, 'base64').toString('utf8'), />Reckon API<\/text>/, 'which reads "Reckon API"')
  t.match(dom, /<link rel="stylesheet" type="text\/css" href="\/docs\/static\/theme\/reckon\.css">/, "Reckon's stylesheet is on the page…")
  const css = await app.inject({ method: 'GET', url: '/docs/static/theme/reckon.css' })
  t.equal(css.body, '.swagger-ui .topbar .download-url-wrapper { display: none; }', '…and hides the Explore box')

  const read = operationBlock(dom, 'events', 'getEventSummary')
  const write = operationBlock(dom, 'claims', 'createClaim')
  t.ok(read.length > 0 && write.length > 0, 'both operations rendered')
  t.notMatch(read, /authorization__btn/, 'no lock on a read, which needs no key')
  t.match(write, /authorization__btn/, 'a lock on a write, which needs a key once the server has keys')
  t.match(dom, new RegExp(`<option value="/">/ - This server`), 'the server is the address the page came from')
})
