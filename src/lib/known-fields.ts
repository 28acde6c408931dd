/**
 * The field names a zod request schema knows at a place in the request, for
 * "did you mean" on an unknown field. Reads zod's schema definitions (the
 * `_zod.def` that zod documents for library authors).
 */
import type { z } from 'zod'
import { canonical } from './canonical.js'

type Schema = z.core.$ZodType

interface Def {
  type: string
  shape?: Record<string, Schema>
  innerType?: Schema
  in?: Schema
  out?: Schema
  element?: Schema
  options?: Schema[]
  discriminator?: string
  left?: Schema
  right?: Schema
  getter?: () => Schema
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'])

function defOf(schema: Schema): Def {
  return schema._zod.def as unknown as Def
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The schema under optional, default, lazy, … and pipes (a preprocess's target; otherwise what a pipe reads). */
function unwrap(schema: Schema): Schema {
  for (let s = schema, depth = 0; depth < 50; depth++) {
    const def = defOf(s)
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType
    else if (def.type === 'lazy' && def.getter) s = def.getter()
    else if (def.type === 'pipe' && def.in && def.out) s = defOf(def.in).type === 'transform' ? def.out : def.in
    else return s
  }
  return schema
}

/** The object schemas that `schema` may apply to `value` with: a tagged union's option chosen by its tag, when it names one. */
function objects(schema: Schema, value: unknown): Schema[] {
  const s = unwrap(schema)
  const def = defOf(s)
  if (def.type === 'object') return [s]
  if (def.type === 'intersection' && def.left && def.right) return [...objects(def.left, value), ...objects(def.right, value)]
  if (def.type !== 'union' || !def.options) return []
  const all = def.options.flatMap((option) => objects(option, value))
  const key = def.discriminator
  const sent = key !== undefined && isRecord(value) ? value[key] : undefined
  if (key === undefined || typeof sent !== 'string') return all
  const tagged = all.filter((o) => {
    const tag = defOf(o).shape?.[key]
    return tag !== undefined && unwrap(tag)._zod.values?.has(canonical(sent)) === true
  })
  return tagged.length > 0 ? tagged : all
}

/** The fields known at `path` (object keys and array indexes) of `value`, as `schema` reads it. */
export function knownFields(schema: Schema, path: readonly string[], value: unknown): string[] {
  let schemas = [schema]
  let here = value
  for (const segment of path) {
    const next: Schema[] = []
    for (const s of schemas) {
      const def = defOf(unwrap(s))
      if (def.type === 'array' && def.element) next.push(def.element)
      for (const o of objects(s, here)) {
        const field = defOf(o).shape?.[segment]
        if (field) next.push(field)
      }
    }
    schemas = next
    here = Array.isArray(here) ? here[Number(segment)] : isRecord(here) ? here[segment] : undefined
  }
  return [...new Set(schemas.flatMap((s) => objects(s, here)).flatMap((o) => Object.keys(defOf(o).shape ?? {})))]
}
