/** The landing page drawn by headless Chromium, with its embedded charts. */
import t from 'tap'
import { world } from '../routes/landing-world.js'
import { MISSING_CHROMIUM, pictureFacts, screenshot } from './chromium.js'

t.test('in a browser: headless Chromium draws the page with its charts', async (t) => {
  t.setTimeout(120_000)
  const app = await world(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  let png: Buffer
  try {
    png = await screenshot(`${base}/`, { width: 1000, height: 1400 }, 'landing.png')
  } catch (error) {
    t.fail(error instanceof Error && error.message === MISSING_CHROMIUM ? MISSING_CHROMIUM : `Chromium failed: ${String(error)}`)
    return
  }
  const facts = pictureFacts(png)
  t.equal(facts.width, 1000)
  t.ok(facts.inked > 0.01, `more than 1% of the picture is drawn (${(facts.inked * 100).toFixed(1)}%)`)
  t.ok(
    facts.hues.some((h) => h >= 180 && h < 240),
    `the embedded charts are drawn: their blue is there (hue bands: ${facts.hues.join(', ')})`,
  )
  t.ok(facts.hues.length >= 2, 'and more than one colour')
})
