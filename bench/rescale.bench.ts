/**
 * Rescaling benchmark (issue 11, "Benchmarks"): restoring the incremental checkpoint of 2 workers
 * into 3 (scale-out) and into 1 (scale-in), with `rescaleStrategy: 'ingest'` (base installed and
 * clipped, the rest exported into SST files and ingested) and `'copy'` (every key through write
 * batches, the original's way) in the same run, on the same checkpoint.
 *
 *   npm run bench:rescale                      # default state size
 *   BENCH_STATE_MB=100 npm run bench:rescale   # quick run
 *
 * The 2 workers (maxParallelism 128, ranges of `KeyGroupRange.forOperator(128, 2, i)`) hold one
 * value state of about BENCH_STATE_MB MB of SST files together (16-character string keys,
 * 100-byte random values; flushed and compacted, untimed) and each completes checkpoint 1 on an
 * FsCheckpointStorage (hard links: fetching costs no copy). Each case opens every new worker in
 * turn, timed from `KeyedStateBackend.open` to its return (fetch, verify, restore, open); then,
 * untimed by the restore but measured, a flush (the copy's memtable reaching disk) and a full
 * compaction, with the SST bytes after each; before them, the time until the background
 * compaction of what clipping hid (`clipCompacted`) is done. Each new instance is closed and
 * removed before the next. Env: BENCH_STATE_MB (default 250: about 2 minutes per round on this
 * 2-core machine), BENCH_REPEAT (rounds, default 1; each case's median round is reported, every
 * round is in the result file), BENCH_OUT (result file; default bench/results/<date>-rescale.json).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { assignToKeyGroup, FsCheckpointStorage, KeyedStateBackend, KeyGroupRange, Serializers as S, type KeyedStateHandle } from '../lib/index'
import type { RescaleStrategy } from '../lib/index'
import { generate } from './data'
import { describeOurs } from './drivers/ours'
import { benchMain, envRepeat, fmt, gc, loadAverage, machineInfo, machineLine, table, writeResults } from './harness'
import { compositeKey, encodedValue, MAX_PARALLELISM, stringKeys } from './keyed-data'

/** SST bytes per entry, roughly (as bench/incremental.trial.ts). */
const SST_BYTES_PER_ENTRY = 135
const CHUNK = 250_000
const MB = 2 ** 20
const stateMB = Number(process.env.BENCH_STATE_MB ?? 250)

interface Measure {
  case: string
  strategy: RescaleStrategy
  round: number
  workers: {
    range: string
    seconds: number
    clipCompactSeconds: number
    sstBytes: number
    entries: number
    flushSeconds: number
    compactSeconds: number
    compactedSstBytes: number
  }[]
  seconds: number
}

const CASES = [
  ['2 → 3 scale-out', 3],
  ['2 → 1 scale-in', 1],
] as const
const repeat = envRepeat()

/** The measure with the median restore time (the lower middle one for an even count). */
function median(measures: Measure[]): Measure {
  return [...measures].sort((a, b) => a.seconds - b.seconds)[Math.floor((measures.length - 1) / 2)]!
}

const open = (dir: string, storage: FsCheckpointStorage, range: KeyGroupRange, restoreFrom?: KeyedStateHandle[], rescaleStrategy?: RescaleStrategy) =>
  KeyedStateBackend.open({ path: dir, keySerializer: S.string, maxParallelism: MAX_PARALLELISM, keyGroupRange: range, storage, incremental: true, restoreFrom, rescaleStrategy })

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const began = process.hrtime.bigint()
  await run()
  return Number(process.hrtime.bigint() - began) / 1e9
}

const sstBytes = (backend: KeyedStateBackend<string>) => backend.db.liveFiles().reduce((sum, file) => sum + file.size, 0)

async function main(): Promise<void> {
  const started = Date.now()
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rks-bench-rescale-'))
  try {
    console.log(`rocksdb-keyed-state rescale bench: ${machineLine()}`)
    const entries = Math.round((stateMB * MB) / SST_BYTES_PER_ENTRY)
    const storage = new FsCheckpointStorage(path.join(root, 'checkpoints'), { retain: 1 })
    // The 2 old workers: each key written to the worker holding its key group.
    const old = await Promise.all([0, 1].map((i) => open(path.join(root, `old-${i}`), storage, KeyGroupRange.forOperator(MAX_PARALLELISM, 2, i))))
    const cfs = old.map((backend) => (backend.valueState('value', S.bytes), backend.db.columnFamily('value')))
    const batches = old.map((backend) => backend.db.batch())
    for (let start = 0, c = 0; start < entries; start += CHUNK, c++) {
      const count = Math.min(CHUNK, entries - start)
      const names = stringKeys(count, 0x2e0000 + c)
      const { values } = generate(count, 7000 + c)
      for (let i = 0; i < count; i++) {
        const w = old[0]!.keyGroupRange.contains(assignToKeyGroup(names[i]!, MAX_PARALLELISM, S.string)) ? 0 : 1
        batches[w]!.put(cfs[w]!, compositeKey(names[i]!), encodedValue(values[i]!))
        if (batches[w]!.count >= 1000) {
          old[w]!.db.write(batches[w]!)
          batches[w]!.clear()
        }
      }
    }
    const handles: KeyedStateHandle[] = []
    let oldSst = 0
    for (const [w, backend] of old.entries()) {
      backend.db.write(batches[w]!)
      batches[w]!.close()
      await backend.db.flush(cfs[w]!)
      await backend.db.compactRange(cfs[w]!)
      oldSst += sstBytes(backend)
      handles.push(await backend.snapshot(1))
      await backend.close()
    }
    await storage.completeCheckpoint('bench', 1, handles)
    const loaded = `${fmt(oldSst / MB)} MB of SST in 2 workers (${fmt(entries)} keys, one value state)`
    console.log(`state: ${loaded}; ${describeOurs()}; load ${((Date.now() - started) / 1000).toFixed(1)} s`)

    // Rounds interleave the cases, so a burst of load on this shared machine hits all of them alike.
    const runs: Measure[] = []
    for (let round = 0; round < repeat; round++) {
      for (const [label, parallelism] of CASES) {
        for (const strategy of ['ingest', 'copy'] as const) {
          const measure: Measure = { case: label, strategy, round, workers: [], seconds: 0 }
          for (let i = 0; i < parallelism; i++) {
            const range = KeyGroupRange.forOperator(MAX_PARALLELISM, parallelism, i)
            const dir = path.join(root, `new-${parallelism}-${strategy}-${i}`)
            gc()
            let backend!: KeyedStateBackend<string>
            const openSeconds = await seconds(async () => {
              backend = await open(dir, storage, range, handles, strategy)
            })
            // Untimed by the restore: the background compaction of what clipping hid (its own figure),
            // then a flush (what the copy left in the memtable reaching disk) and a full compaction.
            const clipCompactSeconds = await seconds(() => backend.clipCompacted)
            const cf = backend.db.columnFamily('value')
            const restored = Number(backend.db.getProperty('rocksdb.estimate-num-keys', cf) ?? 0)
            const flushSeconds = await seconds(() => backend.db.flush(cf))
            const flushedSst = sstBytes(backend)
            const compactSeconds = await seconds(() => backend.db.compactRange(cf))
            measure.workers.push({
              range: range.toString(),
              seconds: openSeconds,
              clipCompactSeconds,
              sstBytes: flushedSst,
              entries: restored,
              flushSeconds,
              compactSeconds,
              compactedSstBytes: sstBytes(backend),
            })
            measure.seconds += openSeconds
            await backend.close()
            fs.rmSync(dir, { recursive: true, force: true })
            process.stderr.write(`  round ${round + 1}/${repeat} ${label} ${strategy} worker ${i}: ${openSeconds.toFixed(2)} s\n`)
          }
          runs.push(measure)
        }
      }
    }
    // Per case and strategy, the round whose restore time (summed over the new workers) is the median.
    const measures = CASES.flatMap(([label]) =>
      (['ingest', 'copy'] as const).map((strategy) => median(runs.filter((m) => m.case === label && m.strategy === strategy))),
    )
    const rows = [['case', 'strategy', 'restore s (sum)', 'slowest worker s', 'copy / ingest', 'clip compaction s', 'then flush s', 'SST MB', 'compact s', 'SST MB compacted']]
    const sum = (m: Measure, field: 'clipCompactSeconds' | 'flushSeconds' | 'sstBytes' | 'compactSeconds' | 'compactedSstBytes') => m.workers.reduce((total, w) => total + w[field], 0)
    const byCase = (label: string, strategy: RescaleStrategy) => measures.find((m) => m.case === label && m.strategy === strategy)!
    for (const m of measures) {
      rows.push([
        m.strategy === 'ingest' ? m.case : '',
        m.strategy,
        m.seconds.toFixed(2),
        Math.max(...m.workers.map((w) => w.seconds)).toFixed(2),
        m.strategy === 'copy' ? `${(m.seconds / byCase(m.case, 'ingest').seconds).toFixed(1)}×` : '',
        sum(m, 'clipCompactSeconds').toFixed(2),
        sum(m, 'flushSeconds').toFixed(2),
        fmt(sum(m, 'sstBytes') / MB),
        sum(m, 'compactSeconds').toFixed(2),
        fmt(sum(m, 'compactedSstBytes') / MB),
      ])
    }
    const inOut = (strategy: RescaleStrategy) => byCase('2 → 1 scale-in', strategy).seconds / byCase('2 → 3 scale-out', strategy).seconds
    const verdicts = [`scale-in / scale-out (total seconds): ingest ${inOut('ingest').toFixed(2)}×, copy ${inOut('copy').toFixed(2)}×`]
    console.log(['', table(rows), '', ...verdicts].join('\n'))
    const minutes = (Date.now() - started) / 60000
    console.log(`\ntotal ${minutes.toFixed(1)} min; load average at the end ${loadAverage()}`)
    writeResults('rescale', ['BENCH_STATE_MB', 'BENCH_REPEAT'], { ...machineInfo(), describe: describeOurs(), stateMB, entries, oldSstBytes: oldSst, repeat, measures, runs, verdicts, failures: [], minutes })
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}

benchMain(main)
