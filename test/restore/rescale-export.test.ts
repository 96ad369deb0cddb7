import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RocksDB, RocksDBError } from '../../lib'
import { EntryBatch } from '../../lib/native/entry-batch'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

describe('SST export of an iterator batch (rescaling)', () => {
  it('putBatchRaw writes the same file as putRaw entry by entry; a malformed batch is an InvalidArgument error', async () => {
    const db = await RocksDB.open(tempDir())
    try {
      const cf = await db.createColumnFamily('s', { ttlSeconds: 100 })
      for (let i = 0; i < 500; i++) cf.put(`key-${String(i).padStart(4, '0')}`, `value-${i}`)
      const iterator = cf.iterator({ raw: true })
      const batch = await iterator.nextBatchAsync(1000, 1 << 20)
      iterator.close()
      const dir = path.dirname(tempDir('files'))
      const whole = db.sstWriter(cf, path.join(dir, 'whole.sst'))
      whole.putBatchRaw(batch)
      const single = db.sstWriter(cf, path.join(dir, 'single.sst'))
      batch.forEach((key, value) => single.putRaw(key, value))
      const [a, b] = [await whole.finish(), await single.finish()]
      expect({ ...a, path: '' }).toEqual({ ...b, path: '' })
      expect(a.entries).toBe(500)
      const truncated = new EntryBatch(batch.buffer.subarray(0, batch.buffer.length - 3))
      const writer = db.sstWriter(cf, path.join(dir, 'bad.sst'))
      try {
        expect(() => writer.putBatchRaw(truncated)).toThrow(RocksDBError)
        expect(() => writer.putBatchRaw(truncated)).toThrow(/truncated entry batch/)
      } finally {
        writer.close()
      }
    } finally {
      await db.close()
    }
  })
})
