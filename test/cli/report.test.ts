import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AGE_COLOR, EXPIRED_COLOR, HANDLE_COLORS } from '../../lib/cli/report-html'
import { chromiumAvailable, dumpDom, screenshot } from '../../scripts/chromium'
import { countColor, decodePng } from '../../scripts/png'
import { useTempDirs } from '../helpers/temp-dir'
import { barsPerChart, expectReportFindsMissing, expectSelfContainedReport, REPORT_NOW } from './cli-expectations'
import { makeJobCheckpoint, runCli } from './cli-fixture'

const tempDir = useTempDirs()

describe('rocksdb-keyed-state report', () => {
  it('writes one self-contained page: inline SVG and CSS, no script, nothing fetched', async () => {
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    expectSelfContainedReport(runCli(['report', fixture.storageRoot, '--html', page, '--now', String(REPORT_NOW)]), page)
  })

  it('renders in headless Chromium: every chart in the DOM and painted in the screenshot', async () => {
    // Not skipped when missing: scripts/setup.sh (run by `bash scripts/run.sh test` and .ci/run) installs it.
    if (!chromiumAvailable()) throw new Error('chromium is not installed: bash scripts/setup.sh installs it (apt-get install -y chromium)')
    const fixture = await makeJobCheckpoint(tempDir('job'))
    const page = path.join(path.dirname(fixture.storageRoot), 'report.html')
    expect(runCli(['report', fixture.storageRoot, '--html', page, '--now', String(REPORT_NOW)]).status).toBe(0)

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
    const json = runCli(['report', fixture.storageRoot, '--html', page, '--json'])
    const text = runCli(['report', fixture.storageRoot, '--html', page])
    expectReportFindsMissing(json, text, page, 1, fixture.handles[1]!.stream.key)
  })
})
