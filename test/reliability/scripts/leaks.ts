// Resource growth over many lifecycles. `leaks.ts <mode>` (run with --expose-gc):
//   open-close - 1,000 open / write / read / iterate / snapshot / close cycles of one database;
//   iterators  - 1,000,000 iterator creations on one database (one in 10 never closed, left to GC).
// Reports open file descriptors (/proc/self/fd) and RSS after a warm-up tenth and at the end.
// GC runs every 10,000 steps: the native memory of a forgotten iterator is invisible to V8, so
// without it the peak of uncollected garbage, not a leak, would set the RSS. The databases
// live in tmpfs where there is one, and the cycles run with the WAL off: with it, every open
// preallocates a WAL of 1.1 x the write buffer (fallocate, ~70 MB, zero-filled on tmpfs) and
// every close frees it again, ~45 ms a cycle that measures RocksDB, not this binding.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { RocksDB } from '../../../lib/native'
import { fill, report, runMain, tempBase } from './support'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

interface Sample {
  fds: number
  rssMB: number
}

/** GC, then a turn of the event loop: Node runs native finalizers of collected objects there. */
async function collect(): Promise<void> {
  gc!()
  await new Promise((resolve) => setImmediate(resolve))
}

async function sample(): Promise<Sample> {
  for (let i = 0; i < 3; i++) await collect()
  return { fds: readdirSync('/proc/self/fd').length, rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20) }
}

/** Runs `step(i)` for i < total; samples after the first tenth (warm-up) and at the end. */
async function measure(total: number, step: (i: number) => Promise<void> | void) {
  const warmUp = total / 10
  let afterWarmUp: Sample | undefined
  for (let i = 0; i < total; i++) {
    await step(i)
    if (i % 10_000 === 0) await collect()
    if (i + 1 === warmUp) afterWarmUp = await sample()
  }
  return { total, afterWarmUp: afterWarmUp!, atEnd: await sample() }
}

async function openClose() {
  const dir = path.join(tempBase('leak-cycles', 'memory'), 'db')
  const options = { wal: false, columnFamilies: [{ name: 'ttl', ttlSeconds: 60 }] }
  return measure(1000, async (i) => {
    const db = await RocksDB.open(dir, options)
    const cf = db.columnFamily('ttl')
    // A write makes close flush a memtable into a new SST file: every tenth cycle.
    if (i % 10 === 0) cf.put(`k${i % 100}`, 'v')
    cf.get('k1')
    const snapshot = db.snapshot()
    cf.iterator({ snapshot }).nextv(10)
    await db.close()
  })
}

async function iterators() {
  const db = await RocksDB.open(path.join(tempBase('leak-iterators', 'memory'), 'db'), { wal: true })
  const cf = db.columnFamily()
  fill(cf, 100)
  const result = await measure(1_000_000, (i) => {
    const iterator = cf.iterator({ gte: 'k' })
    if (i % 100 === 0) iterator.nextv(2)
    if (i % 10 !== 0) iterator.close()
  })
  await db.close()
  return result
}

const modes = { 'open-close': openClose, iterators }

runMain(async () => report(await modes[process.argv[2] as keyof typeof modes]()))
