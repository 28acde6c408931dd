/** POST /keys, GET /keys, DELETE /keys/{id} (contract §13): the admin scope, always. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { IdParams, errorResponses, errors } from '../../schemas/common.js'
import { Key, KeyCreate, KeyCreated } from '../../schemas/keys.js'

/** A key is always needed here: no anonymous alternative in the document. */
const security = [{ bearerAuth: [] }]
const unauthorized = { 401: { ...errors[401], description: 'No valid key with the `admin` scope.' } }

const ADMIN =
  'Needs a key with the `admin` scope, whatever the mode (make the first one with `npm run keys -- create --name admin --scopes admin`).'

const keysRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'createKey',
        summary: 'Make an API key',
        description: `Answers the new key with its \`token\`, shown this once; only the token's SHA-256 digest is stored. ${ADMIN}`,
        tags: ['keys'],
        body: KeyCreate,
        security,
        response: { 201: KeyCreated, ...errorResponses(400), ...unauthorized },
      },
    },
    async (request, reply) => reply.code(201).send(await app.writes.write(() => app.keys.create(request.body.name, request.body.scopes))),
  )

  app.get(
    '/',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'listKeys',
        summary: 'The API keys, without their tokens',
        description: `The keys from RECKON_API_KEYS, then those made through the API or the CLI (revoked ones too, with \`revoked_at\`). ${ADMIN}`,
        tags: ['keys'],
        security,
        response: { 200: z.object({ items: z.array(Key) }), ...unauthorized },
      },
    },
    async () => ({ items: await app.keys.list() }),
  )

  app.delete(
    '/:id',
    {
      config: { scope: 'admin' },
      schema: {
        operationId: 'revokeKey',
        summary: 'Revoke an API key',
        description: `The key stops working at once; it stays listed, with \`revoked_at\`. Revoking it again changes nothing. A key from RECKON_API_KEYS is a 409: remove it from the configuration. ${ADMIN}`,
        tags: ['keys'],
        params: IdParams,
        security,
        response: { 200: Key, ...errorResponses(400, 404, 409), ...unauthorized },
      },
    },
    async (request) => app.writes.write(() => app.keys.revoke(request.params.id)),
  )
}

export default keysRoutes
