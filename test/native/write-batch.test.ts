// The WriteBatch encoded in JS and decoded natively at db.write (one crossing per batch).
import { describe, expect, it } from 'vitest'
import { ClosedError, ColumnFamilyNotFoundError, ManualClock, RocksDB, RocksDBError, TimestampOverflowError } from '../../lib'
import { BATCH_OP, encodeOp } from '../helpers/encoded-batch'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const text = (value: Buffer | undefined) => value?.toString()

describe('encoded WriteBatch', () => {
  it('applies every kind of operation over many column families in one write', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `cf${i}`)
    const db = await RocksDB.open(tempDir(), { columnFamilies: names.map((name) => ({ name })) })
    const families = names.map((name) => db.columnFamily(name))
    for (const cf of families) for (const key of ['gone', 'r1', 'r2', 'keep']) cf.put(key, 'x')
    const raw = Buffer.alloc(5 + 4)
    raw.write('rawv')
    raw.writeInt32LE(db.nowSeconds() - 5, 5)
    const batch = db.batch()
    families.forEach((cf, i) => {
      batch.put(cf, 'k', `v${i}`).merge(cf, 'm', 'a').merge(cf, 'm', 'b').delete(cf, 'gone').deleteRange(cf, 'r', 'r3').putRaw(cf, 'raw', raw)
    })
    expect(batch.count).toBe(6 * families.length)
    expect(families[3].get('k')).toBeUndefined() // nothing before the write
    db.write(batch)
    families.forEach((cf, i) => {
      expect(text(cf.get('k'))).toBe(`v${i}`)
      expect(text(cf.get('m'))).toBe('a,b')
      expect(cf.get('gone')).toBeUndefined()
      expect(cf.get('r1')).toBeUndefined()
      expect(cf.get('r2')).toBeUndefined()
      expect(text(cf.get('keep'))).toBe('x')
      expect(cf.get('raw', { raw: true })).toEqual(raw)
    })
    await db.close()
  })

  it('keeps the order of operations on one key', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    db.write(db.batch().put(cf, 'k', '1').delete(cf, 'k').put(cf, 'k', '2').merge(cf, 'k', '3').deleteRange(cf, 'a', 'b').put(cf, 'a1', 'after'))
    expect(text(cf.get('k'))).toBe('2,3')
    expect(text(cf.get('a1'))).toBe('after')
    await db.close()
  })

  it('keeps the order of operations on one key among many others (the native side sorts point operations by key)', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 'a' }, { name: 'b' }] })
    const [a, b] = [db.columnFamily('a'), db.columnFamily('b')]
    const batch = db.batch()
    for (let i = 999; i >= 0; i--) {
      const key = `k${i % 100}`
      const cf = i % 2 === 0 ? a : b
      if (i % 7 === 0) batch.delete(cf, key)
      else batch.merge(cf, key, String(i))
    }
    batch.put(a, 'k5', 'last').merge(a, 'k5', 'after')
    db.write(batch)
    const expected = new Map<string, string[]>()
    for (let i = 999; i >= 0; i--) {
      const id = `${i % 2 === 0 ? 'a' : 'b'}/k${i % 100}`
      expected.set(id, i % 7 === 0 ? [] : [...(expected.get(id) ?? []), String(i)])
    }
    expected.set('a/k5', ['last', 'after'])
    for (const [id, operands] of expected) {
      const [name, key] = id.split('/')
      expect(text(db.columnFamily(name).get(key)), id).toBe(operands.length === 0 ? undefined : operands.join(','))
    }
    await db.close()
  })

  it('writes an empty batch as a no-op, and empty keys and values', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const batch = db.batch()
    expect(batch.count).toBe(0)
    expect(batch.byteSize).toBe(0)
    db.write(batch)
    db.write(batch.put(cf, '', '').put(cf, 'e', Buffer.alloc(0)))
    expect(cf.get('')).toEqual(Buffer.alloc(0))
    expect(cf.get('e')).toEqual(Buffer.alloc(0))
    await db.close()
  })

  it('grows for huge keys and values', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const key = Buffer.alloc(3 << 20, 'k')
    const value = Buffer.alloc(5 << 20, 'v')
    const batch = db.batch().put(cf, 'small', 'x').put(cf, key, value)
    for (let i = 0; i < 10_000; i++) batch.put(cf, `n${i}`, `${i}`)
    expect(batch.byteSize).toBeGreaterThan(key.length + value.length)
    db.write(batch)
    expect(cf.get(key)?.equals(value)).toBe(true)
    expect(text(cf.get('small'))).toBe('x')
    expect(text(cf.get('n9999'))).toBe('9999')
    await db.close()
  })

  it('is reused after write and after clear', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const batch = db.batch().put(cf, 'a', '1')
    db.write(batch)
    db.write(batch.put(cf, 'b', '2')) // not cleared: 'a' is written again with 'b'
    expect(batch.count).toBe(2)
    cf.delete('a')
    batch.clear()
    expect([batch.count, batch.byteSize]).toEqual([0, 0])
    db.write(batch.put(cf, 'c', '3'))
    expect([text(cf.get('a')), text(cf.get('b')), text(cf.get('c'))]).toEqual([undefined, '2', '3'])
    await db.close()
  })

  it('stamps values with the time of the write', async () => {
    const clock = new ManualClock(1_000_000)
    const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 't', ttlSeconds: 100 }] })
    const cf = db.columnFamily('t')
    const batch = db.batch().put(cf, 'k', 'v')
    clock.advance(50)
    db.write(batch)
    expect(cf.get('k', { raw: true })?.readInt32LE(1)).toBe(1_000_050)
    await db.close()
  })

  it('refuses a column family dropped before it was added, or after', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 'kept' }, { name: 'dropped' }, { name: 'later' }] })
    const kept = db.columnFamily('kept')
    const dropped = db.columnFamily('dropped')
    const later = db.columnFamily('later')
    await db.dropColumnFamily(dropped)
    const batch = db.batch().put(kept, 'k', 'v')
    for (const add of [() => batch.put(dropped, 'k', 'v'), () => batch.merge(dropped, 'k', 'v'), () => batch.delete(dropped, 'k'), () => batch.deleteRange(dropped, 'a', 'b')]) {
      expect(add).toThrow(ColumnFamilyNotFoundError)
    }
    expect(batch.count).toBe(1)
    batch.put(later, 'k', 'v')
    await db.dropColumnFamily(later)
    expect(() => db.write(batch)).toThrow(ColumnFamilyNotFoundError)
    expect(kept.get('k')).toBeUndefined() // all or nothing
    await db.close()
  })

  it('refuses wrong arguments when they are added, and a column family of another database', async () => {
    const one = await RocksDB.open(tempDir())
    const two = await RocksDB.open(tempDir())
    const batch = one.batch()
    expect(() => batch.put({ id: 0 } as never, 'k', 'v')).toThrow(TypeError)
    expect(() => batch.put(one.columnFamily(), 5 as never, 'v')).toThrow(TypeError)
    expect(() => batch.put(one.columnFamily(), 'k', null as never)).toThrow(TypeError)
    expect(() => batch.put(two.columnFamily(), 'k', 'v')).toThrow(RocksDBError)
    expect(() => batch.putRaw(one.columnFamily(), 'k', Buffer.alloc(3))).toThrow(RocksDBError)
    expect(() => batch.deleteRange(one.columnFamily(), 'b', 'a')).toThrow(RangeError)
    expect(batch.count).toBe(0)
    expect(() => one.write({} as never)).toThrow(TypeError)
    // What postMessage hands another thread: plain data, not a batch.
    expect(() => one.write(structuredClone(one.batch().put(one.columnFamily(), 'k', 'v')))).toThrow(TypeError)
    expect(one.columnFamily().get('k')).toBeUndefined()
    await Promise.all([one.close(), two.close()])
  })

  it('refuses a write whose expiry would pass 2038 when it is added', async () => {
    const clock = new ManualClock(2 ** 31 - 1 - 100)
    const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 't', ttlSeconds: 50 }] })
    const cf = db.columnFamily('t')
    const raw = Buffer.alloc(8)
    raw.writeInt32LE(2 ** 31 - 1 - 10, 4)
    const batch = db.batch().put(cf, 'fits', 'v')
    expect(() => batch.putRaw(cf, 'late', raw)).toThrow(TimestampOverflowError)
    clock.advance(60)
    expect(() => db.batch().put(cf, 'late', 'v')).toThrow(TimestampOverflowError)
    expect(() => db.write(batch)).toThrow(TimestampOverflowError) // stamped at the write: checked again
    expect(cf.get('fits')).toBeUndefined()
    await db.close()
  })

  it('throws ClosedError after the database closed with a pending batch, which wrote nothing', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    const cf = db.columnFamily()
    const batch = db.batch().put(cf, 'pending', 'v')
    const closed = db.close()
    for (const call of [() => batch.put(cf, 'k', 'v'), () => batch.count, () => batch.clear(), () => db.write(batch), () => db.batch()]) {
      expect(call).toThrow(ClosedError)
    }
    await closed
    batch.close()
    expect(() => batch.count).toThrow(ClosedError)
    const reopened = await RocksDB.open(dir)
    expect(reopened.columnFamily().get('pending')).toBeUndefined()
    await reopened.close()
  })
})

describe('native write batch decoding', () => {
  it('refuses malformed encodings with a typed error, writing nothing', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const good = encodeOp(BATCH_OP.put, cf.id, 'k', 'v')
    const bad = [
      good.subarray(0, good.length - 1), // truncated value
      Buffer.concat([good, Buffer.from([BATCH_OP.put, 0, 0])]), // truncated header
      encodeOp(9, cf.id, 'k', 'v'), // unknown operation
      Buffer.concat([good, encodeOp(BATCH_OP.putRaw, cf.id, 'r', 'abc')]), // raw value without its timestamp
    ]
    for (const encoded of bad) expect(() => cf.db.write(encoded)).toThrow(RocksDBError)
    expect(() => cf.db.write(encodeOp(BATCH_OP.put, 77, 'k', 'v'))).toThrow(ColumnFamilyNotFoundError)
    expect(() => cf.db.write('x' as never)).toThrow(TypeError)
    expect(cf.get('k')).toBeUndefined()
    cf.db.write(good)
    expect(text(cf.get('k'))).toBe('v')
    await db.close()
  })
})
