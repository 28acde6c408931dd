/** `npm run demo`: a fresh in-memory database with both shipped datasets (Khan Shaykhun, contract §8, and the Ukraine 2022 losses), served. */
import { buildApp } from '../app.js'
import { loadConfig } from '../config.js'
import { loadDemoData } from './datasets.js'

const config = { ...loadConfig(), dbPath: ':memory:' }
const app = await buildApp({ config: { ...config, apiKeys: [] }, backgroundRefresh: true })
const events = await loadDemoData(app)
const address = await app.listen({ port: config.port, host: config.host })
app.log.info(
  `Demo loaded: ${events.map((e) => `${e.id} (${e.claims} claims)`).join(', ')}. ` +
    `Try ${address}/ for the most disputed events, ${address}/events/khan-shaykhun/summary?as_of=2017-04-06 or ${address}/docs`,
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close())
