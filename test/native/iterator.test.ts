import { describe, expect, it } from 'vitest'
import { OperationInProgressError, RocksDB, type Entry } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

const keysOf = (entries: Entry[]) => entries.map(([key]) => key.toString())

async function letters() {
  const db = await RocksDB.open(tempDir())
  const cf = db.columnFamily()
  for (const key of ['a', 'b', 'c', 'd', 'e']) cf.put(key, key.toUpperCase())
  return { db, cf }
}

describe('Iterator', () => {
  it('iterates every entry in key order with values', async () => {
    const { db, cf } = await letters()
    const it = cf.iterator()
    const entries = it.nextv(100)
    expect(entries.map(([k, v]) => `${k}=${v}`)).toEqual(['a=A', 'b=B', 'c=C', 'd=D', 'e=E'])
    expect(it.ended).toBe(true)
    expect(it.nextv()).toEqual([])
    it.close()
    await db.close()
  })

  it('honours gte/gt/lte/lt in both directions', async () => {
    const { db, cf } = await letters()
    const scan = (options: object) => keysOf([...cf.iterator(options)])
    expect(scan({ gte: 'b', lt: 'd' })).toEqual(['b', 'c'])
    expect(scan({ gt: 'b', lte: 'd' })).toEqual(['c', 'd'])
    expect(scan({ gt: 'b', lte: 'd', reverse: true })).toEqual(['d', 'c'])
    expect(scan({ gte: 'b', lt: 'd', reverse: true })).toEqual(['c', 'b'])
    expect(scan({ reverse: true })).toEqual(['e', 'd', 'c', 'b', 'a'])
    expect(scan({ gt: 'e' })).toEqual([])
    expect(scan({ gte: 'bb', lte: 'cc' })).toEqual(['c'])
    expect(scan({ gt: Buffer.from('a'), lt: Buffer.from('a\0') })).toEqual([])
    await db.close()
  })

  it('seeks within its bounds; a target outside them ends the iterator (abstract-level)', async () => {
    const { db, cf } = await letters()
    const forward = cf.iterator({ gte: 'b', lte: 'd' })
    forward.seek('c')
    expect(keysOf(forward.nextv())).toEqual(['c', 'd'])
    forward.seek('a') // before the lower bound
    expect(keysOf(forward.nextv())).toEqual([])
    expect(forward.ended).toBe(true)
    forward.seek('b')
    expect(keysOf(forward.nextv())).toEqual(['b', 'c', 'd'])
    forward.close()
    const backward = cf.iterator({ reverse: true, lt: 'e' })
    backward.seek('c')
    expect(keysOf(backward.nextv())).toEqual(['c', 'b', 'a'])
    backward.seek('z') // past the upper bound
    expect(keysOf(backward.nextv(2))).toEqual([])
    expect(backward.ended).toBe(true)
    backward.close()
    await db.close()
  })

  it('batches 100k entries by count and by bytes', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const total = 100_000
    const batch = db.batch()
    for (let i = 0; i < total; i++) {
      const key = Buffer.alloc(4)
      key.writeUInt32BE(i)
      batch.put(cf, key, `value-${i}`)
    }
    db.write(batch)
    const it = cf.iterator()
    let seen = 0
    let batches = 0
    while (!it.ended) {
      const entries = it.nextv(1000, 1 << 30)
      expect(entries.length).toBeLessThanOrEqual(1000)
      for (const [key, value] of entries) {
        expect(key.readUInt32BE(0)).toBe(seen)
        expect(value.toString()).toBe(`value-${seen}`)
        seen++
      }
      batches++
    }
    expect(seen).toBe(total)
    expect(batches).toBe(total / 1000 + 1)
    const byBytes = cf.iterator().nextv(1_000_000, 1000)
    expect(byBytes.length).toBeGreaterThan(0)
    expect(byBytes.length).toBeLessThan(100) // stops once about 1000 bytes are packed
    await db.close()
  })

  it('iterates asynchronously and refuses sync use meanwhile', async () => {
    const { db, cf } = await letters()
    const it = cf.iterator()
    const pending = it.nextvAsync(2)
    expect(() => it.nextv()).toThrow(OperationInProgressError)
    expect(keysOf(await pending)).toEqual(['a', 'b'])
    const seen: string[] = []
    for await (const [key] of cf.iterator()) seen.push(key.toString())
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e'])
    it.close()
    await db.close()
  })

  it('closing during an async nextv releases the iterator when it returns', async () => {
    const { db, cf } = await letters()
    const it = cf.iterator()
    const pending = it.nextvAsync(10)
    it.close()
    expect(keysOf(await pending)).toHaveLength(5)
    expect(() => it.nextv()).toThrow(/closed/)
    await db.close()
  })

  it('for...of closes the iterator when the loop breaks', async () => {
    const { db, cf } = await letters()
    const it = cf.iterator()
    for (const [key] of it) if (key.toString() === 'b') break
    expect(() => it.nextv()).toThrow(/closed/)
    await db.close()
  })

  it('packs entries into one buffer per batch', async () => {
    const { db, cf } = await letters()
    const batch = cf.iterator().nextBatch(3)
    expect(batch.count).toBe(3)
    expect(batch.ended).toBe(false)
    const seen: string[] = []
    batch.forEach((key, value) => seen.push(`${key}${value}`))
    expect(seen).toEqual(['aA', 'bB', 'cC'])
    await db.close()
  })

  it('forEachKey and forEachValue visit what forEach does, one side each, as Buffers (raw values too)', async () => {
    const { db, cf } = await letters()
    cf.put('f', Buffer.alloc(0))
    for (const raw of [false, true]) {
      const batch = cf.iterator({ raw }).nextBatch(100)
      const both: [Buffer, Buffer][] = []
      batch.forEach((key, value) => both.push([key, value]))
      const keys: Buffer[] = []
      const values: Buffer[] = []
      batch.forEachKey((key) => keys.push(key))
      batch.forEachValue((value) => values.push(value))
      expect(keys).toEqual(both.map(([key]) => key))
      expect(values).toEqual(both.map(([, value]) => value))
      expect(values.at(-1)!.length).toBe(raw ? 4 : 0)
      for (const view of [...keys, ...values]) expect(Object.getPrototypeOf(view)).toBe(Buffer.prototype)
    }
    const empty = cf.iterator({ gt: 'z' }).nextBatch()
    empty.forEachKey(() => expect.unreachable())
    empty.forEachValue(() => expect.unreachable())
    await db.close()
  })
})
