/** OpenAPI 3.1 at /openapi.json and Swagger UI at /docs (contract §0). */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

export const API_VERSION = '1.0.0'

const description = `Reckon records each claim about a violent event — a casualty figure, or an attribution of blame or a denial —
with the source that made it, when, and through whom it was relayed. For every event it shows the range of figures,
whether they can be reconciled, how strongly the sources disagree, and who blames whom, as of any moment.

Errors are RFC 9457 problem documents (\`application/problem+json\`); validation failures list every bad field in
\`errors\` with a JSON Pointer. When the server has API keys configured, writes need \`Authorization: Bearer <token>\`.`

export default fp(async function swaggerPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Reckon', version: API_VERSION, description, license: { name: 'MIT', identifier: 'MIT' } },
      tags: [
        { name: 'events', description: 'Things that happened, and their summaries.' },
        { name: 'claims', description: 'Statements by sources: figures and attributions. Immutable.' },
        { name: 'sources', description: 'Who makes statements.' },
        { name: 'actors', description: 'Who can be blamed.' },
        { name: 'changes', description: 'The change feed: every write in order, as pages or as Server-Sent Events.' },
        { name: 'meta', description: 'Health and the API description.' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token from RECKON_API_KEYS with the write scope.' },
        },
      },
    },
    transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/*', '/docs/static/*', '/docs/json', '/docs/yaml', '/docs/initOAuth', '/docs/uiConfig'] }),
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: true } })
})
