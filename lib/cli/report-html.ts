import { AGE_BUCKETS } from './age-histogram'
import type { CheckpointSummary, KeyGroupSummary, Problem } from './checkpoint-summary'
import { describeTtl } from './inspect'
import { barList, byteTicks, columnChart, escapeXml, type Bar } from './svg-chart'
import { formatBytes } from './text-table'

/** One color per handle (worker), repeating past eight. */
export const HANDLE_COLORS = ['#2563eb', '#0d9488', '#d97706', '#7c3aed', '#db2777', '#65a30d', '#0891b2', '#9333ea']
export const AGE_COLOR = '#16a34a'
export const EXPIRED_COLOR = '#dc2626'
const FUTURE_COLOR = '#94a3b8'
const WIDTH = 1040
/** More key groups than this are drawn in bins of consecutive key groups. */
const MAX_COLUMNS = 256

/**
 * The report page: one self-contained HTML document (inline CSS and SVG, no script, nothing
 * fetched) with the checkpoint's summary, charts of entries and bytes per key group, file sizes
 * and TTL ages, and tables of states, handles, timers and problems.
 */
export function renderReport(summary: CheckpointSummary, problems: readonly Problem[], generatedAt: Date): string {
  const title = summary.checkpointId === undefined ? 'Checkpoint handles' : `Checkpoint ${summary.checkpointId}${summary.jobId === undefined ? '' : ` of job “${summary.jobId}”`}`
  const body = [
    `<header><h1>${escapeXml(title)}</h1><p class="sub">${escapeXml(summary.description)} · generated ${escapeXml(generatedAt.toISOString())}</p></header>`,
    cards(summary, problems),
    problems.length === 0 ? '' : problemList(problems),
    keyGroupCharts(summary),
    fileChart(summary),
    ageCharts(summary),
    stateTable(summary),
    handleTable(summary),
    timerTable(summary),
  ]
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)} · rocksdb-keyed-state</title>
<style>${STYLE}</style></head>
<body><main>${body.filter((part) => part !== '').join('\n')}</main></body></html>
`
}

function cards(summary: CheckpointSummary, problems: readonly Problem[]): string {
  const items: [string, string, string?][] = [
    ['entries', summary.totals.entries.toLocaleString('en-US')],
    ['state bytes', formatBytes(summary.totals.bytes)],
    ['files', `${summary.files.length} · ${formatBytes(summary.totals.fileBytes)}`],
    ['workers (handles)', String(summary.handles.length)],
    ['key groups', `${summary.keyGroups.length} of ${summary.maxParallelism ?? '?'}`],
    ['states', String(summary.states.filter((state) => state.kind !== 'timers').length)],
    ['problems', problems.length === 0 ? 'none' : String(problems.length), problems.length === 0 ? 'good' : 'bad'],
  ]
  return `<section class="cards">${items.map(([label, value, tone]) => `<div class="card ${tone ?? ''}"><div class="value">${escapeXml(value)}</div><div class="label">${escapeXml(label)}</div></div>`).join('')}</section>`
}

function problemList(problems: readonly Problem[]): string {
  return `<section class="problems"><h2>Problems</h2><ul>${problems.map((p) => `<li><b>${p.kind}</b> ${escapeXml(p.message)}</li>`).join('')}</ul></section>`
}

/** Consecutive key groups summed into at most MAX_COLUMNS columns, colored by the handle holding most of them. */
function keyGroupColumns(groups: readonly KeyGroupSummary[], value: (group: KeyGroupSummary) => number, format: (v: number) => string): Bar[] {
  const size = Math.ceil(groups.length / MAX_COLUMNS)
  const bars: Bar[] = []
  for (let i = 0; i < groups.length; i += size) {
    const bin = groups.slice(i, i + size)
    const total = bin.reduce((sum, group) => sum + value(group), 0)
    const first = bin[0]!.keyGroup
    const last = bin.at(-1)!.keyGroup
    const label = first === last ? `${first}` : `${first}-${last}`
    const handle = bin[Math.floor(bin.length / 2)]!.handle
    bars.push({ label, value: total, color: HANDLE_COLORS[handle % HANDLE_COLORS.length]!, tooltip: `key group ${label} (handle ${handle}): ${format(total)}` })
  }
  return bars
}

function keyGroupCharts(summary: CheckpointSummary): string {
  const groups = summary.keyGroups
  if (groups.length === 0) return ''
  const count = (v: number) => Math.round(v).toLocaleString('en-US')
  const binned = groups.length > MAX_COLUMNS ? ` (in bins of ${Math.ceil(groups.length / MAX_COLUMNS)} key groups)` : ''
  const chart = (id: string, bars: Bar[], format: (v: number) => string, ticks?: (max: number) => number[]) =>
    columnChart({ id, bars, width: WIDTH, height: 260, format, ticks, xCaption: `key group${binned}; color: the worker (handle) holding it`, meanLine: true, xTicks: handleStarts(bars, summary) })
  const legend = `<div class="legend">${summary.handles
    .map((h) => `<span><i style="background:${HANDLE_COLORS[h.index % HANDLE_COLORS.length]}"></i>handle ${h.index}: key groups ${h.keyGroupRange.start}–${h.keyGroupRange.end}</span>`)
    .join('')}</div>`
  return (
    `<section><h2>Entries per key group</h2><p class="note">Skew shows at a glance: a tall bar is a hot key group; the dashed line is the mean.</p>${legend}` +
    chart('entries-per-key-group', keyGroupColumns(groups, (g) => g.entries, count), count) +
    `</section><section><h2>Bytes per key group</h2>` +
    chart('bytes-per-key-group', keyGroupColumns(groups, (g) => g.bytes, formatBytes), formatBytes, byteTicks) +
    `</section>`
  )
}

/** Labels under the first column of each handle's range. */
function handleStarts(bars: readonly Bar[], summary: CheckpointSummary): number[] {
  const starts = summary.handles.map((h) => bars.findIndex((bar) => Number(bar.label.split('-')[0]) >= h.keyGroupRange.start))
  return [...new Set([...starts.filter((i) => i >= 0), bars.length - 1])]
}

function fileChart(summary: CheckpointSummary): string {
  if (summary.files.length === 0) return ''
  const bars = summary.files.map((file) => ({
    // Keys end in long unique names: the handle and a shortened name fit the row, the tooltip has it all.
    label: `handle ${file.handle} · ${file.key.split('/').at(-1)!.replace(/([0-9a-f]{8})-[0-9a-f-]{27}/, '$1…')}`,
    value: file.size,
    color: HANDLE_COLORS[file.handle % HANDLE_COLORS.length]!,
    tooltip: `${file.key}: ${file.size} bytes, ${file.role} of handle ${file.handle}, SHA-256 ${file.sha256}`,
  }))
  return `<section><h2>File sizes</h2>${barList({ id: 'file-sizes', bars, width: WIDTH, format: formatBytes })}</section>`
}

function ageCharts(summary: CheckpointSummary): string {
  const states = summary.states.filter((state) => state.ages !== undefined)
  if (states.length === 0) return ''
  const charts = states.map((state) => {
    const ages = state.ages!
    const step = ages.ttlSeconds / AGE_BUCKETS
    const unit = state.kind === 'list' ? 'elements' : 'entries'
    const bars: Bar[] = ages.buckets.map((value, i) => ({
      label: `${(i * 100) / AGE_BUCKETS}%`,
      value,
      color: AGE_COLOR,
      tooltip: `${value} ${unit} aged ${formatSeconds(i * step)}–${formatSeconds((i + 1) * step)}`,
    }))
    bars.push({ label: 'expired', value: ages.expired, color: EXPIRED_COLOR, tooltip: `${ages.expired} ${unit} past their TTL, not yet compacted away` })
    if (ages.future > 0) bars.push({ label: 'future', value: ages.future, color: FUTURE_COLOR, tooltip: `${ages.future} ${unit} written after the report's now` })
    const chart = columnChart({
      id: `ttl-ages-${state.name}`,
      bars,
      width: WIDTH / 2 - 12,
      height: 220,
      format: (v) => Math.round(v).toLocaleString('en-US'),
      xCaption: `age as a share of the TTL (${formatSeconds(ages.ttlSeconds)})`,
      xTicks: bars.map((_, i) => i).filter((i) => i % 2 === 0 || i >= AGE_BUCKETS),
    })
    return `<figure><figcaption><b>${escapeXml(state.name)}</b> · ${state.kind} · ${escapeXml(unit)}</figcaption>${chart}</figure>`
  })
  const now = new Date(summary.now * 1000).toISOString()
  return `<section><h2>TTL age distribution</h2><p class="note">From the write time stored with every value (every element, for list state), at ${escapeXml(now)}. Red: expired but not yet removed by compaction.</p><div class="grid2">${charts.join('')}</div></section>`
}

function stateTable(summary: CheckpointSummary): string {
  const rows = summary.states
    .filter((state) => state.kind !== 'timers')
    .map((s) => [s.name, s.kind, s.valueSerializer, s.namespaceSerializer, s.userKeySerializer ?? '–', describeTtl(s), s.entries, formatBytes(s.bytes), s.elements ?? '–'])
  return table('States', ['name', 'kind', 'value', 'namespace', 'user key', 'TTL', 'entries', 'bytes', 'list elements'], rows)
}

function handleTable(summary: CheckpointSummary): string {
  const rows = summary.handles.map((h) => {
    const file = summary.files.find((f) => f.handle === h.index)
    return [h.index, `${h.keyGroupRange.start}–${h.keyGroupRange.end}`, h.kind, h.compression ?? '?', h.entries, formatBytes(h.bytes), file === undefined ? '–' : formatBytes(file.size)]
  })
  return table('Handles', ['#', 'key groups', 'kind', 'compression', 'entries', 'state bytes', 'file'], rows)
}

function timerTable(summary: CheckpointSummary): string {
  const rows = summary.states.filter((s) => s.kind === 'timers').map((s) => [s.name, s.entries, String(s.timers?.earliest ?? '–'), String(s.timers?.latest ?? '–')])
  return rows.length === 0 ? '' : table('Timers per queue', ['queue', 'timers', 'earliest', 'latest'], rows)
}

function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cell = (value: string | number) => `<td${typeof value === 'number' ? ' class="num"' : ''}>${escapeXml(typeof value === 'number' ? value.toLocaleString('en-US') : value)}</td>`
  return `<section><h2>${escapeXml(title)}</h2><table><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</tbody></table></section>`
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`
  return `${Math.round(seconds / 86400)} d`
}

const STYLE = `
:root{color-scheme:light;--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:28px 30px 40px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:16px;margin:0 0 10px}
.sub,.note{color:var(--muted);margin:0 0 10px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:14px 0}
header{margin-bottom:6px}
.cards{display:grid;grid-template-columns:repeat(7,1fr);gap:10px;background:none;border:0;padding:0}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:10px 12px}
.card .value{font-size:18px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .label{color:var(--muted);font-size:12px}
.card.good .value{color:#15803d}.card.bad .value{color:#b91c1c}
.problems{border-color:#fecaca;background:#fef2f2}.problems li{margin:2px 0}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:0 0 6px;color:var(--muted);font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.chart{display:block;max-width:100%;height:auto}
.chart .grid{stroke:#eef2f7}.chart .axis{stroke:#94a3b8}
.chart .tick,.chart .caption,.chart .row-label{font-size:11px;fill:#475569}
.chart .caption{fill:var(--muted)}
.chart .mean{stroke:#0f172a;stroke-dasharray:5 4;stroke-width:1}.chart .mean-label{font-size:11px;fill:#0f172a}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:8px 24px}
figure{margin:0}figcaption{font-size:13px;margin-bottom:2px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line)}
th{color:var(--muted);font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
`
