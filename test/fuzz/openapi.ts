/**
 * The OpenAPI document as the fuzzer reads it: loaded at run time (so that the
 * fuzzer follows every change to the routes), with its operations listed and
 * its `$ref`s resolved on demand.
 */
import { readFileSync } from 'node:fs'

/** The parts of JSON Schema (2020-12, as OpenAPI 3.1 uses it) the fuzzer reads. */
export interface JsonSchema {
  $ref?: string
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  default?: unknown
  example?: unknown
  examples?: unknown[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  description?: string
}

export interface MediaType {
  schema?: JsonSchema
  example?: unknown
  examples?: Record<string, { value?: unknown }>
}

export interface Parameter {
  name: string
  in: 'path' | 'query' | 'header' | 'cookie'
  required?: boolean
  schema?: JsonSchema
}

export interface HeaderObject {
  $ref?: string
  required?: boolean
  schema?: JsonSchema
}

export interface ResponseObject {
  description?: string
  content?: Record<string, MediaType>
  headers?: Record<string, HeaderObject>
}

export interface Operation {
  /** Upper-case HTTP method. */
  method: string
  /** The path template, such as `/events/{id}/claims`. */
  path: string
  operationId: string
  parameters: Parameter[]
  requestBody?: { required?: boolean; content: Record<string, MediaType> }
  responses: Record<string, ResponseObject>
}

export interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, unknown>>
  components?: { schemas?: Record<string, JsonSchema> }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

export const DEFAULT_DOCUMENT = new URL('../../openapi/openapi.json', import.meta.url)

export function readDocument(url: URL = DEFAULT_DOCUMENT): OpenApiDocument {
  return JSON.parse(readFileSync(url, 'utf8')) as OpenApiDocument
}

interface RawOperation {
  operationId?: string
  parameters?: Parameter[]
  requestBody?: Operation['requestBody']
  responses?: Record<string, ResponseObject>
}

/** Every operation of the document, in document order; path-level parameters are merged in. */
export function operations(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = (item.parameters as Parameter[] | undefined) ?? []
    for (const method of METHODS) {
      const raw = item[method] as RawOperation | undefined
      if (raw === undefined) continue
      const own = raw.parameters ?? []
      const parameters = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own]
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: raw.operationId ?? `${method.toUpperCase()} ${path}`,
        parameters: parameters.map((p) => (p.in === 'header' ? { ...p, name: p.name.toLowerCase() } : p)),
        ...(raw.requestBody ? { requestBody: raw.requestBody } : {}),
        responses: raw.responses ?? {},
      })
    }
  }
  return out
}

export function label(op: Pick<Operation, 'method' | 'path'>): string {
  return `${op.method} ${op.path}`
}

/** Resolves a local `$ref` (`#/components/schemas/X`, `#/components/headers/Y`), repeatedly. */
export function deref<T extends { $ref?: string }>(doc: OpenApiDocument, schema: T): T {
  let current = schema
  for (let hops = 0; current.$ref !== undefined && hops < 32; hops++) {
    const ref = current.$ref
    if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported: ${ref}`)
    let target: unknown = doc
    for (const token of ref.slice(2).split('/')) {
      const key = decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~')
      target = (target as Record<string, unknown> | undefined)?.[key]
    }
    if (target === undefined || target === null || typeof target !== 'object') throw new Error(`Unresolved $ref ${ref}`)
    const siblings = Object.fromEntries(Object.entries(current).filter(([k]) => k !== '$ref'))
    current = Object.keys(siblings).length > 0 ? { ...(target as T), ...siblings } : (target as T)
  }
  return current
}

/** The media type without parameters, lower-cased: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/** JSON media types: `application/json` and every `+json` suffix. */
export function isJsonMedia(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json')
}

/** The documented response for a status: the exact code, then `4XX`-style ranges, then `default`. */
export function documentedResponse(op: Operation, status: number): ResponseObject | undefined {
  return (
    op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses[`${String(status)[0]}xx`] ?? op.responses.default
  )
}
