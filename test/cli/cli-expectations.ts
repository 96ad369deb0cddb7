import { readFileSync } from 'node:fs'
import { expect } from 'vitest'
import { JOB, MAX_PARALLELISM, PAGES_PER_USER, USERS, WRITE_TIME, type CliResult } from './cli-fixture'

/**
 * What the CLI prints for `makeJobCheckpoint`'s default checkpoint (2 workers, full snapshots),
 * wherever it is stored: the filesystem tests and the S3 tests assert the same.
 */

/** `inspect --now` for `expectInspectText`: values aged 50 s (bucket 50-60% of 100 s), list elements 48, 49 and 50 s. */
export const INSPECT_TEXT_NOW = WRITE_TIME + 50
/** `inspect --json --now` for `expectInspectJson`: every list element past its 100 s TTL, expired but not compacted away. */
export const INSPECT_JSON_NOW = WRITE_TIME + 150
/**
 * `report --now`: `count` (written at +0, TTL 100 s) is expired; of the list elements, those
 * written at +0 and +1 are expired (write time + TTL <= now), the one at +2 in its last tenth.
 */
export const REPORT_NOW = WRITE_TIME + 101

const SUMMARY_MISSING = 'rocksdb-keyed-state: 1 problem(s) found, files missing'

/** `inspect <checkpoint> --now INSPECT_TEXT_NOW`: states, key groups, TTL ages from the raw write times and timers per queue. */
export function expectInspectText(result: CliResult): void {
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  const text = result.stdout
  expect(text).toContain(`checkpoint 1 of job '${JOB}'`)
  expect(text).toMatch(/key serializer string, maxParallelism 16, 2 handle\(s\), 160 entries/)
  expect(text).toMatch(/^ {2}count +value +int64 +void +- +100 s, onCreateAndWrite, neverReturnExpired +40 /m)
  expect(text).toMatch(/^ {2}pages +list +string +void +- +100 s, .* +40 +\d+ +120$/m)
  expect(text).toMatch(/^ {2}cart +map +int32 +void +string +none +40 /m)
  expect(text).toMatch(/^ {2}count +100 +0 +0 +0 +0 +0 +40 +0 +0 +0 +0 +0 +0$/m)
  expect(text).toMatch(/^ {2}pages +100 +0 +0 +0 +0 +80 +40 +0 +0 +0 +0 +0 +0$/m)
  expect(text).toMatch(/^ {2}_timer_sessions_event +40 +1000 +1039$/m)
  expect(text).toMatch(/entries and bytes per key group \(largest [\d.]+x the mean/)
}

/** `inspect <checkpoint> --json --now INSPECT_JSON_NOW`: the summary for scripts, every key group with its entries and bytes. */
export function expectInspectJson(result: CliResult): void {
  expect(result.status).toBe(0)
  const { summary, problems } = JSON.parse(result.stdout)
  expect(problems).toEqual([])
  expect(summary.keyGroups.map((g: { keyGroup: number }) => g.keyGroup)).toEqual([...Array(MAX_PARALLELISM).keys()])
  expect(summary.keyGroups.reduce((sum: number, g: { entries: number }) => sum + g.entries, 0)).toBe(summary.totals.entries)
  // value + list + map per user, and one timer each
  expect(summary.totals.entries).toBe(4 * USERS)
  const pages = summary.states.find((s: { name: string }) => s.name === 'pages')
  expect(pages.elements).toBe(USERS * PAGES_PER_USER)
  expect(pages.ages).toMatchObject({ ttlSeconds: 100, expired: USERS * PAGES_PER_USER, oldestWriteTime: WRITE_TIME, newestWriteTime: WRITE_TIME + 2 })
  expect(summary.handles.map((h: { kind: string; keyGroupRange: unknown }) => [h.kind, h.keyGroupRange])).toEqual([
    ['full', { start: 0, end: 7 }],
    ['full', { start: 8, end: 15 }],
  ])
}

/** `verify <location>`: one line saying what was checked, and the same in `--json`. */
export function expectVerifyOk(text: CliResult, json: CliResult, location: string): void {
  expect(text.stderr).toBe('')
  expect(text.status).toBe(0)
  expect(text.stdout.trim().split('\n')).toHaveLength(1)
  expect(text.stdout).toMatch(
    new RegExp(
      `^ok: checkpoint 1 of job '${JOB}' in ${escapeRegExp(location)}: 2 file\\(s\\) of \\d+ bytes match their sizes and SHA-256, ` +
        '16 key groups parsed end to end \\(160 entries\\) and covered exactly once',
    ),
  )
  expect(json.status).toBe(0)
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, problems: [], checked: { handles: 2, files: 2, keyGroups: 16, entries: 160 } })
}

/** `data-chart` name -> number of `rect.bar` in it, from a serialized DOM. */
export function barsPerChart(html: string): Record<string, number> {
  const charts: Record<string, number> = {}
  for (const match of html.matchAll(/<svg class="chart" data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)) {
    charts[match[1]!] = (match[2]!.match(/<rect class="bar"/g) ?? []).length
  }
  return charts
}

/** `report <checkpoint> --html page --now REPORT_NOW`: one self-contained page (inline SVG and CSS, no script, nothing fetched). */
export function expectSelfContainedReport(result: CliResult, page: string): void {
  expect(result.stderr).toBe('')
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
}

/** The problem line of handle `handle`'s file `key` missing from the storage. */
export function missingLine(handle: number, key: string): string {
  return `missing: handle ${handle}: file '${key}' is missing`
}

/** The problem line of handle `handle`'s file whose bytes changed (its size stayed). */
export function alteredLine(handle: number): RegExp {
  return new RegExp(`^corrupt: handle ${handle}: checkpoint file '.*' has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}$`)
}

/** `inspect` of a checkpoint missing handle `handle`'s file `key`: what it read on stdout, the problem on stderr, exit 4. */
export function expectInspectFindsMissing(result: CliResult, handle: number, key: string): void {
  expect(result.status).toBe(4)
  expect(result.stdout).toContain(`checkpoint 1 of job '${JOB}'`)
  expect(result.stderr.trim().split('\n')).toEqual([missingLine(handle, key), SUMMARY_MISSING])
}

/** `verify` of a checkpoint missing handle `handle`'s file `key`: one line naming it, exit 4. */
export function expectVerifyFindsMissing(result: CliResult, handle: number, key: string): void {
  expect(result.status).toBe(4)
  expect(result.stdout.trim().split('\n')).toEqual([missingLine(handle, key)])
  expect(result.stderr.trim()).toBe(SUMMARY_MISSING)
}

/**
 * `report` (`json` with --json, `text` without) of a checkpoint missing handle `handle`'s file
 * `key`: the page is still written, problems first, and both exit 4.
 */
export function expectReportFindsMissing(json: CliResult, text: CliResult, page: string, handle: number, key: string): void {
  expect(json.status).toBe(4)
  expect(JSON.parse(json.stdout)).toMatchObject({ html: page, problems: [{ kind: 'missing' }] })
  expect(text.status).toBe(4)
  expect(text.stderr.trim().split('\n')).toEqual([missingLine(handle, key), SUMMARY_MISSING])
  const html = readFileSync(page, 'utf8')
  expect(html).toContain('<section class="problems"><h2>Problems</h2>')
  expect(html).toContain(`is missing`)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
