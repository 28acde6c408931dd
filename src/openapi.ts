/** The OpenAPI document as text, exactly as committed at openapi/openapi.json. */
import { buildApp } from './app.js'

export async function generateOpenApi(): Promise<string> {
  const app = await buildApp({ config: { dbPath: ':memory:', apiKeys: [], logLevel: 'silent' }, logger: false })
  try {
    await app.ready()
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
  }
}
