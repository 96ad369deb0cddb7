// Issue 8, "Data loss": once RocksDB is in its background-error state (here: a flush fails
// because the directory is gone), every later call must say so with a typed error naming
// the original cause, and close() must reject when its final flush fails instead of
// reporting success for data that was not written. The failure runs in a child process.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { RocksDB } from '../../../lib'
import { runScript } from '../../helpers/run-script'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()

describe('background-error state', () => {
  for (const wal of [false, true]) {
    it(`regression: later calls gave unrelated errors and close() resolved after a failed flush (wal: ${wal})`, () => {
      const result = runScript(path.join(__dirname, 'scripts', 'background-error.ts'), [tempDir(), wal ? 'wal' : 'no-wal'])
      expect(result.stderr).toBe('')
      expect(result.signal).toBeNull()
      expect(result.status).toBe(0)
      const outcomes = JSON.parse(result.stdout) as Record<string, unknown>
      const backgroundError = {
        error: 'BackgroundError',
        code: 'BackgroundError',
        // The original cause: the file RocksDB could not create.
        message: expect.stringMatching(/background error \((flush|write): IO error: .*No such file or directory/),
      }
      expect(outcomes).toEqual({
        flush: backgroundError,
        put: backgroundError,
        delete: backgroundError,
        checkpoint: backgroundError,
        get: 'v', // reads still see the acknowledged data
        close: backgroundError, // rejects: never success for data that was not written
      })
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
