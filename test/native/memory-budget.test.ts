import { afterEach, describe, expect, it } from 'vitest'
import { RocksDB, type ColumnFamily } from '../../lib/native'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const MiB = 1 << 20
const BUDGET = 16 * MiB

afterEach(() => {
  RocksDB.memoryBudget(null)
})

/**
 * What RocksDB itself reports: the shared cache's usage (memtables included through the write
 * buffer manager), the part of it pinned (in use: memtables' reservations, level 0's index and
 * filter blocks, blocks being read) and what it holds outside the cache.
 */
function measure(db: RocksDB) {
  const sum = (name: string) => db.columnFamilies().reduce((total, cf) => total + Number(db.getProperty(name, cf) ?? 0), 0)
  return {
    cacheUsage: Number(db.getProperty('rocksdb.block-cache-usage')),
    pinned: Number(db.getProperty('rocksdb.block-cache-pinned-usage')),
    memtables: sum('rocksdb.size-all-mem-tables'),
    tableReaders: sum('rocksdb.estimate-table-readers-mem'),
  }
}

async function budgetedDb(families: number): Promise<{ db: RocksDB; cfs: ColumnFamily[] }> {
  RocksDB.memoryBudget({ bytes: BUDGET, writeBufferRatio: 0.5 })
  const db = await RocksDB.open(tempDir())
  const cfs = Array.from({ length: families }, (_, i) => db.createColumnFamilySync(`state-${i}`))
  return { db, cfs }
}

describe('memory budget, measured by RocksDB', () => {
  it('regression: every column family charged 1.25 MiB of the budget as soon as it existed (the demo peaked at 93 MiB of 64)', async () => {
    const { db } = await budgetedDb(24)
    // 1 MiB arena block + memtable bloom filter per family before: 25 x 1.25 MiB, past the whole budget.
    expect(measure(db).cacheUsage).toBeLessThanOrEqual(BUDGET / 4)
    await db.close()
  })

  it('writing, reading and scanning several times the budget stays within it, with nothing growing outside the cache', async () => {
    const { db, cfs } = await budgetedDb(8)
    const samples: ReturnType<typeof measure>[] = []
    const value = Buffer.alloc(100, 0x5a)
    const key = (i: number) => Buffer.from(`key-${String(i).padStart(9, '0')}`)
    const ENTRIES = 400_000 // about 50 MB with keys: three times the budget
    for (let i = 0; i < ENTRIES; i++) {
      cfs[i % cfs.length].put(key(i), value)
      if (i % 20_000 === 0) samples.push(measure(db))
    }
    for (const cf of cfs) await db.flush(cf)
    samples.push(measure(db))
    for (let i = 0; i < ENTRIES; i += 7) {
      expect(cfs[i % cfs.length].get(key(i))?.length).toBe(value.length)
      if (i % 70_000 === 0) samples.push(measure(db))
    }
    for (const cf of cfs) {
      const iterator = cf.iterator()
      while (!iterator.ended) {
        iterator.nextBatch(1000)
        samples.push(measure(db))
      }
      iterator.close()
    }
    // The data went through the cache (it was filled) and never past it.
    expect(Math.max(...samples.map((s) => s.cacheUsage))).toBeGreaterThan(BUDGET / 2)
    for (const sample of samples) {
      // The cache is not strict (docs/guide.md): what it may evict stays within the budget, while
      // pinned entries can take it past: memtables awaiting a flush that lags behind the writes,
      // and reservations of the write buffer manager that fill one of an LRU cache's 32 shards
      // past its 1/32 (the test asserted usage <= BUDGET and failed 2 runs in 3 on a busy machine,
      // by 20 KB to 3 MB).
      expect(sample.cacheUsage - sample.pinned).toBeLessThanOrEqual(BUDGET)
      // Memtables are charged to the cache: they are part of its usage, never beside it.
      expect(sample.memtables).toBeLessThanOrEqual(sample.cacheUsage)
      // Index and filter blocks live in the cache; table readers hold almost nothing of their own
      // (before: about 1.8 MiB per million entries, growing with the state, outside the budget).
      expect(sample.tableReaders).toBeLessThanOrEqual(256 * 1024)
    }
    await db.close()
  })
})
