/** The ceiling for bench/read.ts: Fastify answering a constant JSON body of BODY_BYTES bytes. */
import Fastify from 'fastify'

const bytes = Number(process.env.BODY_BYTES ?? 2000)
const body = { padding: 'x'.repeat(Math.max(0, bytes - 14)) }
const app = Fastify({ logger: false })
app.get('/constant', async () => body)
app.get('/health', async () => ({ status: 'ok' }))
await app.listen({ port: Number(process.env.PORT ?? 3995), host: '127.0.0.1' })
