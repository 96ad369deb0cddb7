// Issue 8, "Data loss": once RocksDB is in its background-error state (here: a flush fails
// because the directory is gone), every later call must say so with a typed error naming
// the original cause, and close() must reject when its final flush fails instead of
// reporting success for data that was not written.
import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BackgroundError, RocksDB } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()

describe('background-error state', () => {
  for (const wal of [false, true]) {
    it(`regression: later calls gave unrelated errors and close() resolved after a failed flush (wal: ${wal})`, async () => {
      const dir = tempDir()
      const db = await RocksDB.open(dir, { wal })
      const cf = db.columnFamily()
      for (let i = 0; i < 100; i++) cf.put(`key-${i}`, 'v')
      rmSync(dir, { recursive: true, force: true })
      const flushed = db.flush()
      await expect(flushed).rejects.toThrow(BackgroundError)
      await expect(flushed).rejects.toThrow(/No such file or directory/) // the original cause
      expect(() => cf.put('later', 'v')).toThrow(BackgroundError)
      expect(() => cf.delete('key-1')).toThrow(BackgroundError)
      await expect(db.checkpoint(`${dir}-cp`)).rejects.toThrow(BackgroundError)
      expect(cf.get('key-1')?.toString()).toBe('v') // reads still see the acknowledged data
      const closed = db.close()
      await expect(closed).rejects.toThrow(BackgroundError)
      await expect(closed).rejects.toMatchObject({ code: 'BackgroundError' })
    })
  }

  it('close() of a healthy database still resolves, with the WAL off (flushed) or on', async () => {
    for (const wal of [false, true]) {
      const dir = tempDir()
      const db = await RocksDB.open(dir, { wal })
      db.columnFamily().put('k', 'v')
      await db.close()
      const reopened = await RocksDB.open(dir)
      expect(reopened.columnFamily().get('k')?.toString()).toBe('v')
      await reopened.close()
    }
  })
})
