/**
 * One memory trial in its own process (started by bench/memory.bench.ts, or by hand):
 *
 *   node --expose-gc --import tsx bench/memory-trial.ts <entries> <budgetMB> <dir>
 *
 * Sets `RocksDB.memoryBudget({ bytes: budgetMB })`, opens a KeyedStateBackend with one value
 * state and, sampling RSS and the budget's usage all along:
 *   - write:    <entries> × setCurrentKey + update (16-character keys, 100-byte values)
 *   - iterate:  one raw scan of the state's column family (nextBatch, the iterator's default options)
 *   - snapshot: a full snapshot (BENCH_COMPRESSION, default snappy) into an FsCheckpointStorage
 * Prints one JSON line: the samples, each phase's duration and peaks, and the fixed overhead
 * (RSS right after open, when the budget holds nothing yet).
 */
import path from 'node:path'
import { FsCheckpointStorage, KeyedStateBackend, KeyGroupRange, RocksDB, Serializers as S } from '../lib/index'
import type { Compression } from '../lib/format/full-snapshot-format'
import { describeOurs } from './drivers/ours'
import { gc, trialMain } from './harness'
import { MAX_PARALLELISM } from './keyed-data'

const MiB = 2 ** 20
/** Samples in synchronous loops every this many entries (timers cannot fire there). */
const SAMPLE_EVERY = 50_000
/** The snapshot's compression (BENCH_COMPRESSION, default snappy). */
const COMPRESSION = (process.env.BENCH_COMPRESSION ?? 'snappy') as Compression
/** Samples in asynchronous phases. */
const SAMPLE_MS = 100

export interface MemorySample {
  /** Seconds since the backend opened. */
  t: number
  phase: string
  rssMB: number
  /** The budget's usage (block cache, memtables and everything else charged to it). */
  usageMB: number
  /** V8's heap and the memory of Buffers and other external objects (garbage included until collected). */
  jsMB: number
}

export interface MemoryPhase {
  phase: string
  seconds: number
  peakRssMB: number
  peakUsageMB: number
  peakJsMB: number
}

export interface MemoryTrialResult {
  entries: number
  budgetMB: number
  /** RSS right after open (Node, V8, the addon, an empty database): what the budget does not cover. */
  overheadMB: number
  phases: MemoryPhase[]
  samples: MemorySample[]
  streamMB: number
  describe: string
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits))

async function main(entries: number, budgetMB: number, dir: string): Promise<MemoryTrialResult> {
  RocksDB.memoryBudget({ bytes: budgetMB * MiB })
  const backend = await KeyedStateBackend.open({
    path: path.join(dir, 'instance'),
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1),
  })
  const state = backend.valueState('value', S.bytes)
  gc()
  const opened = process.hrtime.bigint()
  const samples: MemorySample[] = []
  let phase = 'open'
  const sample = () => {
    const memory = process.memoryUsage()
    samples.push({
      t: round(Number(process.hrtime.bigint() - opened) / 1e9, 2),
      phase,
      rssMB: round(memory.rss / MiB),
      usageMB: round((RocksDB.memoryBudget()?.usage ?? 0) / MiB),
      jsMB: round((memory.heapTotal + memory.external) / MiB),
    })
  }
  sample()
  const overheadMB = samples[0].rssMB - samples[0].usageMB
  const timer = setInterval(sample, SAMPLE_MS)
  const phases: MemoryPhase[] = []
  const run = async (name: string, work: () => Promise<void> | void) => {
    phase = name
    const from = samples.length
    const start = process.hrtime.bigint()
    sample()
    await work()
    sample()
    const mine = samples.slice(from)
    phases.push({
      phase: name,
      seconds: round(Number(process.hrtime.bigint() - start) / 1e9, 2),
      peakRssMB: Math.max(...mine.map((s) => s.rssMB)),
      peakUsageMB: Math.max(...mine.map((s) => s.usageMB)),
      peakJsMB: Math.max(...mine.map((s) => s.jsMB)),
    })
    process.stderr.write(`    ${name.padEnd(9)} ${phases.at(-1)!.seconds.toFixed(1)} s, peak RSS ${phases.at(-1)!.peakRssMB} MB\n`)
  }

  const value = Buffer.alloc(100, 0x5a)
  await run('write', () => {
    for (let i = 0; i < entries; i++) {
      backend.setCurrentKey(`key-${String(i).padStart(12, '0')}`)
      value.writeUInt32BE(i)
      state.update(value)
      if (i % SAMPLE_EVERY === 0) sample()
    }
  })
  await run('iterate', () => {
    const iterator = backend.db.columnFamily('value').iterator({ raw: true })
    let seen = 0
    while (!iterator.ended) {
      seen += iterator.nextBatch(1000).count
      if (seen % SAMPLE_EVERY < 1000) sample()
    }
    iterator.close()
    if (seen !== entries) throw new Error(`iterate: saw ${seen} entries, wrote ${entries}`)
  })
  let streamBytes = 0
  await run('snapshot', async () => {
    const handle = await backend.snapshot(1, new FsCheckpointStorage(path.join(dir, 'checkpoints')), { compression: COMPRESSION })
    if (handle.kind === 'full') streamBytes = handle.stream.size
  })
  clearInterval(timer)
  await backend.close()
  return { entries, budgetMB, overheadMB: round(overheadMB), phases, samples, streamMB: round(streamBytes / MiB), describe: describeOurs() }
}

if (require.main === module) {
  trialMain(async () => {
    const [entriesArg, budgetArg, dir] = process.argv.slice(2)
    if (!/^\d+$/.test(entriesArg ?? '') || !/^\d+$/.test(budgetArg ?? '') || !dir) {
      console.error('usage: memory-trial.ts <entries> <budgetMB> <dir>')
      process.exit(2)
    }
    return main(Number(entriesArg), Number(budgetArg), dir)
  })
}
