/** The chart drawn by headless Chromium: not a blank, in its colours. */
import t, { type Test } from 'tap'
import { khanShaykhun, post } from '../helper.js'
import { MISSING_CHROMIUM, pictureFacts, screenshot } from './chromium.js'

const CHART = '/events/khan-shaykhun/chart.svg'

t.test('in a browser: headless Chromium draws the chart, not a blank', async (t) => {
  t.setTimeout(120_000)
  const { app } = await khanShaykhun(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let png: Buffer
  try {
    png = await screenshot(`${base}${CHART}?as_of=2017-04-06`, { width: 760, height: 400 }, 'chart-khan-shaykhun.png')
  } catch (error) {
    t.fail(error instanceof Error && error.message === MISSING_CHROMIUM ? MISSING_CHROMIUM : `Chromium failed: ${String(error)}`)
    return
  }
  const facts = pictureFacts(png)
  t.equal(facts.width, 760)
  t.equal(facts.height, 400)
  t.ok(facts.inked > 0.01, `more than 1% of the picture is drawn (${(facts.inked * 100).toFixed(1)}%)`)
  t.ok(facts.hues.length >= 2, `at least two distinct colours that are not grey (hue bands: ${facts.hues.join(', ')})`)
  t.ok(
    facts.hues.some((h) => h >= 180 && h < 240),
    'the blue of the intervals and points',
  )
  t.ok(
    facts.hues.some((h) => h < 60),
    'the vermilion of the median',
  )
})

/** A screenshot of `url`, or the test fails saying why (Chromium missing, or failing). */
async function shoot(t: Test, url: string, name: string): Promise<Buffer | null> {
  try {
    return await screenshot(url, { width: 760, height: 440 }, name)
  } catch (error) {
    t.fail(error instanceof Error && error.message === MISSING_CHROMIUM ? MISSING_CHROMIUM : `Chromium failed: ${String(error)}`)
    return null
  }
}

t.test('in a browser: a vague figure, drawn as a hatched range without a dot', async (t) => {
  t.setTimeout(120_000)
  const { app } = await khanShaykhun(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  // WHO's "hundreds more have been affected" (§8 claim 4): a single vague claim.
  const png = await shoot(t, `${base}${CHART}?metric=affected&as_of=2017-04-06`, 'chart-vague.png')
  if (png === null) return
  const facts = pictureFacts(png)
  t.strictSame([facts.width, facts.height], [760, 440])
  t.ok(facts.inked > 0.01, `more than 1% of the picture is drawn (${(facts.inked * 100).toFixed(1)}%)`)
  t.ok(
    facts.hues.some((h) => h >= 180 && h < 240),
    `the blue of the hatching (hue bands: ${facts.hues.join(', ')})`,
  )
})

t.test('in a browser: a conflicting group of three, with a vague word, its band and its median', async (t) => {
  t.setTimeout(120_000)
  const { app } = await khanShaykhun(t)
  const said = [
    { source_id: 'sohr', qualifier: 'exact', value: 300 },
    { source_id: 'who', qualifier: 'at_least', value: 500 },
    { source_id: 'reuters', qualifier: 'hundreds' },
  ]
  for (const c of said) {
    const res = await post(app, '/events/khan-shaykhun/claims', {
      kind: 'figure',
      stated_at: '2017-04-05',
      metric: 'injured',
      population: 'all',
      ...c,
    })
    t.equal(res.statusCode, 201)
  }
  const summary = await app.inject({ method: 'GET', url: '/events/khan-shaykhun/summary?as_of=2017-04-06' })
  const injured = (summary.json() as { figures: Array<{ metric: string; disagreement: { level: string } }> }).figures.find(
    (f) => f.metric === 'injured',
  )
  t.equal(injured?.disagreement.level, 'conflicting')
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const png = await shoot(t, `${base}${CHART}?metric=injured&as_of=2017-04-06`, 'chart-conflicting.png')
  if (png === null) return
  const facts = pictureFacts(png)
  t.ok(facts.inked > 0.01, `more than 1% of the picture is drawn (${(facts.inked * 100).toFixed(1)}%)`)
  t.ok(
    facts.hues.some((h) => h >= 180 && h < 240),
    `the blue of the intervals and points (hue bands: ${facts.hues.join(', ')})`,
  )
  t.ok(
    facts.hues.some((h) => h < 60),
    'the vermilion of the median',
  )
  t.ok(
    facts.hues.some((h) => h >= 120 && h < 180),
    'the green of the band’s label',
  )
})
