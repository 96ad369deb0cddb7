/**
 * Turns the results of `npm run bench` (each bench's own JSON) into the ratio tables of
 * bench/results/<date>-all.md and the README's performance section. A bench whose JSON lacks a
 * field yields "—" cells, not an error: the benches evolve on their own.
 */
import { LABELS, BINDING_TARGET, medianCells, nativeRows, type NativeTrialLike } from './native-report'
import { fmt, median, shortCount } from './harness'

type Json = any

export interface RatioRow {
  what: string
  ratio: string
  value?: number
  target?: number
}

const times = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(2)}×`)
const verdictMark = (value: number | undefined, target: number | undefined) =>
  value === undefined || target === undefined ? '' : value >= target ? 'met' : '**missed**'

/** Markdown table of ours against the best binding and the ceiling, one row per (key count, workload). */
export function nativeTable(native: Json): string[] {
  const rows = nativeRows(medianCells((native?.trials ?? []) as NativeTrialLike[]))
  if (rows.length === 0) return []
  const lines = [
    `| native, median of ${native.repeat ?? 1} | ours ops/s | ours / best binding (≥ ${BINDING_TARGET.toFixed(1)}×) | ours / C++ ceiling (target) |`,
    '|---|---:|---:|---:|',
  ]
  for (const row of rows) {
    const ours = row.cells.get('ours')
    const binding = row.vsBestBinding === undefined ? '—' : `${times(row.vsBestBinding)} ${row.bestBinding}${row.cells.get(row.bestBinding!)?.sync === false ? '*' : ''}${row.vsBestBinding < BINDING_TARGET ? ' **<**' : ''}`
    const ceiling =
      row.vsCeiling === undefined
        ? '—'
        : `${times(row.vsCeiling)}${row.ceilingTarget === undefined ? '' : ` (≥ ${row.ceilingTarget})${row.vsCeiling < row.ceilingTarget ? ' **<**' : ''}`}`
    lines.push(`| ${shortCount(row.keys)} keys: ${LABELS[row.workload]} | ${fmt(ours?.opsPerSecond)}${ours && !ours.sync ? '*' : ''} | ${binding} | ${ceiling} |`)
  }
  return lines
}

function stateRows(state: Json): RatioRow[] {
  const trials: Json[] = state?.trials ?? []
  const rate = (keys: number, workload: string, driver: string, part: string) =>
    median(trials.filter((t) => t.keys === keys && t.workload === workload && t.driver === driver && t.timed?.[part]).map((t) => t.timed[part].opsPerSecond))
  const parts = [
    ['value', 'getPut', 'ValueState value()+update() / raw get+put'],
    ['list', 'add', 'ListState add() / raw merge'],
    ['list', 'get', 'ListState get() / raw get'],
    ['map', 'put', 'MapState put() / raw put'],
    ['map', 'get', 'MapState get() / raw get'],
  ]
  const rows: RatioRow[] = []
  for (const keys of [...new Set(trials.map((t) => t.keys as number))]) {
    for (const [workload, part, label] of parts) {
      const ratio = (raw: string) => {
        const [s, r] = [rate(keys, workload, 'state', part), rate(keys, workload, raw, part)]
        return s === undefined || r === undefined ? undefined : s / r
      }
      rows.push({ what: `state, ${shortCount(keys)} keys: ${label}`, ratio: 'state layer / ours raw', value: ratio('ours') })
      if (workload === 'value') rows.push({ what: `state, ${shortCount(keys)} keys: ${label}`, ratio: 'state layer / raw nxtedition', value: ratio('nxtedition'), target: 1.0 })
    }
  }
  return rows
}

function snapshotRows(snapshot: Json): RatioRow[] {
  const rows: RatioRow[] = []
  for (const trial of snapshot?.trials ?? []) {
    const seconds = (what: string) => median(((trial.measured ?? []) as Json[]).filter((m) => m.what === what).map((m) => m.seconds as number))
    const speed = (what: string, baseline: string) => {
      const [s, b] = [seconds(what), seconds(baseline)]
      return s === undefined || b === undefined ? undefined : b / s
    }
    const n = shortCount(trial.entries)
    rows.push(
      { what: `full snapshot, ${n} entries, compression none`, ratio: 'entries/s vs raw scan', value: speed('snapshot none', 'scan'), target: 1.0 },
      { what: `full snapshot, ${n} entries, compression snappy`, ratio: 'entries/s vs raw scan', value: speed('snapshot snappy', 'scan'), target: 0.9 },
      { what: `full restore, ${n} entries, compression none`, ratio: 'entries/s vs raw copy', value: speed('restore none, full', 'raw copy, full') },
    )
  }
  return rows
}

function incrementalRows(incremental: Json): RatioRow[] {
  return ((incremental?.trials ?? []) as Json[]).map((trial) => {
    const seconds = (what: string) => median(((trial.measured ?? []) as Json[]).filter((m) => m.what === what).map((m) => m.seconds as number))
    const [changed, full] = [seconds('changed'), seconds('full')]
    return {
      what: `incremental checkpoint, ${fmt(trial.sstBytes / 2 ** 20)} MB state, 1% of keys changed`,
      ratio: 'speed vs a full snapshot',
      value: changed === undefined || full === undefined ? undefined : full / changed,
    }
  })
}

function rescaleRows(rescale: Json): RatioRow[] {
  const measures: Json[] = rescale?.measures ?? []
  const cases = [...new Set(measures.map((m) => m.case as string))]
  return cases.map((label) => {
    const seconds = (strategy: string) => measures.find((m) => m.case === label && m.strategy === strategy)?.seconds as number | undefined
    const [ingest, copy] = [seconds('ingest'), seconds('copy')]
    return { what: `rescale ${label}, ${rescale.stateMB} MB`, ratio: 'ingest speed vs copy', value: ingest && copy ? copy / ingest : undefined }
  })
}

function storageRows(storage: Json): RatioRow[] {
  const measured: Json[] = storage?.measured ?? []
  return ['upload', 'download'].map((direction) => {
    const rate = (fs: boolean) => measured.find((m) => m.direction === direction && (m.storage === 'filesystem') === fs)?.mebibytesPerSecond as number | undefined
    const [s3, local] = [rate(false), rate(true)]
    return { what: `checkpoint storage ${direction}, ${storage.totalMB} MiB`, ratio: 'S3 (local s3rver) vs filesystem', value: s3 && local ? s3 / local : undefined }
  })
}

/** Issue 14's memory target: peak RSS within the budget plus the process's fixed overhead. */
function memoryRows(memory: Json): RatioRow[] {
  const result = memory?.result
  if (!result?.phases) return []
  const peak = Math.max(...result.phases.map((p: Json) => p.peakRssMB as number))
  return [
    {
      what: `memory, ${result.entries.toLocaleString('en-US')} entries, ${result.budgetMB} MiB budget: peak RSS ${peak.toFixed(0)} MB`,
      ratio: 'budget + fixed overhead vs peak RSS',
      value: (result.budgetMB + result.overheadMB) / peak,
      target: 1,
    },
  ]
}

const RATIOS: Record<string, (results: Json) => RatioRow[]> = {
  state: stateRows,
  snapshot: snapshotRows,
  incremental: incrementalRows,
  rescale: rescaleRows,
  storage: storageRows,
  memory: memoryRows,
}

/** Ratio rows of every bench but native (which has its own table). */
export function ratioRows(results: Record<string, Json>): RatioRow[] {
  return Object.entries(RATIOS).flatMap(([name, rows]) => (results[name] ? rows(results[name]) : []))
}

export function ratioTable(rows: readonly RatioRow[]): string[] {
  if (rows.length === 0) return []
  return [
    '| measure | ratio | value | target |',
    '|---|---|---:|---|',
    ...rows.map((r) => `| ${r.what} | ${r.ratio} | ${times(r.value)} | ${r.target === undefined ? '' : `≥ ${r.target.toFixed(2)}× ${verdictMark(r.value, r.target)}`} |`),
  ]
}

export type Scale = 'smoke' | 'default' | 'full'

/** One bench in `npm run bench`: how it ended and its own results JSON. */
export interface SuiteRun {
  status: 'ok' | 'failed' | 'absent'
  exitCode?: number | null
  minutes?: number
  env?: Record<string, string>
  results?: Json
}

/** bench/results/<date>-all.json */
export interface AllResults {
  machine: Json
  scale: Scale
  minutes: number
  suites: Record<string, SuiteRun>
}

/**
 * The tables (the machine line, native, the other ratios, notes: what the README shows) and the
 * benches' own verdict lines (the .md file adds them).
 */
export function summaryMarkdown(all: AllResults, jsonFile: string): { tables: string; verdicts: string } {
  const m = all.machine
  const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
  const results = Object.fromEntries(Object.entries(all.suites).map(([name, run]) => [name, run.results]))
  const notes = Object.entries(all.suites).flatMap(([name, run]) => {
    if (run.status === 'absent') return [`- ${name}: not run (bench/${name}.bench.ts is absent)`]
    if (run.status === 'failed') return [`- ${name}: **FAILED** (exit ${run.exitCode})`]
    const ceiling = run.results?.ceiling
    return name === 'native' && ceiling && !ceiling.ran ? [`- native: C++ ceiling not run: ${ceiling.reason}`] : []
  })
  if (results.native?.trials?.some((t: Json) => !t.sync)) notes.push('- `*`: the binding has only an async API for it, awaited per call.')
  const tables = [
    `Measured ${m.date.slice(0, 10)} by \`npm run bench\` (scale ${all.scale}, ${all.minutes.toFixed(0)} min) on ${m.cpus} × ${m.cpuModel}, ` +
      `Node ${m.node}, RocksDB ${m.rocksdb.version ?? '?'} (${m.rocksdb.build ?? m.rocksdb.error}), commit ${m.gitCommit.slice(0, 7)}${m.gitDirty ? ' (uncommitted changes)' : ''}; ` +
      `load average ${loads(m.loadAverageBefore)} before, ${loads(m.loadAverageAfter)} after. ` +
      'All figures are ratios of two measurements in the same run (above 1.00× = ours faster); the machine is shared, so absolute numbers move by up to 2× between runs. ' +
      `Every trial: \`${jsonFile}\`.`,
    '',
    ...nativeTable(results.native),
    '',
    ...ratioTable(ratioRows(results)),
    '',
    ...notes,
  ]
  const verdicts = Object.entries(results).flatMap(([name, r]) => (Array.isArray(r?.verdicts) ? r.verdicts.map((v: string) => `- ${name}: ${v}`) : []))
  const text = (lines: string[]) => lines.join('\n').replace(/\n{3,}/g, '\n\n').trim() + '\n'
  return { tables: text(tables), verdicts: verdicts.length === 0 ? '' : text(["The benches' own verdicts:", '', ...verdicts]) }
}
