/** schemas/validator: where a NUL is (nulPaths), and the validator that refuses it beside the schema's errors. */
import t from 'tap'
import { z } from 'zod'
import { NUL_MESSAGE, nulPaths, validatorCompiler } from '../../src/schemas/validator.js'

t.test('nulPaths names every text holding U+0000, values and keys, in document order, as JSON Pointers', async (t) => {
  t.strictSame(nulPaths('a\u0000'), ['/'], 'the value itself')
  t.strictSame(nulPaths('fine'), [])
  t.strictSame(nulPaths(null), [])
  t.strictSame(nulPaths(42), [])
  t.strictSame(nulPaths({ a: ['x', '\u0000', { b: 'y\u0000z' }], 'c/d~e': '\u0000', ['k\u0000']: 'value not looked at', z: 'fine' }), [
    '/a/1',
    '/a/2/b',
    '/c~1d~0e',
    '/k\u0000',
  ])
  t.strictSame(nulPaths([{ q: '\u0000' }, { q: 'ok' }, { q: '\u0000\u0000' }]), ['/0/q', '/2/q'], 'one per text however many it holds')
})

t.test('nulPaths walks a value nested deeper than the call stack goes', async (t) => {
  let deep: unknown = '\u0000'
  for (let i = 0; i < 200_000; i++) deep = [deep]
  const found = nulPaths(deep)
  t.equal(found.length, 1)
  t.equal(found[0], '/0'.repeat(200_000))
})

t.test(
  'the validator: the schema’s answer when no text holds NUL; else the NUL errors first, the schema’s about other fields after',
  async (t) => {
    const schema = z.strictObject({ name: z.string().min(2), kind: z.enum(['a', 'b']) })
    const validate = validatorCompiler({ schema, method: 'POST', url: '/x', httpPart: 'body' })
    t.strictSame(validate({ name: 'ok', kind: 'a' }), { value: { name: 'ok', kind: 'a' } })
    const errors = (data: unknown) => {
      const result = validate(data) as { error?: Array<{ instancePath: string; message: string; keyword: string; params: object }> }
      return (result.error ?? []).map((e) => [e.instancePath, e.keyword, e.message, e.params])
    }
    t.strictSame(errors({ name: '\u0000', kind: 'c' }), [
      ['/name', 'custom', NUL_MESSAGE, {}],
      ['/kind', 'invalid_value', 'Invalid option: expected one of "a"|"b"', { values: ['a', 'b'] }],
    ])
    t.strictSame(
      errors({ name: 'ok', kind: 'a', ['x\u0000']: 1, extra: 2 }),
      [
        ['/x\u0000', 'custom', NUL_MESSAGE, {}],
        ['/', 'unrecognized_keys', 'Unrecognized key: "extra"', { keys: ['extra'] }],
      ],
      'a key holding NUL is not also an unknown key; the other unknown key is',
    )
    t.strictSame(
      errors({ name: 'ok', kind: 'a', ['x\u0000']: 1 }),
      [['/x\u0000', 'custom', NUL_MESSAGE, {}]],
      'no unknown key left: no such error',
    )
  },
)
