// A database's own block cache goes back to a small pool when the database closes (native/
// block_cache.cc): a HyperClockCache allocates its 4 MiB slot table when made, and glibc kept most
// of each freed one (1,000 open/close cycles grew RSS by 363 MB, test/reliability/leaks.test.ts).
import { describe, expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const MiB = 1 << 20

const usage = (db: RocksDB) => Number(db.getProperty('rocksdb.block-cache-usage'))

describe('block cache reuse', () => {
  it('a database opened after another closed starts with none of its blocks', async () => {
    const first = await RocksDB.open(tempDir())
    const cf = first.columnFamily()
    for (let i = 0; i < 20_000; i++) cf.put(`key-${i}`, Buffer.alloc(200, i))
    await first.flush()
    const empty = usage(first)
    for (let i = 0; i < 20_000; i++) cf.get(`key-${i}`)
    expect(usage(first) - empty).toBeGreaterThan(2 * MiB)
    await first.close()

    const second = await RocksDB.open(tempDir())
    expect(usage(second)).toBe(empty)
    expect(second.columnFamily().get('key-1')).toBeUndefined()
    await second.close()
  })

  it('databases open at the same time each have their own cache', async () => {
    const a = await RocksDB.open(tempDir())
    const b = await RocksDB.open(tempDir())
    a.columnFamily().put('k', Buffer.alloc(100, 1))
    await a.flush()
    const before = usage(b)
    for (let i = 0; i < 10; i++) a.columnFamily().get('k')
    expect(usage(a)).toBeGreaterThan(before)
    expect(usage(b)).toBe(before)
    await Promise.all([a.close(), b.close()])
  })
})
