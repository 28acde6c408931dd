import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { Claim, ClaimCreate, RetractionCreate } from '../../schemas/claims.js'
import { IdParams, errorResponses, writeSecurity } from '../../schemas/common.js'
import { BadRequestError, NotFoundError } from '../../errors.js'

const claimsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/',
    {
      schema: {
        operationId: 'createClaim',
        summary: 'Record a claim',
        description:
          'The same as POST /events/{id}/claims, with `event_id` in the body. Re-sending the same (source_id, external_id) with the same content returns the existing claim with 200.',
        tags: ['claims'],
        security: writeSecurity,
        body: ClaimCreate,
        response: { 200: Claim, 201: Claim, ...errorResponses(400, 401, 409, 415, 422) },
      },
    },
    async (request, reply) => {
      const eventId = request.body.event_id
      if (eventId === undefined) {
        throw new BadRequestError('The claim needs an event_id.', [{ path: '/event_id', in: 'body', message: 'is required' }])
      }
      const { claim, created } = await app.writes.write(() => app.claimsService.record(request.body, eventId, { eventFromPath: false }))
      return reply
        .code(created ? 201 : 200)
        .header('location', `/claims/${claim.id}`)
        .send(claim)
    },
  )

  app.get(
    '/:id',
    {
      config: { etag: 'database' },
      schema: {
        operationId: 'getClaim',
        summary: 'Get a claim',
        description: 'A claim with its status (active, superseded or retracted), what superseded it, and its retraction if any.',
        tags: ['claims'],
        params: IdParams,
        response: { 200: Claim, ...errorResponses(404) },
      },
    },
    async (request) => {
      const claim = await app.repos.claims.get(request.params.id)
      if (!claim) throw new NotFoundError('claim', request.params.id)
      return claim
    },
  )

  app.post(
    '/:id/retraction',
    {
      schema: {
        operationId: 'retractClaim',
        summary: 'Retract a claim',
        description:
          'Marks a claim that was wrong (misattributed, duplicated) as retracted. It stays readable with status "retracted" and leaves every summary, at every as_of. A claim is retracted once; a second retraction is a 409.',
        tags: ['claims'],
        security: writeSecurity,
        params: IdParams,
        body: RetractionCreate,
        response: { 201: Claim, ...errorResponses(400, 401, 404, 409, 415) },
      },
    },
    async (request, reply) => {
      const claim = await app.writes.write(() => app.claimsService.retract(request.params.id, request.body.reason))
      return reply.code(201).header('location', `/claims/${claim.id}`).send(claim)
    },
  )
}

export default claimsRoutes
