/**
 * Regenerates docs/report-screenshot.png: runs the multi-worker demo keeping its checkpoints,
 * writes their HTML report, screenshots it in headless Chromium and trims the empty bottom.
 * Run: bash scripts/report-screenshot.sh
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { screenshot } from './chromium'
import { cropBottom, decodePng, encodePng } from './png'

const root = path.join(__dirname, '..')
const output = path.join(root, 'docs', 'report-screenshot.png')
const work = mkdtempSync(path.join(tmpdir(), 'rks-report-screenshot-'))
try {
  const cli = (args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'lib', 'cli', 'main.ts'), ...args], { cwd: root, stdio: 'inherit' })
  cli(['demo', '--keep', work])
  const page = path.join(work, 'report.html')
  cli(['report', path.join(work, 'checkpoints'), '--html', page])
  const png = path.join(work, 'report.png')
  screenshot(page, png, 1100, 4000)
  writeFileSync(output, encodePng(cropBottom(decodePng(readFileSync(png)), 24)))
  console.log(`wrote ${path.relative(root, output)}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
