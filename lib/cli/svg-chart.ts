/**
 * Inline SVG charts for the HTML report: plain markup, no script and no fonts to fetch, so the
 * page renders the same offline in any browser. Every bar is a `rect.bar` with a `<title>` (the
 * browser shows it on hover), which is also what the report's browser test counts.
 */
export interface Bar {
  label: string
  value: number
  color: string
  /** Hover text. */
  tooltip: string
}

export interface ColumnChartOptions {
  /** `data-chart` of the `<svg>`: names the chart for tests and styles. */
  id: string
  bars: readonly Bar[]
  width: number
  height: number
  format: (value: number) => string
  /** Axis caption under the bars. */
  xCaption: string
  /** Labels under the x axis at these bar indexes (default: first and last). */
  xTicks?: readonly number[]
  /** Draws a dashed line at the mean, labelled in the right margin. */
  meanLine?: boolean
  /** The y axis ticks for the largest value (default `niceTicks`). */
  ticks?: (max: number) => number[]
}

const MARGIN = { top: 14, right: 88, bottom: 40, left: 64 }

/** Vertical bars left to right (key groups, histogram buckets) with a y axis of round ticks. */
export function columnChart(options: ColumnChartOptions): string {
  const { id, bars, width, height, format } = options
  const plotWidth = width - MARGIN.left - MARGIN.right
  const plotHeight = height - MARGIN.top - MARGIN.bottom
  const ticks = (options.ticks ?? niceTicks)(Math.max(0, ...bars.map((bar) => bar.value)))
  const top = ticks.at(-1)!
  const y = (value: number) => MARGIN.top + plotHeight - (top === 0 ? 0 : (value / top) * plotHeight)
  const step = plotWidth / Math.max(1, bars.length)
  const gap = step > 6 ? Math.min(step * 0.2, 4) : 0
  const parts: string[] = []
  for (const tick of ticks) {
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${num(y(tick))}" y2="${num(y(tick))}"/>`)
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${num(y(tick) + 4)}" text-anchor="end">${escapeXml(format(tick))}</text>`)
  }
  bars.forEach((bar, i) => {
    const x = MARGIN.left + i * step + gap / 2
    const barHeight = Math.max(0, y(0) - y(bar.value))
    parts.push(
      `<rect class="bar" x="${num(x)}" y="${num(y(0) - barHeight)}" width="${num(Math.max(0.5, step - gap))}" height="${num(barHeight)}" fill="${bar.color}"><title>${escapeXml(bar.tooltip)}</title></rect>`,
    )
  })
  for (const i of options.xTicks ?? (bars.length > 1 ? [0, bars.length - 1] : [0])) {
    const bar = bars[i]
    if (bar === undefined) continue
    parts.push(`<text class="tick" x="${num(MARGIN.left + (i + 0.5) * step)}" y="${height - MARGIN.bottom + 16}" text-anchor="middle">${escapeXml(bar.label)}</text>`)
  }
  if (options.meanLine === true && bars.length > 0) {
    const mean = bars.reduce((sum, bar) => sum + bar.value, 0) / bars.length
    parts.push(`<line class="mean" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${num(y(mean))}" y2="${num(y(mean))}"/>`)
    parts.push(`<text class="mean-label" x="${width - MARGIN.right + 6}" y="${num(y(mean) + 4)}">mean ${escapeXml(format(mean))}</text>`)
  }
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${num(y(0))}" y2="${num(y(0))}"/>`)
  parts.push(`<text class="caption" x="${MARGIN.left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">${escapeXml(options.xCaption)}</text>`)
  return svg(id, width, height, parts)
}

export interface BarListOptions {
  id: string
  bars: readonly Bar[]
  width: number
  format: (value: number) => string
}

const ROW = 24
const LABEL_WIDTH = 250

/** One horizontal bar per row with its label on the left and its value on the right (files). */
export function barList(options: BarListOptions): string {
  const { id, bars, width, format } = options
  const max = Math.max(1, ...bars.map((bar) => bar.value))
  const plotWidth = width - LABEL_WIDTH - 90
  const parts = bars.map((bar, i) => {
    const y = i * ROW + 4
    const barWidth = Math.max(1, (bar.value / max) * plotWidth)
    return (
      `<text class="row-label" x="${LABEL_WIDTH - 8}" y="${y + 14}" text-anchor="end">${escapeXml(shorten(bar.label, 48))}</text>` +
      `<rect class="bar" x="${LABEL_WIDTH}" y="${y}" width="${num(barWidth)}" height="${ROW - 8}" rx="2" fill="${bar.color}"><title>${escapeXml(bar.tooltip)}</title></rect>` +
      `<text class="tick" x="${num(LABEL_WIDTH + barWidth + 6)}" y="${y + 13}">${escapeXml(format(bar.value))}</text>`
    )
  })
  return svg(id, width, bars.length * ROW + 8, parts)
}

function svg(id: string, width: number, height: number, parts: string[]): string {
  return `<svg class="chart" data-chart="${id}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`
}

/** 0 and up to five round steps (1, 2 or 5 times a power of ten) reaching at least `max`. */
export function niceTicks(max: number): number[] {
  if (max <= 0) return [0, 1]
  const rough = max / 4
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough)!
  const ticks = [0]
  while (ticks.at(-1)! < max) ticks.push(ticks.at(-1)! + step)
  return ticks
}

/** `niceTicks` in the binary unit (B, KiB, MiB, ...) of `max`, so byte axes read 0, 20 KiB, 40 KiB. */
export function byteTicks(max: number): number[] {
  let unit = 1
  while (max / unit >= 1024) unit *= 1024
  return niceTicks(max / unit).map((tick) => tick * unit)
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

function num(value: number): string {
  return String(Math.round(value * 10) / 10)
}
