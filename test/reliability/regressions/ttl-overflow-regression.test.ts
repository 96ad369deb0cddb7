// Issue 8, "Data loss": DBWithTTL keeps write times as int32 seconds and tests expiry as
// `timestamp + ttl` in int32. A TTL larger than INT32_MAX - now passed our checks, the sum
// wrapped negative and one compaction deleted every fresh entry; and once the clock passes
// 2038-01-19 the timestamps themselves wrap. Both are refused now.
import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB, TimestampOverflowError } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const INT32_MAX = 2 ** 31 - 1
const NOW = 1_780_000_000 // 2026

describe('TTLs and write times beyond the int32 range', () => {
  it('regression: a TTL above INT32_MAX - now was accepted and compaction deleted every fresh entry', async () => {
    const clock = new ManualClock(NOW)
    const maximum = INT32_MAX - NOW
    const dir = tempDir()
    await expect(RocksDB.open(dir, { clock, columnFamilies: [{ name: 's', ttlSeconds: maximum + 1 }] })).rejects.toThrow(
      new RegExp(`ttlSeconds must be at most ${maximum}`),
    )
    const db = await RocksDB.open(dir, { clock, columnFamilies: [{ name: 's', ttlSeconds: maximum }] })
    const cf = db.columnFamily('s')
    await expect(db.createColumnFamily('t', { ttlSeconds: maximum + 1 })).rejects.toThrow(RangeError)
    expect(() => db.createColumnFamilySync('t', { ttlSeconds: maximum + 1 })).toThrow(RangeError)
    expect(() => cf.setTtl(maximum + 1)).toThrow(RangeError)
    expect(cf.ttlSeconds).toBe(maximum)

    // The largest allowed TTL keeps fresh entries through a compaction.
    for (let i = 0; i < 100; i++) cf.put(`key-${i}`, 'fresh')
    await db.flush()
    await db.compactRange(cf)
    expect([...cf.iterator()]).toHaveLength(100)
    await db.close()
  })

  it('regression: writes past 2038-01-19 wrapped their 4-byte timestamp; now refused with a clear error', async () => {
    const clock = new ManualClock(INT32_MAX - 1000)
    const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 'ttl', ttlSeconds: 500 }] })
    const plain = db.columnFamily()
    const ttl = db.columnFamily('ttl')
    ttl.put('early', 'v')
    clock.advance(600) // now + 500 s no longer fits
    expect(() => ttl.put('late', 'v')).toThrow(TimestampOverflowError)
    expect(() => db.batch().put(ttl, 'late', 'v')).toThrow(TimestampOverflowError)
    plain.put('no-ttl', 'still fits')
    clock.set(INT32_MAX + 1) // the timestamp itself no longer fits
    expect(() => plain.put('wrapped', 'v')).toThrow(/2038-01-19/)
    expect(() => plain.merge('wrapped', 'v')).toThrow(TimestampOverflowError)
    const writer = db.sstWriter(plain, `${tempDir('x')}.sst`)
    expect(() => writer.put('wrapped', 'v')).toThrow(TimestampOverflowError)
    writer.close()
    expect(plain.get('wrapped')).toBeUndefined()
    expect(ttl.get('early')?.toString()).toBe('v')
    await db.close()
  })
})
