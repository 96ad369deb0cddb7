/**
 * Debian's headless Chromium, run as the report's browser test and screenshot script need it: no
 * sandbox (CI runs as root), no GPU, nothing that reaches the network, a fresh profile each time.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

export const CHROMIUM = process.env.CHROMIUM ?? 'chromium'

/** Whether the browser can be started here; `bash scripts/setup.sh` installs it on Debian. */
export function chromiumAvailable(): boolean {
  return spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0
}

function runChromium(page: string, args: string[]): string {
  const profile = mkdtempSync(path.join(tmpdir(), 'rks-chromium-'))
  try {
    const flags = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
    ]
    const result = spawnSync(CHROMIUM, [...flags, ...args, pathToFileURL(page).href], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 })
    if (result.status !== 0) throw new Error(`${CHROMIUM} failed (${result.signal ?? result.status}): ${result.stderr.slice(-2000)}`)
    return result.stdout
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}

/** The page's DOM after the browser parsed and laid it out. */
export function dumpDom(page: string): string {
  return runChromium(page, ['--dump-dom'])
}

/** A PNG of the page's first `width` x `height` CSS pixels. */
export function screenshot(page: string, png: string, width: number, height: number): void {
  runChromium(page, [`--screenshot=${path.resolve(png)}`, `--window-size=${width},${height}`])
}
