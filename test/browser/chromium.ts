/**
 * Browser checks for the tests: a screenshot of a URL in headless Chromium,
 * and what a PNG shows (how much of it is not white, which colours).
 *
 * Chromium is expected at /usr/bin/chromium (Debian's package `chromium`;
 * RECKON_CHROMIUM may name another binary). When it is missing the test
 * fails, saying so: it does not skip. RECKON_SCREENSHOTS=<dir> keeps a copy of
 * every screenshot there, to look at.
 */
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import { PNG } from 'pngjs'

export const CHROMIUM = process.env.RECKON_CHROMIUM ?? '/usr/bin/chromium'

export const MISSING_CHROMIUM =
  `Chromium is not installed at ${CHROMIUM}: the browser tests need it (Debian: apt-get install chromium; ` +
  'or set RECKON_CHROMIUM to a Chromium binary).'

const run = promisify(execFile)

/** The flags that keep Chromium off the network (other than the page's own host) and out of any existing profile. */
function headless(dir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${join(dir, 'profile')}`,
  ]
}

/**
 * The DOM of `url` once its scripts have run (up to `budgetMs` of virtual
 * time), serialized by headless Chromium. Throws MISSING_CHROMIUM without it.
 */
export async function renderedDom(url: string, budgetMs = 10_000): Promise<string> {
  if (!existsSync(CHROMIUM)) throw new Error(MISSING_CHROMIUM)
  const dir = mkdtempSync(join(tmpdir(), 'reckon-chromium-'))
  try {
    const { stdout } = await run(CHROMIUM, [...headless(dir), `--virtual-time-budget=${budgetMs}`, '--dump-dom', url], {
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    })
    return stdout
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A PNG screenshot of `url` at `width`×`height` CSS px, taken by headless Chromium. Throws MISSING_CHROMIUM without it. */
export async function screenshot(url: string, size: { width: number; height: number }, name = 'screenshot.png'): Promise<Buffer> {
  if (!existsSync(CHROMIUM)) throw new Error(MISSING_CHROMIUM)
  const dir = mkdtempSync(join(tmpdir(), 'reckon-chromium-'))
  const file = join(dir, basename(name))
  try {
    await run(CHROMIUM, [...headless(dir), `--screenshot=${file}`, `--window-size=${size.width},${size.height}`, url], { timeout: 60_000 })
    if (!existsSync(file)) throw new Error(`Chromium wrote no screenshot of ${url}`)
    const keep = process.env.RECKON_SCREENSHOTS
    if (keep) {
      mkdirSync(keep, { recursive: true })
      copyFileSync(file, join(keep, basename(name)))
    }
    return readFileSync(file)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface PictureFacts {
  width: number
  height: number
  /** Share of pixels that are not (near) white. */
  inked: number
  /** Hue bands (30° wide, 0 = red) with at least `minPixels` clearly coloured pixels. */
  hues: number[]
}

/**
 * What a picture shows. A pixel is inked when a channel is below 240; clearly
 * coloured (not grey) when its channels differ by at least 60 — pale tints and
 * anti-aliased grey text are not.
 */
export function pictureFacts(png: Buffer, minPixels = 40): PictureFacts {
  const image = PNG.sync.read(png)
  const { width, height, data } = image
  let inked = 0
  const bands = new Array<number>(12).fill(0)
  for (let i = 0; i < width * height * 4; i += 4) {
    const r = data[i] ?? 255
    const g = data[i + 1] ?? 255
    const b = data[i + 2] ?? 255
    const max = Math.max(r, g, b)
    const min = Math.min(r, g, b)
    if (min < 240) inked++
    const chroma = max - min
    if (chroma < 60) continue
    let hue: number
    if (max === r) hue = (((g - b) / chroma) % 6) * 60
    else if (max === g) hue = ((b - r) / chroma + 2) * 60
    else hue = ((r - g) / chroma + 4) * 60
    if (hue < 0) hue += 360
    const band = Math.floor(hue / 30) % 12
    bands[band] = (bands[band] ?? 0) + 1
  }
  const hues = bands.flatMap((count, band) => (count >= minPixels ? [band * 30] : []))
  return { width, height, inked: inked / (width * height), hues }
}
