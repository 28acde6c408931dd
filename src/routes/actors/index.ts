import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { Actor, ActorCreate, ActorPatch } from '../../schemas/actors.js'
import { ListQuery } from '../../schemas/common.js'
import { resourceRoutes } from '../resource-routes.js'

const actorsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(
    resourceRoutes({
      name: 'actor',
      create: ActorCreate,
      patch: ActorPatch,
      out: Actor,
      listQuery: ListQuery,
      listDescription: 'Actors in id order.',
      sql: app.sql,
      repo: app.repos.actors,
    }),
  )
}

export default actorsRoutes
