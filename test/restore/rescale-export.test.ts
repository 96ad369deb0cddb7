import { mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RocksDB, RocksDBError } from '../../lib'
import { EntryBatch } from '../../lib/native/entry-batch'
import type { RestoreTarget } from '../../lib/restore/full-restore'
import { exportAndIngest } from '../../lib/restore/rescale-export'
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

  /** A source of 12k 1 KiB entries (three 4 MiB read batches and more) and an empty target, both with column family 's'. */
  async function exportCase() {
    const source = await RocksDB.open(tempDir())
    const db = await RocksDB.open(tempDir())
    const from = await source.createColumnFamily('s')
    const cf = await db.createColumnFamily('s')
    const value = Buffer.alloc(1024, 7)
    for (let i = 0; i < 12_000; i++) from.put(`key-${String(i).padStart(6, '0')}`, value)
    const workDirectory = tempDir('work')
    mkdirSync(workDirectory, { recursive: true })
    const target = { db, workDirectory } as RestoreTarget
    const close = async () => {
      await source.close()
      await db.close()
    }
    return { from, cf, target, workDirectory, close }
  }

  it('exportAndIngest brings every entry over, in order, while it reads the next batch ahead', async () => {
    const { from, cf, target, workDirectory, close } = await exportCase()
    try {
      const iterator = from.iterator({ raw: true })
      const progress = { entries: 0, keyGroups: 0 }
      try {
        await exportAndIngest(target, cf, iterator, progress)
      } finally {
        iterator.close()
      }
      expect(progress.entries).toBe(12_000)
      expect([...cf.iterator({ raw: true })].map(([key]) => key.toString())).toEqual([...from.iterator({ raw: true })].map(([key]) => key.toString()))
      expect(readdirSync(workDirectory)).toEqual([])
    } finally {
      await close()
    }
  })

  it('exportAndIngest aborted while a batch is read ahead: nothing ingested, its files removed, the iterator closes', async () => {
    const { from, cf, target, workDirectory, close } = await exportCase()
    try {
      const controller = new AbortController()
      const iterator = from.iterator({ raw: true })
      const read = iterator.nextBatchAsync.bind(iterator)
      let reads = 0
      iterator.nextBatchAsync = (...args) => {
        if (++reads === 2) controller.abort(new Error('stop'))
        return read(...args)
      }
      try {
        await expect(exportAndIngest(target, cf, iterator, { entries: 0, keyGroups: 0 }, controller.signal)).rejects.toThrow('stop')
      } finally {
        iterator.close()
      }
      expect(reads).toBe(2)
      expect([...cf.iterator()]).toEqual([])
      expect(readdirSync(workDirectory)).toEqual([])
    } finally {
      await close()
    }
  })
})
