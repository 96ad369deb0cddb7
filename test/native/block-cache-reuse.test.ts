// A database's own block cache goes back to a small pool when the database closes (native/
// block_cache.cc): a HyperClockCache allocates its 4 MiB slot table when made, and glibc kept most
// of each freed one (1,000 open/close cycles grew RSS by 363 MB, test/reliability/leaks.test.ts).
import { describe, expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const MiB = 1 << 20

const KEYS = 20_000
// RocksDB's own small entries vary between runs (88 or 104 bytes of an empty 7.8 LRU cache);
// reading every key loads more than 2 MiB of blocks.
const SMALL_ENTRIES = 64 * 1024

const usage = (db: RocksDB) => Number(db.getProperty('rocksdb.block-cache-usage'))
const fill = (db: RocksDB) => {
  for (let i = 0; i < KEYS; i++) db.columnFamily().put(`key-${i}`, Buffer.alloc(200, i))
}

describe('block cache reuse', () => {
  it('a database opened after another closed starts with none of its blocks', async () => {
    const first = await RocksDB.open(tempDir())
    fill(first)
    await first.flush()
    const empty = usage(first)
    for (let i = 0; i < KEYS; i++) first.columnFamily().get(`key-${i}`)
    expect(usage(first) - empty).toBeGreaterThan(2 * MiB)
    await first.close()

    const second = await RocksDB.open(tempDir())
    expect(Math.abs(usage(second) - empty)).toBeLessThan(SMALL_ENTRIES)
    expect(second.columnFamily().get('key-1')).toBeUndefined()
    await second.close()
  })

  it('databases open at the same time each have their own cache', async () => {
    const a = await RocksDB.open(tempDir())
    const b = await RocksDB.open(tempDir())
    fill(a)
    await a.flush()
    const before = usage(b)
    for (let i = 0; i < KEYS; i++) a.columnFamily().get(`key-${i}`)
    expect(usage(a) - before).toBeGreaterThan(2 * MiB)
    expect(Math.abs(usage(b) - before)).toBeLessThan(SMALL_ENTRIES)
    await Promise.all([a.close(), b.close()])
  })
})
