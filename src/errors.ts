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

const PROBLEM_TYPE_PREFIX = 'urn:reckon:problem:'

export function problemType(slug: string): string {
  return `${PROBLEM_TYPE_PREFIX}${slug}`
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

/**
 * A ProblemError as it crosses a thread boundary (the bulk-claims worker's
 * answer): a structured clone keeps an Error's message, not its class or
 * fields, so the worker sends these and the app rebuilds the error.
 */
export interface ProblemWire {
  /** The class to rebuild: one whose constructor takes (detail, errors), else ProblemError itself. */
  kind: 'bad-request' | 'conflict' | 'unprocessable' | 'problem'
  status: number
  type: string
  title: string
  detail: string
  errors: FieldError[] | undefined
  headers: Record<string, string>
}

export function problemToWire(error: ProblemError): ProblemWire {
  const kind =
    error instanceof BadRequestError
      ? 'bad-request'
      : error instanceof ConflictError
        ? 'conflict'
        : error instanceof UnprocessableError
          ? 'unprocessable'
          : 'problem'
  return {
    kind,
    status: error.status,
    type: error.type,
    title: error.title,
    detail: error.message,
    errors: error.errors,
    headers: error.headers,
  }
}

/** The error problemToWire described, of the same class where its constructor can rebuild it: the errors plugin answers it as the original. */
export function problemFromWire(wire: ProblemWire): ProblemError {
  switch (wire.kind) {
    case 'bad-request':
      return new BadRequestError(wire.detail, wire.errors)
    case 'conflict':
      return new ConflictError(wire.detail, wire.errors)
    case 'unprocessable':
      return new UnprocessableError(wire.detail, wire.errors)
    case 'problem':
      return new ProblemError(wire.status, wire.type.slice(PROBLEM_TYPE_PREFIX.length), wire.title, wire.detail, wire.errors, wire.headers)
  }
}
