/**
 * #17: drafts from text, for POST /drafts. Resolves the request's publisher
 * and event, keeps the name indexes of sources and actors until either
 * changes (their revisions), and runs the drafting engine (drafts/draft.ts)
 * in slices. Writes nothing.
 */
import type { FastifyInstance } from 'fastify'
import { type DraftDirectory, type DraftEvent, type Drafts, draftSteps } from '../drafts/draft.js'
import { type DraftLanguageCode, draftLanguage } from '../drafts/languages.js'
import { draftDirectory } from '../drafts/names.js'
import { UnprocessableError } from '../errors.js'
import { SLICE_MS, turn } from '../lib/streaming.js'

export interface DraftsInput {
  text: string
  published_at: string
  url?: string | undefined
  publisher_id?: string | undefined
  event_id?: string | undefined
  language: DraftLanguageCode
}

interface NamedRow {
  id: string
  name: string
  aliases: string | string[]
}
interface SourceRow extends NamedRow {
  affiliated_actor_id: string | null
}
interface ActorRow extends NamedRow {
  kind: string
}

const namesOf = (row: NamedRow) => [row.name, ...(typeof row.aliases === 'string' ? (JSON.parse(row.aliases) as string[]) : row.aliases)]

/** The words that name an event: its place and region, and the proper nouns of its title (lower case). */
export function eventWords(event: {
  title: string
  location: { place?: string | undefined; admin1?: string | undefined } | null
}): string[] {
  const words = new Set<string>()
  for (const name of [event.location?.place, event.location?.admin1]) if (name) words.add(name.toLowerCase())
  const title = event.title.split(/[^\p{L}\p{N}'’-]+/u).filter((w) => w !== '')
  title.forEach((word, i) => {
    if (i > 0 && /^\p{Lu}/u.test(word) && word.length > 2) words.add(word.toLowerCase())
  })
  return [...words]
}

export function createDraftsService(app: FastifyInstance) {
  let kept: { stamp: string; directory: DraftDirectory } | null = null

  async function directory(): Promise<DraftDirectory> {
    const stamp = `${await app.repos.sources.revision()}|${await app.repos.actors.revision()}`
    if (kept?.stamp === stamp) return kept.directory
    const sources = await app.sql.all<SourceRow>('SELECT id, name, aliases, affiliated_actor_id FROM sources')
    const actors = await app.sql.all<ActorRow>('SELECT id, name, aliases, kind FROM actors')
    const built: DraftDirectory = draftDirectory(
      sources.map((s) => ({ id: s.id, names: namesOf(s), affiliated_actor_id: s.affiliated_actor_id })),
      actors.map((a) => ({ id: a.id, names: namesOf(a), kind: a.kind })),
    )
    kept = { stamp, directory: built }
    return built
  }

  return {
    async draft(input: DraftsInput): Promise<Drafts & { language: string; published_at: string }> {
      const errors = []
      let publisher: string | null = null
      if (input.publisher_id !== undefined) {
        publisher = await app.repos.sources.resolve(input.publisher_id)
        if (publisher === null) errors.push({ path: '/publisher_id', message: `no source "${input.publisher_id}" (by id or alias)` })
      }
      let event: DraftEvent | null = null
      if (input.event_id !== undefined) {
        const found = await app.repos.events.get(input.event_id)
        if (found === null) errors.push({ path: '/event_id', message: `no event "${input.event_id}"` })
        else event = { id: found.id, words: eventWords(found) }
      }
      if (errors.length > 0) throw new UnprocessableError('The request names what does not exist.', errors)
      const steps = draftSteps(
        { text: input.text, published_at: input.published_at, url: input.url ?? null, publisher_id: publisher, event },
        await directory(),
        draftLanguage(input.language),
      )
      // Paragraph by paragraph, the event loop served every SLICE_MS: a megabyte of text takes about half a second.
      let started = performance.now()
      for (;;) {
        const step = steps.next()
        if (step.done === true) return { language: input.language, published_at: input.published_at, ...step.value }
        if (performance.now() - started >= SLICE_MS) {
          await turn()
          started = performance.now()
        }
      }
    },
  }
}
