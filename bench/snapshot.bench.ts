/**
 * Snapshot and restore benchmark (issue 4, "Benchmarks"; DESIGN §10): a full snapshot of a
 * backend with N entries across three states, against one raw iterator scan of the same data
 * in the same process, for compression 'none' and 'snappy'; then restore throughput, full
 * range and half range (rescale 1 → 2), beside a raw iterate-and-WriteBatch copy. Each key
 * count runs in a fresh child process (bench/snapshot-trial.ts) on a fresh temp directory.
 *
 *   npm run bench:snapshot                       # 1M entries
 *   BENCH_KEYS=100000 npm run bench:snapshot     # quick run
 *
 * Env: BENCH_KEYS (entries, comma list; default 1000000), BENCH_REPEAT (rounds of scan +
 * snapshots inside the trial, best kept; default 3), BENCH_OUT (result file; default
 * bench/results/<date>-snapshot-<entries>.json). See bench/README.md.
 */
import path from 'node:path'
import { envKeyCounts, fmt, loadAverage, machineInfo, machineLine, ratio, shortCount, spawnTrial, table, writeResults, benchMain } from './harness'
import type { Measured, SnapshotTrialResult } from './snapshot-trial'

const TRIAL = path.join(__dirname, 'snapshot-trial.ts')
/** Issue 14: a full snapshot writes at ≥ 1.0× (no compression) and ≥ 0.9× (snappy) the throughput of a raw scan of the same state. */
const SNAPSHOT_TARGETS = { none: 1.0, snappy: 0.9 } as const

const entryCounts = envKeyCounts(['1000000'])
const rounds = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3))

const LABELS: Record<string, string> = {
  scan: 'raw scan → /dev/null (baseline)',
  'snapshot none': 'snapshot, compression none',
  'snapshot snappy': 'snapshot, compression snappy',
  'upload (none stream)': '  of which upload alone (none)',
  'restore none, full': 'restore none, full range',
  'restore snappy, full': 'restore snappy, full range',
  'restore none, half': 'restore none, half (1 of 2 workers)',
  'raw copy, full': 'raw copy: nextBatch → WriteBatch.putRaw',
}

async function main(): Promise<void> {
  const started = Date.now()
  const machine = machineInfo()
  console.log(`rocksdb-keyed-state snapshot bench: ${machineLine()}`)
  console.log(`entries ${entryCounts.join(', ')}; 3 states (value/list/map), 16-character string keys, 100 B values; one fresh process per entry count; ${rounds} round(s) of scan + snapshots, best kept`)
  const trials: (SnapshotTrialResult & { wallSeconds: number })[] = []
  const failures: { entries: number; error: string }[] = []
  const lines: string[] = []
  const verdicts: string[] = []
  for (const entries of entryCounts) {
    process.stderr.write(`  ${entries} entries:\n`)
    const result = spawnTrial<SnapshotTrialResult>(TRIAL, [String(entries), String(rounds)], 'rks-bench-snapshot-', { inheritStderr: true })
    if ('error' in result) {
      failures.push({ entries, error: result.error })
      console.error(`  ${entries}: FAILED ${result.error}`)
      continue
    }
    trials.push(result)
    const best = new Map<string, Measured>()
    for (const m of result.measured) if (!best.has(m.what) || best.get(m.what)!.seconds > m.seconds) best.set(m.what, m)
    const rate = (m: Measured | undefined) => (m === undefined ? undefined : m.entries / m.seconds)
    const scan = best.get('scan')
    const copy = best.get('raw copy, full')
    const totalMB = (scan?.bytes ?? 0) / 2 ** 20
    const rows = [['', 'seconds', 'cpu s', 'entries/s', 'MB/s', 'vs baseline', 'file MB']]
    for (const [what, label] of Object.entries(LABELS)) {
      const m = best.get(what)
      if (m === undefined) continue
      const baseline = what.startsWith('snapshot') ? scan : what.startsWith('restore') ? copy : undefined
      rows.push([
        label,
        m.seconds.toFixed(2),
        m.cpuSeconds.toFixed(2),
        fmt(rate(m)),
        fmt(m.bytes / 2 ** 20 / m.seconds, 1),
        baseline === undefined ? '' : ratio(rate(m), rate(baseline)),
        m.fileBytes === undefined ? '' : fmt(m.fileBytes / 2 ** 20, 1),
      ])
    }
    const perState = Object.entries(result.perState)
      .map(([name, s]) => `${name} ${fmt(s.entries)}`)
      .join(', ')
    lines.push(
      '',
      `${entries.toLocaleString('en-US')} entries (${perState}; ${totalMB.toFixed(1)} MB of key+value bytes; MB/s = key+value bytes; peak RSS ${result.maxRssMB} MB)`,
      'vs baseline: snapshots against the raw scan, restores against the raw copy (entries/s)',
      table(rows),
    )
    for (const [compression, target] of Object.entries(SNAPSHOT_TARGETS)) {
      const m = best.get(`snapshot ${compression}`)
      if (m === undefined || scan === undefined) continue
      const r = rate(m)! / rate(scan)!
      verdicts.push(`${entries.toLocaleString('en-US')} entries: snapshot ${compression} ${r.toFixed(2)}× the raw scan (target ≥ ${target.toFixed(2)}×): ${r >= target ? 'met' : 'MISSED'}`)
    }
  }
  const describe = [...new Set(trials.map((t) => t.describe))].join(' / ')
  console.log(['', `ours ${describe}`, ...lines, '', ...verdicts].join('\n'))
  if (describe.includes('assertions ON')) {
    console.log("\nNOTE: ours ran on Debian's librocksdb 7.8 (assertions enabled, ~1.3-1.6x slower than release); headline numbers belong to a release build.")
  }
  if (failures.length > 0) console.log(`\n${failures.length} trial(s) FAILED: ${failures.map((f) => f.entries).join(', ')}`)
  const minutes = (Date.now() - started) / 60000
  console.log(`\ntotal ${minutes.toFixed(1)} min; load average at the end ${loadAverage()}`)
  const release = describe.includes('static release build')
  writeResults(`snapshot-${entryCounts.map(shortCount).join('-')}${release ? '-release' : ''}`, [], {
    ...machine,
    rounds,
    build: describe,
    verdicts,
    trials,
    failures,
    minutes,
  })
}

benchMain(main)
