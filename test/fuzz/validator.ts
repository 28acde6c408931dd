/**
 * JSON Schema validation against the OpenAPI document (ajv, 2020-12 dialect,
 * with formats). The same validator judges requests (is this input valid as
 * documented?) and responses (is this answer what the document promises?).
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { JsonSchema, OpenApiDocument } from './openapi.js'

const BASE = 'urn:reckon:openapi'

function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof inner === 'string' && inner.startsWith('#/') ? `${BASE}${inner}` : rebase(inner)
  }
  return out
}

function makeAjv(doc: OpenApiDocument, coerceTypes: boolean): Ajv2020 {
  // Not strict: OpenAPI adds keywords (example, discriminator, xml) that are not JSON Schema's.
  const ajv = new Ajv2020({ strict: false, allErrors: true, coerceTypes, validateFormats: true })
  addFormats.default(ajv)
  ajv.addSchema({ $id: BASE, components: doc.components ?? {} })
  return ajv
}

export function describeErrors(errors: ErrorObject[] | null | undefined, limit = 5): string[] {
  const list = (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath
    const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''
    return `${where} ${e.message ?? e.keyword}${extra}`
  })
  return list.length > limit ? [...list.slice(0, limit), `… and ${list.length - limit} more`] : list
}

export class SchemaValidator {
  private readonly strictAjv: Ajv2020
  private readonly coercingAjv: Ajv2020
  private readonly compiled = new WeakMap<JsonSchema, ValidateFunction>()
  private readonly compiledCoercing = new WeakMap<JsonSchema, ValidateFunction>()

  constructor(doc: OpenApiDocument) {
    this.strictAjv = makeAjv(doc, false)
    this.coercingAjv = makeAjv(doc, true)
  }

  private compile(schema: JsonSchema, coerce: boolean): ValidateFunction {
    const cache = coerce ? this.compiledCoercing : this.compiled
    let fn = cache.get(schema)
    if (fn === undefined) {
      fn = (coerce ? this.coercingAjv : this.strictAjv).compile(rebase(schema) as object)
      cache.set(schema, fn)
    }
    return fn
  }

  /** The ways `value` breaks `schema` (empty when it is valid). */
  check(schema: JsonSchema, value: unknown): string[] {
    const fn = this.compile(schema, false)
    return fn(value) ? [] : describeErrors(fn.errors)
  }

  /**
   * The same for parameters, which travel as strings: a string that reads as the
   * documented type counts (`limit=5` is an integer). Works on a copy.
   */
  checkParameters(schema: JsonSchema, value: Record<string, unknown>): string[] {
    const fn = this.compile(schema, true)
    return fn(structuredClone(value)) ? [] : describeErrors(fn.errors)
  }
}
