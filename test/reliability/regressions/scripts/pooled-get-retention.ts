// Pooled get values (native/read_pool.h), in a process of their own. `pooled-get-retention.ts <mode>`:
//   retention - reads 1 KB values in one synchronous loop (a keyed worker processing a batch of
//               records never yields in between) and reports how much RSS grew: the chunks must
//               be freed by garbage collection, not only once the event loop turns;
//   transfer  - (node --harmony-rab-gsab-transfer on Node 20) detaches a chunk with
//               ArrayBuffer.prototype.transfer, which moves its memory to a new buffer, then reads
//               on: the native side must never write into that memory again.
import { RocksDB } from '../../../../lib'
import { report, runMain, tempBase } from '../../scripts/support'

const KEYS = 1000
const READS = 300_000 // 300 MB of values read

async function retention() {
  const db = await RocksDB.open(tempBase('pooled-get'))
  const cf = db.columnFamily()
  for (let i = 0; i < KEYS; i++) cf.put(`k${i}`, Buffer.alloc(1000, i))
  const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(`k${i}`))
  let bytes = 0
  // Warmed up by as many reads: under ASan, freed memory fills its 256 MB quarantine first.
  for (let i = 0; i < READS; i++) bytes += cf.get(keys[i % KEYS])!.length
  const before = process.memoryUsage().rss
  for (let i = 0; i < READS; i++) bytes += cf.get(keys[i % KEYS])!.length
  const grownMiB = Math.round((process.memoryUsage().rss - before) / 2 ** 20)
  await db.close()
  return { grownMiB, bytes }
}

async function transfer() {
  const db = await RocksDB.open(tempBase('pooled-get'))
  const cf = db.columnFamily()
  cf.put('a', 'first')
  cf.put('b', 'second')
  const first = cf.get('a')!
  let moved: Uint8Array | undefined
  try {
    moved = new Uint8Array((first.buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer())
  } catch (error) {
    // Node 24 on: an untransferable ArrayBuffer cannot be detached at all.
    if (!(error instanceof TypeError)) throw error
  }
  const copy = moved === undefined ? undefined : Buffer.from(moved)
  const later: string[] = []
  for (let i = 0; i < 3000; i++) later.push(cf.get(i % 2 === 0 ? 'a' : 'b')!.toString())
  await db.close()
  return {
    // Detached: `first` is empty and the moved bytes stay as they were; refused: `first` is whole.
    intact: moved === undefined ? first.toString() === 'first' : first.length === 0 && copy!.equals(moved),
    laterValid: later.every((value, i) => value === (i % 2 === 0 ? 'first' : 'second')),
  }
}

const modes = { retention, transfer }
runMain(async () => report(await modes[process.argv[2] as keyof typeof modes]()))
