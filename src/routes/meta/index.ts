import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'

const metaRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness and database check',
        description: 'Answers 200 {"status":"ok"} once the database is open and answering.',
        tags: ['meta'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => {
      await app.sql.value('SELECT 1')
      return { status: 'ok' as const }
    },
  )

  app.get(
    '/openapi.json',
    {
      config: { public: true },
      schema: {
        operationId: 'getOpenApi',
        summary: 'This API, described in OpenAPI 3.1',
        description: 'The same document as openapi/openapi.json in the repository; Swagger UI at /docs reads it.',
        tags: ['meta'],
        response: { 200: z.record(z.string(), z.unknown()) },
      },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  )
}

export default metaRoutes
