/** knownFields: the field names a request schema knows at a place, for "did you mean" (lib/known-fields.ts). */
import t from 'tap'
import { z } from 'zod'
import { knownFields } from '../../src/lib/known-fields.js'

t.test('the fields of an object reached through wrappers, lazy schemas and arrays', async (t) => {
  const Row = z.strictObject({ name: z.string(), kind: z.string().optional() })
  const Body = z.lazy(() => z.array(Row).optional())
  t.strictSame(knownFields(Row, [], {}), ['name', 'kind'])
  t.strictSame(knownFields(Body, ['0'], [{ nmae: 'x' }]), ['name', 'kind'], 'the element of a lazy optional array')
  t.strictSame(knownFields(Row, ['name'], { name: 'x' }), [], 'a string has no fields')
})

t.test('a schema that only ever refers to itself has no known fields, and the walk ends', async (t) => {
  const loop: z.ZodType = z.lazy(() => loop)
  t.strictSame(knownFields(loop, [], { anything: 1 }), [])
  const deep = z.lazy(() => z.strictObject({ again: loop }))
  t.strictSame(knownFields(deep, [], {}), ['again'], 'an object around the loop still names its own fields')
  t.strictSame(knownFields(deep, ['again'], { again: {} }), [], 'and none inside the loop')
})
