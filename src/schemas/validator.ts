/**
 * The validator of every part of every request: the one the app sets
 * (app.setValidatorCompiler) and the one that checks a bulk body's rows
 * (services/bulk-claims) — fastify-type-provider-zod's, run on the route's zod
 * schema, with one rule added that holds for every text whatever its schema:
 * no U+0000 (NUL). PostgreSQL's text and jsonb cannot hold it, nor can it
 * compare a text that does: sent through, it was a 500 there and a stored
 * value on SQLite. Refused here, it is the same 400 on both stores, naming
 * each field that holds one (a value or a key, in a query string, a path, a
 * JSON body or an NDJSON or CSV row), beside the schema's own errors.
 */
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { pointerToken } from '../errors.js'

/** The mark fastify-type-provider-zod sets on its validation errors (a registered symbol), which the errors plugin looks for. */
export const ZOD_VALIDATION = Symbol.for('ZodFastifySchemaValidationError')

export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)'

/** An error item as fastify-type-provider-zod makes them, for what the schema does not say. */
function item(instancePath: string, message: string): FastifySchemaValidationError {
  return Object.assign(
    { [ZOD_VALIDATION]: true },
    { keyword: 'custom', instancePath, schemaPath: `#${instancePath}/custom`, message, params: {} },
  )
}

/**
 * The JSON Pointers of the texts in `value` (strings, and the keys of
 * objects) that hold U+0000, in document order; "/" is the value itself,
 * as zod's paths say it. Walked with a stack, not recursion: a body may nest
 * deeper than the call stack goes.
 */
export function nulPaths(value: unknown): string[] {
  const found: string[] = []
  // A key holding NUL is its own entry, so that it is named in its place among its siblings' texts.
  const stack: Array<[value: unknown, path: string, badKey?: true]> = [[value, '']]
  while (stack.length > 0) {
    const [current, path, badKey] = stack.pop() as [unknown, string, true?]
    if (badKey === true) {
      found.push(path)
    } else if (typeof current === 'string') {
      if (current.includes('\u0000')) found.push(path || '/')
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push([current[i], `${path}/${i}`])
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown]
        const at = `${path}/${pointerToken(key)}`
        stack.push(key.includes('\u0000') ? [null, at, true] : [child, at])
      }
    }
  }
  return found
}

type Validator = ReturnType<FastifySchemaCompiler<z.ZodType>>

/** fastify-type-provider-zod's validator for the route's part, refusing U+0000 in any text first (see the module comment). */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  const validate = zodValidatorCompiler(route) as Validator
  return (data: unknown) => {
    const nul = nulPaths(data)
    const result = validate(data)
    if (nul.length === 0) return result
    const schemaErrors =
      typeof result === 'object' && result !== null && 'error' in result && Array.isArray(result.error) ? result.error : []
    return { error: [...nul.map((path) => item(path, NUL_MESSAGE)), ...unnamed(schemaErrors, new Set(nul))] }
  }
}

/** The schema's errors about other fields: the NUL is all a field holding one is told (a key holding one, too, is not also unknown). */
function unnamed(errors: readonly FastifySchemaValidationError[], named: ReadonlySet<string>): FastifySchemaValidationError[] {
  const out: FastifySchemaValidationError[] = []
  for (const error of errors) {
    if (named.has(error.instancePath)) continue
    const keys = error.params.keys
    if (error.keyword !== 'unrecognized_keys' || !Array.isArray(keys)) {
      out.push(error)
      continue
    }
    const parent = error.instancePath === '/' ? '' : error.instancePath
    const left = keys.filter((key) => !named.has(`${parent}/${pointerToken(String(key))}`))
    // zod's message, of the keys left (the errors plugin names each key from `params.keys`).
    const message = `Unrecognized key${left.length === 1 ? '' : 's'}: ${left.map((key) => JSON.stringify(key)).join(', ')}`
    if (left.length > 0) out.push({ ...error, message, params: { ...error.params, keys: left } })
  }
  return out
}
