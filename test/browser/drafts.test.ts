/**
 * The landing page's text box (#17) in headless Chromium, driven by
 * playwright-core: paste the TASS report of contract §8, draft, see the
 * quotes highlighted in the text, drop one draft, post the rest with an API
 * key — refused with a wrong key, recorded with the right one.
 */
import { readFileSync, existsSync } from 'node:fs'
import t from 'tap'
import { chromium } from 'playwright-core'
import { loadFixture, readFixture } from '../../src/demo/load-fixture.js'
import { build } from '../helper.js'
import { CHROMIUM, MISSING_CHROMIUM } from './chromium.js'

const TASS = readFileSync(new URL('../../fixtures/khan-shaykhun-tass-2017-04-06.txt', import.meta.url), 'utf8')
const TOKEN = 'desk-token-0123456789abcdef'
const ALIASES: Array<[string, string[]]> = [
  ['/sources/russian-mod', ['Russian Defense Ministry', 'Russia’s Defense Ministry', 'Russian military']],
  ['/sources/syrian-mod', ['Syrian Defense Ministry', 'Syrian military']],
  ['/actors/russian-forces', ['Russian jets', 'Russian forces']],
  ['/actors/armed-opposition', ['terrorists', 'militants']],
]

t.test('paste an article, keep the right drafts, post them with a key', async (t) => {
  t.setTimeout(120_000)
  if (!existsSync(CHROMIUM)) {
    t.fail(MISSING_CHROMIUM)
    return
  }
  const app = await build(t, { apiKeys: `${TOKEN}:write` })
  const auth = { authorization: `Bearer ${TOKEN}` }
  await loadFixture(app, readFixture(), auth)
  for (const [url, aliases] of ALIASES) {
    const res = await app.inject({ method: 'PATCH', url, payload: { aliases }, headers: auth })
    t.equal(res.statusCode, 200, `PATCH ${url}`)
  }
  const claimsBefore = (await app.repos.claims.allOfEvent('khan-shaykhun')).length
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const errors: string[] = []
  // Script errors (the console's "Failed to load resource" lines are the refused post and the favicon, and are not).
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${base}/`)

  await page.fill('#draft-text', TASS)
  await page.fill('input[name="published_at"]', '2017-04-06')
  await page.fill('input[name="publisher_id"]', 'tass')
  await page.fill('input[name="event_id"]', 'khan-shaykhun')
  await page.click('button:has-text("Draft claims")')
  await page.waitForSelector('.draft-list li')

  t.equal(await page.locator('.draft-list li').count(), 9, 'the nine drafts of §8')
  t.equal(await page.textContent('#draft-result .draft-status'), '9 drafts. Keep the right ones, then post them.')
  const marks = await page.locator('.draft-text mark').allTextContents()
  t.ok(marks.includes('at least 70 people have died'), 'the WHO’s quote is highlighted in the text')
  t.ok(marks.includes('killed 58 people including 11 children'), 'and SOHR’s')
  t.equal(await page.textContent('.draft-text'), TASS, 'the text is shown whole, as pasted')
  const labels = await page.locator('.draft-list label').allTextContents()
  t.ok(
    labels.some((l) => l.includes('who via tass: killed (all), at least 70, 2017-04-06T00:00:00.000Z')),
    `each draft in words (${labels.join(' | ')})`,
  )
  t.ok((await page.locator('.draft-list .guess').allTextContents()).some((g) => g.startsWith('Guessed stated_at: the publication time')))

  const keep = process.env.RECKON_SCREENSHOTS
  if (keep !== undefined) await page.locator('section.drafts').screenshot({ path: `${keep}/drafts.png` })

  // Drop one: the first (a headline's).
  await page.uncheck('#draft-0')
  await page.fill('#post-form input[name="key"]', 'wrong-token-0000000000')
  await page.click('button:has-text("Post the kept claims")')
  await page.waitForSelector('#post-form + div .draft-status')
  t.match(
    await page.textContent('#post-form + div .draft-status'),
    /^Not posted: The API key is not valid/,
    'a wrong key: refused, said so',
  )

  await page.fill('#post-form input[name="key"]', TOKEN)
  await page.click('button:has-text("Post the kept claims")')
  await page.locator('#post-form + div .draft-status', { hasText: /^Posted/ }).waitFor()
  t.equal(await page.textContent('#post-form + div .draft-status'), 'Posted 8 claims.')
  t.equal((await app.repos.claims.allOfEvent('khan-shaykhun')).length, claimsBefore + 8, 'the eight kept claims are recorded')
  t.strictSame(errors, [], 'no script error')
})
