import t from 'tap'
import { SLUG_PATTERN, slugify, uniqueSlug } from '../../src/lib/slug.js'

t.test('slugify', async (t) => {
  const cases: Array<[string, string]> = [
    ['Syrian Observatory for Human Rights', 'syrian-observatory-for-human-rights'],
    ["Organisation des Nations Unies pour l'Éducation", 'organisation-des-nations-unies-pour-l-education'],
    ['Médecins Sans Frontières', 'medecins-sans-frontieres'],
    ['Ångström, Zürich & Co.', 'angstrom-zurich-co'],
    ['Ḥalab', 'halab'],
    ['ﬁnal ①', 'final-1'],
    ['  --Reuters--  ', 'reuters'],
    ['a___b...c   d', 'a-b-c-d'],
    ['UPPER lower 123', 'upper-lower-123'],
    ['2017', '2017'],
    ['Синхуа', ''],
    ['新华社', ''],
    ['!!!', ''],
    ['', ''],
  ]
  for (const [name, slug] of cases) t.equal(slugify(name), slug, JSON.stringify(name))
})

t.test('slugify output is always a valid slug or empty', async (t) => {
  const names = ['x'.repeat(200), `${'ab-'.repeat(40)}`, `${'a'.repeat(63)} b`, '-a-', 'É'.repeat(70), 'Dağ'.repeat(30)]
  for (const name of names) {
    const slug = slugify(name)
    t.ok(slug.length <= 64, `${name.slice(0, 20)}…: at most 64 characters`)
    t.match(slug, SLUG_PATTERN, `${name.slice(0, 20)}…: matches the slug pattern`)
    t.notMatch(slug, /-$/, 'no trailing dash after cutting')
  }
  t.equal(slugify(`${'a'.repeat(63)} b`), 'a'.repeat(63), 'a cut that would end in "-" drops the dash')
  t.equal(slugify('É'.repeat(70)), 'e'.repeat(64))
})

t.test('SLUG_PATTERN', async (t) => {
  for (const ok of ['a', '0', 'sohr', 'russian-mod', 'a-', 'a'.repeat(64)]) t.match(ok, SLUG_PATTERN, ok)
  for (const bad of ['', '-a', 'A', 'a_b', 'a b', 'é', 'a'.repeat(65)]) t.notMatch(bad, SLUG_PATTERN, bad)
})

t.test('uniqueSlug', async (t) => {
  const taken = (ids: string[]) => (id: string) => ids.includes(id)
  t.equal(await uniqueSlug('reuters', taken([])), 'reuters', 'free: the base')
  t.equal(await uniqueSlug('reuters', taken(['reuters'])), 'reuters-2')
  t.equal(await uniqueSlug('reuters', taken(['reuters', 'reuters-2'])), 'reuters-3')
  t.equal(await uniqueSlug('reuters', taken(['reuters', 'reuters-3'])), 'reuters-2', 'the first free suffix')
  const many = ['x', ...Array.from({ length: 10 }, (_, i) => `x-${i + 2}`)]
  t.equal(await uniqueSlug('x', taken(many)), 'x-12', 'suffixes go past 9')
})

t.test('uniqueSlug keeps the id within 64 characters', async (t) => {
  const base = 'a'.repeat(64)
  const two = await uniqueSlug(base, (id) => id === base)
  t.equal(two, `${'a'.repeat(62)}-2`)
  t.equal(two.length, 64)
  t.match(two, SLUG_PATTERN)

  const tenTaken = new Set([base, ...Array.from({ length: 8 }, (_, i) => `${'a'.repeat(62)}-${i + 2}`)])
  const ten = await uniqueSlug(base, (id) => tenTaken.has(id))
  t.equal(ten, `${'a'.repeat(61)}-10`)
  t.equal(ten.length, 64)

  const dashy = `${'a'.repeat(60)}-bcd`
  t.equal(dashy.length, 64)
  const cut = await uniqueSlug(dashy, (id) => id === dashy)
  t.ok(cut.length <= 64)
  t.match(cut, SLUG_PATTERN)
  t.notMatch(cut, /--/, 'no double dash where the cut met a dash')
  t.equal(cut, `${'a'.repeat(60)}-b-2`)

  const dashAtCut = `${'a'.repeat(61)}-${'b'.repeat(2)}`
  const cut2 = await uniqueSlug(dashAtCut, (id) => id === dashAtCut)
  t.equal(cut2, `${'a'.repeat(61)}-2`, 'a trailing dash left by the cut is dropped before the suffix')
})
