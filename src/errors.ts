/**
 * The one error hierarchy. Anything a user can cause is a ProblemError; the
 * errors plugin turns it into an RFC 9457 problem document.
 */

export interface FieldError {
  /** JSON Pointer into the part of the request named by `in`. */
  path: string
  message: string
  in?: 'body' | 'query' | 'path' | 'header'
  /** Where in the text of the body: the 1-based line (of a JSON, NDJSON or CSV file). */
  line?: number
  /** The 1-based column (in characters) of a JSON syntax error. */
  column?: number
  /** The 0-based byte offset of a JSON syntax error. */
  offset?: number
}

export class ProblemError extends Error {
  readonly status: number
  readonly type: string
  readonly title: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>

  constructor(status: number, slug: string, title: string, detail: string, errors?: FieldError[], headers: Record<string, string> = {}) {
    super(detail)
    this.name = 'ProblemError'
    this.status = status
    this.type = problemType(slug)
    this.title = title
    this.errors = errors
    this.headers = headers
  }
}

export function problemType(slug: string): string {
  return `urn:reckon:problem:${slug}`
}

export class BadRequestError extends ProblemError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'invalid-request', 'Invalid request', detail, errors)
  }
}

export class NotFoundError extends ProblemError {
  constructor(resource: string, id: string) {
    super(404, 'not-found', 'Not found', `No ${resource} with id "${id}".`)
  }
}

export class ConflictError extends ProblemError {
  constructor(detail: string, errors?: FieldError[]) {
    super(409, 'conflict', 'Conflict', detail, errors)
  }
}

export class UnprocessableError extends ProblemError {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, 'unprocessable', 'Unprocessable request', detail, errors)
  }
}

export class UnauthorizedError extends ProblemError {
  constructor(detail: string, bearerError: 'invalid_token' | 'insufficient_scope' | null) {
    const challenge = bearerError ? `Bearer realm="reckon", error="${bearerError}"` : 'Bearer realm="reckon"'
    super(401, 'unauthorized', 'Unauthorized', detail, undefined, { 'www-authenticate': challenge })
  }
}

/** Escapes one reference token of a JSON Pointer (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1')
}

export function pointer(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${pointerToken(t)}`).join('')
}
