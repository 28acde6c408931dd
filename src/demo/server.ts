/** `npm run demo`: a fresh in-memory database with the Khan Shaykhun example (contract §8), served. */
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { loadFixture, readFixture } from './load-fixture.js'

const config = { ...loadConfig(), dbPath: ':memory:' }
const app = await buildApp({ config: { ...config, apiKeys: [] }, backgroundRefresh: true })
const fixture = readFixture()
await loadFixture(app, fixture)
const address = await app.listen({ port: config.port, host: config.host })
app.log.info(`Demo loaded: ${fixture.claims.length} claims. Try ${address}/events/${fixture.event.id}/summary?as_of=2017-04-06 or ${address}/docs`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
