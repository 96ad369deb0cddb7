/**
 * Memory benchmark (issue 14, "Memory"): RSS over time against the configured memory budget while
 * one backend writes, iterates and snapshots N entries (bench/memory-trial.ts, in a fresh process).
 *
 *   npm run bench:memory                            # 10M entries (~1.2 GB of data), 256 MiB budget: ~3 min
 *   BENCH_ENTRIES=1000000 npm run bench:memory      # quick run (~15 s)
 *
 * Env: BENCH_ENTRIES (default 10000000), BENCH_BUDGET_MB (default 256), BENCH_COMPRESSION of the
 * snapshot (default snappy), BENCH_OUT (default bench/results/<date>-memory-<entries>.json).
 * See bench/README.md.
 */
import path from 'node:path'
import { benchMain, fmt, loadAverage, machineInfo, machineLine, shortCount, spawnTrial, table, writeResults } from './harness'
import type { MemoryTrialResult } from './memory-trial'

const TRIAL = path.join(__dirname, 'memory-trial.ts')
const entries = Number((process.env.BENCH_ENTRIES ?? '10000000').replace(/_/g, ''))
const budgetMB = Number(process.env.BENCH_BUDGET_MB ?? 256)
/** Lines of the RSS timeline. */
const TIMELINE_LINES = 40
const BAR_WIDTH = 50

function timeline(result: MemoryTrialResult): string {
  const { samples } = result
  const limit = result.budgetMB + result.overheadMB
  const top = Math.max(limit, ...samples.map((s) => s.rssMB))
  const scale = (mb: number) => Math.round((mb / top) * BAR_WIDTH)
  const step = Math.max(1, Math.ceil(samples.length / TIMELINE_LINES))
  const lines = [`      t  phase     RSS MB  usage MB  ${'|'.padStart(scale(limit) + 1)} = budget + overhead (${fmt(limit)} MB)`]
  for (let i = 0; i < samples.length; i += step) {
    // The largest sample of each step, so no peak falls between lines.
    const s = samples.slice(i, i + step).reduce((a, b) => (b.rssMB > a.rssMB ? b : a))
    const bar = '#'.repeat(scale(s.usageMB)) + '='.repeat(Math.max(0, scale(s.rssMB) - scale(s.usageMB)))
    lines.push(`${s.t.toFixed(1).padStart(7)}  ${s.phase.padEnd(8)} ${fmt(s.rssMB).padStart(7)} ${fmt(s.usageMB).padStart(9)}  ${bar}`)
  }
  lines.push(`  # budget usage, = rest of RSS`)
  return lines.join('\n')
}

async function main(): Promise<void> {
  if (!Number.isInteger(entries) || entries <= 0) throw new Error(`BENCH_ENTRIES: bad count '${process.env.BENCH_ENTRIES}'`)
  const machine = machineInfo()
  console.log(`rocksdb-keyed-state memory bench: ${machineLine()}`)
  console.log(`${fmt(entries)} entries (16-character keys, 100 B values), memory budget ${budgetMB} MiB, one fresh process`)
  const result = spawnTrial<MemoryTrialResult>(TRIAL, [String(entries), String(budgetMB)], 'rks-bench-memory-', { inheritStderr: true })
  const failures = 'error' in result ? [{ entries, error: result.error }] : []
  if ('error' in result) {
    console.error(`FAILED ${result.error}`)
  } else {
    const limit = result.budgetMB + result.overheadMB
    console.log(`\nours ${result.describe}; fixed overhead ${fmt(result.overheadMB)} MB (RSS after open minus the budget's usage then)\n`)
    console.log(timeline(result))
    const rows = [['phase', 'seconds', 'peak RSS MB', 'peak usage MB', 'peak JS heap + external MB', 'RSS − overhead MB', 'vs budget']]
    for (const p of result.phases) {
      rows.push([p.phase, p.seconds.toFixed(1), fmt(p.peakRssMB), fmt(p.peakUsageMB), fmt(p.peakJsMB), fmt(p.peakRssMB - result.overheadMB), `${((p.peakRssMB - result.overheadMB) / result.budgetMB).toFixed(2)}×`])
    }
    console.log(`\n${table(rows)}\n`)
    const peak = Math.max(...result.phases.map((p) => p.peakRssMB))
    console.log(`peak RSS ${fmt(peak)} MB; budget ${result.budgetMB} + overhead ${fmt(result.overheadMB)} = ${fmt(limit)} MB: ${peak <= limit ? 'within' : `OVER by ${fmt(peak - limit)} MB`}`)
  }
  console.log(`load average at the end ${loadAverage()}`)
  writeResults(`memory-${shortCount(entries)}`, ['BENCH_BUDGET_MB', 'BENCH_COMPRESSION'], { machine, entries, budgetMB, result, failures })
}

benchMain(main)
