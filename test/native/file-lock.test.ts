// native/file_lock.h: the OS lock under the instance lock (lib/storage/instance-lock.ts).
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { LockedError, RocksDBError } from '../../lib'
import { binding } from '../../lib/native/binding'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

describe('FileLock', () => {
  it('refuses a second lock of the file in this process with LockedError until released; release twice is harmless', () => {
    const dir = tempDir()
    mkdirSync(dir)
    const file = path.join(dir, 'LOCKED')
    const lock = new binding.FileLock(file)
    expect(() => new binding.FileLock(file)).toThrow(LockedError)
    lock.release()
    lock.release()
    new binding.FileLock(file).release()
  })

  it('a file it cannot create is a RocksDBError (IOError), not a LockedError', () => {
    const error = (() => {
      try {
        new binding.FileLock(path.join(tempDir(), 'missing', 'LOCKED'))
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(RocksDBError)
    expect(error).not.toBeInstanceOf(LockedError)
    expect((error as RocksDBError).code).toBe('IOError')
  })
})
