/**
 * The three schemas of a record users create and edit (sources, actors,
 * events; contract §1), from the fields it has: the body that creates one
 * (an optional id, derived when absent), the patch that edits one (any of
 * those fields; null clears an optional one), and the record as answered
 * (its id, its fields, created_at and updated_at).
 */
import { z } from 'zod'
import { Slug, Timestamp } from './common.js'

export interface RecordSchemaSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  /** The OpenAPI name: "Source" gives Source, SourceCreate and SourcePatch. */
  id: string
  description: string
  /** The field a missing id is derived from. */
  derivedFrom: string
  /** The fields a create takes, as it takes them (required ones required). */
  input: I
  examples: Array<Record<string, unknown>>
  /** What a patch replaces whole (`aliases replaces the list`). */
  patchNote: string
  /** A rule across fields, checked on a create and on a patch. */
  check?: { test: (value: Record<string, unknown>) => boolean; message: string; path: string[] }
  /** The fields of the record as answered, but its id and times. */
  output: O
}

export function recordSchemas<I extends z.ZodRawShape, O extends z.ZodRawShape>(spec: RecordSchemaSpec<I, O>) {
  const create = z.strictObject({
    id: Slug.optional().meta({ description: `Optional; derived from the ${spec.derivedFrom} when absent.` }),
    ...spec.input,
  })
  const patch = z.strictObject(spec.input).partial()
  const { check } = spec
  const checked = <S extends z.ZodType>(schema: S): S =>
    check === undefined
      ? schema
      : schema.refine((v) => check.test(v as Record<string, unknown>), { message: check.message, path: check.path })
  return {
    create: checked(create).meta({ id: `${spec.id}Create`, examples: spec.examples }),
    patch: checked(patch).meta({
      id: `${spec.id}Patch`,
      description: `Fields to change; null clears an optional field; ${spec.patchNote}. The id never changes.`,
    }),
    out: z
      .object({ id: Slug, ...spec.output, created_at: Timestamp, updated_at: Timestamp })
      .meta({ id: spec.id, description: spec.description }),
  }
}
