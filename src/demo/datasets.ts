/**
 * The demo's data: both datasets the project ships (fixtures/README.md), so
 * that lists, the dispute ranking and the charts show more than one event.
 * Khan Shaykhun goes through the single-record routes, as a desk typing it in
 * would; the Ukraine data through the bulk routes, as a spreadsheet would.
 * Both name the actor `russian-forces`: the bulk route updates it in place
 * (create or update by id), giving it Russia as its parent.
 */
import type { FastifyInstance } from 'fastify'
import { loadFixture, readFixture, type Fixture } from './load-fixture.js'
import { ukraineDataset } from './ukraine.js'

export interface DemoEvent {
  id: string
  claims: number
}

async function bulk(app: FastifyInstance, url: string, payload: object[]): Promise<void> {
  const res = await app.inject({ method: 'POST', url, payload })
  if (res.statusCode >= 300) throw new Error(`POST ${url} answered ${res.statusCode}: ${res.body}`)
}

/** A fixture's actors, sources and event, created or updated through the bulk routes: what its claims refer to. */
export async function loadMetadataInBulk(app: FastifyInstance, fixture: Fixture): Promise<void> {
  await bulk(app, '/actors/bulk', fixture.actors)
  await bulk(app, '/sources/bulk', fixture.sources)
  await bulk(app, '/events/bulk', [fixture.event])
}

/** Loads a fixture through the bulk routes: its metadata, then the claims in one batch. */
export async function loadFixtureInBulk(app: FastifyInstance, fixture: Fixture): Promise<void> {
  await loadMetadataInBulk(app, fixture)
  await bulk(
    app,
    '/claims/bulk',
    fixture.claims.map((claim) => ({ ...claim, event_id: fixture.event.id })),
  )
}

/** Loads Khan Shaykhun (contract §8) and the Ukraine 2022 losses; answers each event with its number of claims. */
export async function loadDemoData(app: FastifyInstance): Promise<DemoEvent[]> {
  const khanShaykhun = readFixture()
  await loadFixture(app, khanShaykhun)
  const ukraine = ukraineDataset()
  await loadFixtureInBulk(app, ukraine)
  return [
    { id: khanShaykhun.event.id, claims: khanShaykhun.claims.length },
    { id: ukraine.event.id, claims: ukraine.claims.length },
  ]
}
