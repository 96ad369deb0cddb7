// Issue 8, "Smaller": iterator defects.
import { describe, expect, it } from 'vitest'
import { ClosedError, ManualClock, RocksDB, type Entry } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const keysOf = (entries: Entry[]) => entries.map(([key]) => key.toString())

describe('Iterator', () => {
  it('regression: nextv(count, 0) returned no entries and never ended (a loop until ended spun forever)', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    cf.put('a', '1')
    const it = cf.iterator()
    expect(() => it.nextv(1, 0)).toThrow(RangeError)
    await expect(it.nextvAsync(1, 0)).rejects.toThrow(RangeError)
    expect(keysOf(it.nextv(10, 1))).toEqual(['a']) // one byte still returns an entry
    it.close()
    await db.close()
  })

  it('regression: skipExpired scanned 300k expired entries in one nextv(1, 1); now bounded, and it never ends early', async () => {
    const clock = new ManualClock(1_780_000_000)
    const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 's', ttlSeconds: 10 }] })
    const cf = db.columnFamily('s')
    const batch = db.batch()
    for (let i = 0; i < 300_000; i++) batch.put(cf, `expired-${String(i).padStart(6, '0')}`, 'v')
    db.write(batch)
    clock.advance(100)
    cf.put('fresh', 'v')
    const it = cf.iterator({ skipExpired: true })
    expect(it.nextv(1, 1)).toEqual([]) // returned with what it had after a bounded scan
    expect(it.ended).toBe(false)
    const found: string[] = []
    let calls = 1
    while (!it.ended) {
      found.push(...keysOf(it.nextv(1, 1)))
      calls++
    }
    expect(found).toEqual(['fresh'])
    expect(calls).toBeGreaterThan(10)
    await db.close()
  })

  it('regression: an iterator kept returning entries after close() was called while other work was pending', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    for (let i = 0; i < 100; i++) cf.put(`k${i}`, 'v')
    const it = cf.iterator()
    const snapshot = db.snapshot()
    const flushing = db.flush()
    const closing = db.close()
    expect(() => it.nextv()).toThrow(ClosedError)
    await expect(it.nextvAsync()).rejects.toThrow(ClosedError)
    expect(() => it.seek('k1')).toThrow(ClosedError)
    expect(() => snapshot.sequenceNumber).toThrow(ClosedError)
    await flushing
    await closing
  })

  it("regression: seeking outside the range clamped into it (seek('4') on { gt: '5' } yielded '6'); it now ends the iterator", async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    for (const key of ['3', '4', '5', '6', '7']) cf.put(key, key)
    const forward = cf.iterator({ gt: '5' })
    forward.seek('4')
    expect(forward.nextv()).toEqual([])
    expect(forward.ended).toBe(true)
    forward.seek('5') // gt: '5' itself is outside too
    expect(forward.nextv()).toEqual([])
    forward.seek('6')
    expect(keysOf(forward.nextv())).toEqual(['6', '7'])
    const reverse = cf.iterator({ reverse: true, lte: '5' })
    reverse.seek('6')
    expect(reverse.nextv()).toEqual([])
    expect(reverse.ended).toBe(true)
    reverse.seek('5')
    expect(keysOf(reverse.nextv())).toEqual(['5', '4', '3'])
    await db.close()
  })
})
