// get() returns small values as views of a shared 8 KiB chunk the native side copies them
// into (native/read_pool.h), larger ones as Buffers of their own.
import { MessageChannel } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const CHUNK = 8192

function valueOf(i: number): Buffer {
  return Buffer.alloc(i % 301, i % 251)
}

describe('values returned by get', () => {
  it('stay intact across many chunks, and after the database closed', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const count = 5000 // about 90 chunks
    for (let i = 0; i < count; i++) cf.put(`k${i}`, valueOf(i))
    const read = Array.from({ length: count }, (_, i) => cf.get(`k${i}`)!)
    const again = cf.getFresh('k7')!
    await db.close()
    for (let i = 0; i < count; i++) expect(read[i].equals(valueOf(i))).toBe(true)
    expect(again.equals(valueOf(7))).toBe(true)
    expect(read[1].buffer).toBe(read[2].buffer) // small values share a chunk
  })

  it('hands out values up to half a chunk from the pool and larger ones on their own', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const sizes = [0, 1, CHUNK / 2 - 1, CHUNK / 2, CHUNK / 2 + 1, CHUNK, 1 << 20]
    sizes.forEach((size, i) => cf.put(`s${size}`, Buffer.alloc(size, i + 1)))
    for (let round = 0; round < 3; round++) {
      sizes.forEach((size, i) => {
        const value = cf.get(`s${size}`)!
        expect(value.equals(Buffer.alloc(size, i + 1))).toBe(true)
        if (size > CHUNK / 2) expect(value.buffer.byteLength).toBeGreaterThanOrEqual(size)
        else expect(value.buffer.byteLength).toBe(CHUNK)
      })
    }
    const raw = cf.get(`s${CHUNK / 2}`, { raw: true })! // raw: 4 bytes more, past the pooled limit
    expect(raw.length).toBe(CHUNK / 2 + 4)
    await db.close()
  })

  it('are not changed by later reads when one is posted to another thread with its buffer in the transfer list', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    cf.put('a', 'first')
    cf.put('b', 'second')
    const first = cf.get('a')!
    const { port1, port2 } = new MessageChannel()
    const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve))
    // The chunk is untransferable, as Node's Buffer pool is: Node 20 copies it, later versions
    // refuse it with a DataCloneError. Either way it stays whole.
    try {
      port1.postMessage(first, [first.buffer as ArrayBuffer])
      expect(Buffer.from(await received).toString()).toBe('first')
    } catch (error) {
      expect((error as Error).name).toBe('DataCloneError')
    }
    expect(first.toString()).toBe('first')
    for (let i = 0; i < 2000; i++) expect(cf.get('b')?.toString()).toBe('second')
    port1.close()
    await db.close()
  })
})

describe('values returned by getMany', () => {
  it('come as views of one Buffer, missing keys as undefined, in key order', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const count = 300
    for (let i = 0; i < count; i += 2) cf.put(`k${i}`, valueOf(i))
    const keys = Array.from({ length: count }, (_, i) => `k${i}`)
    const values = cf.getMany(keys)
    const raw = cf.getMany(keys, { raw: true })
    await db.close()
    expect(values).toHaveLength(count)
    for (let i = 0; i < count; i++) {
      if (i % 2 === 1) expect(values[i]).toBeUndefined()
      else expect(values[i]!.equals(valueOf(i))).toBe(true)
      if (i % 2 === 0) expect(raw[i]!.subarray(0, -4).equals(valueOf(i))).toBe(true)
    }
  })
})
