/**
 * Incremental checkpoint benchmark (issue 10, "Benchmarks"): checkpoint time and bytes uploaded
 * for about 100 MB, 500 MB and 1 GB of state with (a) nothing changed since the last checkpoint
 * and (b) 1% of the keys changed, beside a full snapshot of the same state in the same run. Each
 * state size runs in a fresh child process (bench/incremental.trial.ts) on a fresh temp directory.
 *
 *   npm run bench:incremental                        # 100, 500 and 1000 MB
 *   BENCH_SIZES_MB=100 npm run bench:incremental     # quick run
 *
 * Env: BENCH_SIZES_MB (comma list; default 100,500,1000), BENCH_REPEAT (checkpoints per case,
 * median shown, all recorded; default 3; at least 5 for (b), so that a level-0 compaction happens), BENCH_OUT (result file; default bench/results/<date>-incremental.json).
 */
import path from 'node:path'
import { envList, fmt, loadAverage, machineInfo, machineLine, spawnTrial, table, writeResults, benchMain } from './harness'
import type { CheckpointMeasure, IncrementalTrialResult } from './incremental.trial'

const TRIAL = path.join(__dirname, 'incremental.trial.ts')
const sizes = envList('BENCH_SIZES_MB', ['100', '500', '1000']).map(Number)
const rounds = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3))

const MB = 2 ** 20
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!

async function main(): Promise<void> {
  const started = Date.now()
  console.log(`rocksdb-keyed-state incremental checkpoint bench: ${machineLine()}`)
  console.log(`state sizes ${sizes.join(', ')} MB (one value state, 16-character keys, 100-byte random values); ${rounds} checkpoint(s) per case, median shown`)
  const trials: (IncrementalTrialResult & { wallSeconds: number })[] = []
  const failures: { stateMB: number; error: string }[] = []
  const rows = [['state', 'case', 'seconds', 'sync s', 'SST MB up', 'of which flushed', 'of which compacted', 'total MB up', 'changed MB']]
  for (const stateMB of sizes) {
    process.stderr.write(`  ${stateMB} MB:\n`)
    const result = spawnTrial<IncrementalTrialResult>(TRIAL, [String(stateMB), String(rounds)], 'rks-bench-incremental-', { inheritStderr: true })
    if ('error' in result) {
      failures.push({ stateMB, error: result.error })
      console.error(`  ${stateMB} MB: FAILED ${result.error}`)
      continue
    }
    trials.push(result)
    const label = `${fmt(result.sstBytes / MB)} MB (${fmt(result.entries)} keys, ${result.sstFiles} SST)`
    const changed = result.measured.filter((m) => m.what === 'changed')
    const mostCompacted = changed.reduce((most, m) => (m.compactedBytes! > most.compactedBytes! ? m : most), changed[0]!)
    for (const what of ['first', 'unchanged', 'changed', 'most compacted', 'full'] as const) {
      const runs = what === 'most compacted' ? [mostCompacted] : result.measured.filter((m) => m.what === what)
      const pick = (field: keyof CheckpointMeasure) => {
        const values = runs.map((m) => m[field]).filter((v): v is number => typeof v === 'number')
        return values.length === 0 ? undefined : median(values)
      }
      rows.push([
        what === 'first' ? label : '',
        {
          first: 'first incremental (uploads all)',
          unchanged: '(a) nothing changed',
          changed: '(b) 1% of keys changed',
          'most compacted': '(b) its round with most compaction',
          full: 'full snapshot',
        }[what],
        pick('seconds')!.toFixed(3),
        pick('syncSeconds')!.toFixed(3),
        fmt(pick('uploadedSstBytes')! / MB, 2),
        what === 'full' ? '' : fmt(pick('flushedBytes')! / MB, 2),
        what === 'full' ? '' : fmt(pick('compactedBytes')! / MB, 2),
        fmt(pick('uploadedBytes')! / MB, 2),
        what === 'changed' || what === 'most compacted' ? fmt(pick('changedBytes')! / MB, 2) : '',
      ])
    }
  }
  console.log(['', `ours ${[...new Set(trials.map((t) => t.describe))].join(' / ')}`, table(rows)].join('\n'))
  const unchanged = (t: IncrementalTrialResult) => median(t.measured.filter((m) => m.what === 'unchanged').map((m) => m.seconds))
  const [smallest, largest] = [trials[0], trials.at(-1)]
  const verdicts: string[] = []
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    verdicts.push(
      `(a) at ${fmt(largest.sstBytes / MB)} MB / (a) at ${fmt(smallest.sstBytes / MB)} MB: ${(unchanged(largest) / unchanged(smallest)).toFixed(2)}× ` +
        `(state ${(largest.sstBytes / smallest.sstBytes).toFixed(1)}× larger)`,
    )
  }
  for (const t of trials) {
    const sst = t.measured.filter((m) => m.what === 'unchanged').map((m) => m.uploadedSstBytes)
    verdicts.push(`${fmt(t.sstBytes / MB)} MB: (a) uploaded ${sst.join(', ')} SST bytes`)
  }
  console.log(['', ...verdicts].join('\n'))
  if (failures.length > 0) console.log(`\n${failures.length} trial(s) FAILED: ${failures.map((f) => f.stateMB).join(', ')}`)
  const minutes = (Date.now() - started) / 60000
  console.log(`\ntotal ${minutes.toFixed(1)} min; load average at the end ${loadAverage()}`)
  writeResults('incremental', ['BENCH_SIZES_MB', 'BENCH_REPEAT'], { ...machineInfo(), rounds, verdicts, trials, failures, minutes })
}

benchMain(main)
