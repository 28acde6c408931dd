/**
 * Loads a fixture (actors, sources, an event and its claims) through the
 * HTTP API itself, so that the demo and the tests exercise what users call.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

export const KHAN_SHAYKHUN = new URL('../../fixtures/khan-shaykhun.json', import.meta.url)

export interface Fixture {
  actors: object[]
  sources: object[]
  event: { id: string; [field: string]: unknown }
  claims: object[]
}

export function readFixture(url: URL = KHAN_SHAYKHUN): Fixture {
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture
}

/** Posts everything in order; returns the ids of the claims created, in fixture order. */
export async function loadFixture(app: FastifyInstance, fixture: Fixture, headers: Record<string, string> = {}): Promise<string[]> {
  const send = async (url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, payload, headers })
    if (res.statusCode >= 300) throw new Error(`POST ${url} answered ${res.statusCode}: ${res.body}`)
    return JSON.parse(res.body) as { id: string }
  }
  for (const actor of fixture.actors) await send('/actors', actor)
  for (const source of fixture.sources) await send('/sources', source)
  await send('/events', fixture.event)
  const ids: string[] = []
  for (const claim of fixture.claims) ids.push((await send(`/events/${fixture.event.id}/claims`, claim)).id)
  return ids
}
