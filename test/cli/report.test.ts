import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AGE_COLOR, EXPIRED_COLOR, HANDLE_COLORS } from '../../lib/cli/report-html'
import { chromiumAvailable, dumpDom, screenshot } from '../../scripts/chromium'
import { countColor, decodePng } from '../../scripts/png'
import { useTempDirs } from '../helpers/temp-dir'
import { MAX_PARALLELISM, WRITE_TIME, makeJobCheckpoint, runCli } from './cli-fixture'

const tempDir = useTempDirs()

/** `data-chart` name -> number of `rect.bar` in it, from a serialized DOM. */
function barsPerChart(html: string): Record<string, number> {
  const charts: Record<string, number> = {}
  for (const match of html.matchAll(/<svg class="chart" data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)) {
    charts[match[1]!] = (match[2]!.match(/<rect class="bar"/g) ?? []).length
  }
  return charts
}

// 101 s after the writes: `count` (written at +0, TTL 100 s) is expired; of the list elements, those
// written at +0 and +1 are expired (write time + TTL <= now), the one at +2 in its last tenth.
const NOW = WRITE_TIME + 101

describe('rocksdb-keyed-state report', () => {
  it('writes one self-contained page: inline SVG and CSS, no script, nothing fetched', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    const result = runCli(['report', fixture.storageRoot, '--html', page, '--now', String(NOW)])
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^wrote .*report\.html \(\d+ bytes\)$/m)
    const html = readFileSync(page, 'utf8')
    expect(html).not.toMatch(/<script|<link|<img|<iframe|src=|url\(|@import/i)
    // The only URL is SVG's namespace name, which a browser never fetches.
    expect(new Set([...html.matchAll(/https?:\/\/[^"' )]+/g)].map((m) => m[0]))).toEqual(new Set(['http://www.w3.org/2000/svg']))
    expect(barsPerChart(html)).toEqual({
      'entries-per-key-group': MAX_PARALLELISM,
      'bytes-per-key-group': MAX_PARALLELISM,
      'file-sizes': 2,
      'ttl-ages-count': 11,
      'ttl-ages-pages': 11,
    })
  })

  it('renders in headless Chromium: every chart in the DOM and painted in the screenshot', async () => {
    // Not skipped when missing: scripts/setup.sh (run by `bash scripts/run.sh test` and .ci/run) installs it.
    if (!chromiumAvailable()) throw new Error('chromium is not installed: bash scripts/setup.sh installs it (apt-get install -y chromium)')
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    expect(runCli(['report', fixture.storageRoot, '--html', page, '--now', String(NOW)]).status).toBe(0)

    // What the browser built from the page: the same charts and bars.
    const dom = dumpDom(page)
    expect(barsPerChart(dom)).toEqual(barsPerChart(readFileSync(page, 'utf8')))

    const png = path.join(path.dirname(page), 'report.png')
    screenshot(page, png, 1100, 2400)
    const image = decodePng(readFileSync(png))
    expect([image.width, image.height]).toEqual([1100, 2400])
    // Each worker's key-group bars and file bar, the live TTL buckets and the expired ones were painted.
    expect(countColor(image, HANDLE_COLORS[0]!)).toBeGreaterThan(5000)
    expect(countColor(image, HANDLE_COLORS[1]!)).toBeGreaterThan(5000)
    expect(countColor(image, AGE_COLOR)).toBeGreaterThan(1000)
    expect(countColor(image, EXPIRED_COLOR)).toBeGreaterThan(1000)
  })

  it('draws at most 256 key-group columns: 1024 key groups in bins of 4', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'), { maxParallelism: 1024 })
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    expect(runCli(['report', fixture.storageRoot, '--html', page]).status).toBe(0)
    const html = readFileSync(page, 'utf8')
    expect(barsPerChart(html)['entries-per-key-group']).toBe(256)
    expect(html).toContain('key group (in bins of 4 key groups)')
    expect(html).toContain('<title>key group 0-3 (handle 0): ')
  })

  it('still writes the page for a damaged checkpoint, problems first, and exits with their code', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    rmSync(path.join(fixture.storageRoot, fixture.handles[1]!.stream.key))
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    const result = runCli(['report', fixture.storageRoot, '--html', page, '--json'])
    expect(result.status).toBe(4)
    expect(JSON.parse(result.stdout)).toMatchObject({ html: page, problems: [{ kind: 'missing' }] })
    const text = runCli(['report', fixture.storageRoot, '--html', page])
    expect(text.status).toBe(4)
    expect(text.stderr.trim().split('\n')).toEqual([
      `missing: handle 1: file '${fixture.handles[1]!.stream.key}' is missing`,
      'rocksdb-keyed-state: 1 problem(s) found, files missing',
    ])
    const html = readFileSync(page, 'utf8')
    expect(html).toContain('<section class="problems"><h2>Problems</h2>')
    expect(html).toContain(`is missing`)
  })
})
