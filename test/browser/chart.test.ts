/** The chart drawn by headless Chromium: not a blank, in its colours. */
import t from 'tap'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build } from '../helper.js'
import { MISSING_CHROMIUM, pictureFacts, screenshot } from './chromium.js'

const CHART = '/events/khan-shaykhun/chart.svg'

async function khanShaykhun(t: Parameters<typeof build>[0]) {
  const app = await build(t)
  await loadFixture(app, readFixture())
  return app
}

t.test('in a browser: headless Chromium draws the chart, not a blank', async (t) => {
  t.setTimeout(120_000)
  const app = await khanShaykhun(t)
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
  t.ok(facts.hues.some((h) => h >= 180 && h < 240), 'the blue of the intervals and points')
  t.ok(facts.hues.some((h) => h < 60), 'the vermilion of the median')
})
