/** Listen, and shut down gracefully: nothing else. */
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

async function main(): Promise<void> {
  const config = loadConfig()
  const app = await buildApp({ config, backgroundRefresh: true })
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    const closing = app.close()
    // In-flight requests get a few seconds; then connections still open (a client's
    // spare keep-alive socket holds close() for its whole timeout) are cut.
    const cut = setTimeout(() => app.server.closeAllConnections(), 3000)
    await closing
    clearTimeout(cut)
  })
  await app.listen({ port: config.port, host: config.host })
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
