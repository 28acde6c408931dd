/** Swagger UI works under the security headers (helmet's CSP and its own): rendered in headless Chromium. */
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { renderedDom } from './chromium.js'

t.test('Swagger UI renders every operation under its Content-Security-Policy', async (t) => {
  const app = await buildApp({ config: { dbPath: ':memory:', apiKeys: [], logLevel: 'silent', rateLimit: 1000, corsOrigins: [] }, logger: false })
  t.teardown(() => app.close())
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const docs = await app.inject({ method: 'GET', url: '/docs' })
  t.match(docs.headers['content-security-policy'], /script-src 'self'/, 'served with a CSP')
  const dom = await renderedDom(`${address}/docs`)
  const operations = dom.match(/class="opblock opblock-/g)?.length ?? 0
  t.ok(operations >= 30, `${operations} operations rendered (scripts ran, the document loaded)`)
  t.match(dom, /\/events\/\{id\}\/summary/, 'the summary route among them')
  t.match(dom, /authorize/i, 'with the Authorize button for API keys')
})
