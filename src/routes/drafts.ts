/**
 * POST /drafts (#17): draft claims from news text, for a person to confirm
 * and post with POST /claims/bulk. JSON, or the text as text/plain with the
 * other fields in the query. Writes nothing: a key is needed only where
 * reads need one. Parse, ask the drafts service, shape.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { ProblemError, BadRequestError } from '../errors.js'
import { DraftQuery, DraftRequest, DraftsResponse, MAX_DRAFT_TEXT_BYTES } from '../schemas/drafts.js'
import { errorResponses } from '../schemas/common.js'
import { createDraftsService } from '../services/drafts-service.js'

/** The body limit: JSON escapes the text (a quote, a non-ASCII character written \uXXXX), so it may be larger than the text. */
const BODY_LIMIT = 6 * MAX_DRAFT_TEXT_BYTES + 4096

const utf8 = new TextDecoder('utf-8', { fatal: true })

function tooLong(bytes: number): ProblemError {
  return new ProblemError(
    413,
    'payload-too-large',
    'Payload too large',
    `The text is ${bytes.toLocaleString('en')} bytes; drafts are made from at most ${MAX_DRAFT_TEXT_BYTES.toLocaleString('en')} (1 MB) at a time: split the text.`,
    [{ path: '/text', in: 'body', message: `must be at most ${MAX_DRAFT_TEXT_BYTES} bytes of UTF-8; is ${bytes}` }],
  )
}

export const draftsRoutes: FastifyPluginAsyncZod = async (app) => {
  const service = createDraftsService(app)

  // text/plain: the body is the text, as UTF-8; the other fields come from the query.
  app.addContentTypeParser('text/plain', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    const buffer = body as Buffer
    if (buffer.length > MAX_DRAFT_TEXT_BYTES) return done(tooLong(buffer.length), undefined)
    let text: string
    try {
      text = utf8.decode(buffer)
    } catch {
      return done(
        new BadRequestError('The body is not UTF-8 text (binary data?).', [{ path: '/text', in: 'body', message: 'must be UTF-8 text' }]),
        undefined,
      )
    }
    const query = request.query as Record<string, unknown>
    done(null, { ...query, text })
  })

  app.post(
    '/',
    {
      bodyLimit: BODY_LIMIT,
      config: { readOnly: true },
      schema: {
        operationId: 'draftClaims',
        summary: 'Draft claims from news text',
        description: [
          'Reads an article and answers the claims it holds, as drafts for a person to check: nothing is written. Each draft’s',
          '`claim` is a body for `POST /claims/bulk` (with `event_id` when the request names the event), with the exact words',
          'it rests on (`quote`, and `span` in the text), a `confidence` with its reasons, and `guesses`: every field the text',
          'did not say outright (a date taken from the publication, a speaker carried from the sentence before, a denial taken as',
          'of the speaker’s own side). `unresolved` lists names that match no source or actor (or several); `skipped` the figures',
          'and stances not drafted, and why: another event, a date, a number that is not a count of people.',
          '',
          'Send JSON (`application/json`), or the text as `text/plain` with `published_at` and the other fields in the query.',
          `At most ${MAX_DRAFT_TEXT_BYTES.toLocaleString('en')} bytes of text (413 beyond). English (\`en\`); docs/drafts.md says what it reads.`,
        ].join('\n'),
        tags: ['claims'],
        consumes: ['application/json', 'text/plain'],
        querystring: DraftQuery,
        body: DraftRequest.meta({
          example: {
            text: 'The World Health Organization said in a statement that "at least 70 people have died and hundreds more have been affected."',
            published_at: '2017-04-06',
            publisher_id: 'tass',
            event_id: 'khan-shaykhun',
          },
        }),
        response: { 200: DraftsResponse, ...errorResponses(400, 413, 415, 422) },
      },
    },
    async (request) => {
      const { body } = request
      if (request.headers['content-type']?.startsWith('application/json') && Object.keys(request.query).length > 0) {
        throw new BadRequestError(
          'With a JSON body, the fields go in the body, not the query.',
          Object.keys(request.query).map((key) => ({ path: `/${key}`, in: 'query' as const, message: 'must be in the JSON body' })),
        )
      }
      const bytes = Buffer.byteLength(body.text, 'utf8')
      if (bytes > MAX_DRAFT_TEXT_BYTES) throw tooLong(bytes)
      return service.draft(body)
    },
  )
}
