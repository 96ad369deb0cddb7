import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'
import { writeBufferSizes } from '../helpers/rocksdb-options-file'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const MiB = 1 << 20

afterEach(() => {
  RocksDB.memoryBudget(null)
})

describe('open defaults', () => {
  it('gives every column family an 8 MiB memtable without a memory budget (RocksDB 64 MiB ones wrote batches half as fast)', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'listed' }] })
    db.createColumnFamilySync('created')
    expect(writeBufferSizes(dir)).toEqual({ default: 8 * MiB, listed: 8 * MiB, created: 8 * MiB })
    await db.close()
  })

  it('gives a database without a memory budget a block cache of 128 MiB (random gets of 1M keys missed a 64 MiB one)', async () => {
    const db = await RocksDB.open(tempDir())
    expect(Number(db.getProperty('rocksdb.block-cache-capacity'))).toBe(128 * MiB)
    await db.close()
  })

  it('gives RocksDB 8+ the lock-free HyperClockCache, its own or a budget\'s (point reads at 1M keys spent a fifth of their time in the LRU cache\'s locks and lists)', async () => {
    const expected = Number(RocksDB.version.split('.')[0]) >= 8 ? 'FixedHyperClockCache' : 'LRUCache'
    const cacheKind = (db: RocksDB) => /^Block cache (\w+)@/.exec(String(db.getProperty('rocksdb.block-cache-entry-stats')))?.[1]
    const own = await RocksDB.open(tempDir())
    expect(cacheKind(own)).toBe(expected)
    await own.close()
    RocksDB.memoryBudget({ bytes: 16 * MiB })
    const budgeted = await RocksDB.open(tempDir())
    expect(cacheKind(budgeted)).toBe(expected)
    await budgeted.close()
  })

  it('gives a family a quarter of the memory budget for memtables, at most the same 8 MiB', async () => {
    RocksDB.memoryBudget({ bytes: 16 * MiB, writeBufferRatio: 0.5 })
    const small = tempDir()
    const db = await RocksDB.open(small)
    expect(writeBufferSizes(small)).toEqual({ default: 2 * MiB })
    await db.close()

    RocksDB.memoryBudget({ bytes: 256 * MiB, writeBufferRatio: 0.5 })
    const large = tempDir()
    const other = await RocksDB.open(large)
    expect(writeBufferSizes(large)).toEqual({ default: 8 * MiB })
    await other.close()
  })

  it('takes writeBufferBytes for every family of the database, also as the cap of its budget share', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { writeBufferBytes: 32 * MiB, columnFamilies: [{ name: 'listed' }] })
    db.createColumnFamilySync('created')
    expect(writeBufferSizes(dir)).toEqual({ default: 32 * MiB, listed: 32 * MiB, created: 32 * MiB })
    await db.close()

    RocksDB.memoryBudget({ bytes: 256 * MiB, writeBufferRatio: 0.5 })
    const budgeted = tempDir()
    const other = await RocksDB.open(budgeted, { writeBufferBytes: 64 * MiB })
    expect(writeBufferSizes(budgeted)).toEqual({ default: 32 * MiB }) // a quarter of 128 MiB
    await other.close()
  })

  it('refuses a writeBufferBytes outside 64 KiB..1 GiB or not an integer, before touching the disk', async () => {
    for (const bad of [0, 1000, 2 ** 31, 1.5 * MiB + 0.5]) {
      const dir = tempDir()
      await expect(RocksDB.open(dir, { writeBufferBytes: bad })).rejects.toThrow(RangeError)
      expect(fs.existsSync(path.join(dir, 'CURRENT'))).toBe(false)
    }
    await expect(RocksDB.open(tempDir(), { writeBufferBytes: '8' as unknown as number })).rejects.toThrow(TypeError)
  })
})
