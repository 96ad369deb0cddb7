// Issue 9: a misspelt or unsupported option of a checkpoint storage (constructor, openCheckpointStorage,
// per-call transfer options, collectGarbage) is refused with a typed error naming it, before the
// storage is touched: no file written, none removed, no request sent.
import { existsSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FsCheckpointStorage, openCheckpointStorage, S3CheckpointStorage, type CheckpointStorage } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

/** An S3 storage whose every request would fail (nothing listens on port 1): only a check made before any request can answer. */
function unreachableS3(): S3CheckpointStorage {
  return new S3CheckpointStorage({ bucket: 'b', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 's' }, retry: { maxAttempts: 1 } })
}

describe('checkpoint storage constructor options (issue 9)', () => {
  it('regression: FsCheckpointStorage with a misspelt option (retian) is a TypeError', () => {
    const root = tempDir('storage')
    expect(() => new FsCheckpointStorage(root, { retian: 1 } as never)).toThrow(/unknown option 'retian'/)
    expect(existsSync(root)).toBe(false)
  })

  it.each([
    [{ retian: 1 }, /unknown option 'retian'/],
    [{ retry: { maxAttempt: 3 } }, /unknown option 'retry.maxAttempt'/],
    [{ timeouts: { connectMS: 5 } }, /unknown option 'timeouts.connectMS'/],
    [{ forcePathStyle: 'yes' }, /forcePathStyle' must be a boolean/],
    [{ serverChecksums: 0 }, /serverChecksums' must be a boolean/],
    [{ endpoint: 80 }, /endpoint' must be a string/],
    [{ region: {} }, /region' must be a string/],
  ])('regression: S3CheckpointStorage with %j is a TypeError', (options, message) => {
    expect(() => new S3CheckpointStorage({ bucket: 'b', ...options } as never)).toThrow(TypeError)
    expect(() => new S3CheckpointStorage({ bucket: 'b', ...options } as never)).toThrow(message)
  })

  it("regression: openCheckpointStorage names a misspelt option (retian) as unknown, not as an s3:// URL's", () => {
    const root = tempDir('storage')
    expect(() => openCheckpointStorage(root, { retian: 1 } as never)).toThrow(TypeError)
    expect(() => openCheckpointStorage(root, { retian: 1 } as never)).toThrow(/unknown option 'retian'/)
    expect(() => openCheckpointStorage('s3://bucket', { retian: 1 } as never)).toThrow(/unknown option 'retian'/)
    // A known S3 option on a directory stays the RangeError it was.
    expect(() => openCheckpointStorage(root, { region: 'eu-west-1' })).toThrow(/apply to s3:\/\/ URLs only/)
  })
})

describe('collectGarbage options (issue 9)', () => {
  it('regression: a misspelt option (unreferencedOlderThan) is a TypeError and removes nothing', async () => {
    const root = tempDir('storage')
    const storage = new FsCheckpointStorage(root)
    await storage.writeFile('chk-1/b/f', Buffer.from('x'))
    // A stale temporary file of an interrupted write: what a sweep with olderThanMs: 0 removes.
    const stale = path.join(root, 'chk-1', 'b', '.tmp-interrupted')
    writeFileSync(stale, 'partial')
    utimesSync(stale, new Date(0), new Date(0))
    await expect(storage.collectGarbage({ olderThanMs: 0, unreferencedOlderThan: 0 } as never)).rejects.toThrow(/unknown option 'unreferencedOlderThan'/)
    expect(existsSync(stale)).toBe(true)
    expect(await storage.list('')).toEqual(['chk-1/b/f'])
  })

  it('regression: an age that is not a number is a TypeError', async () => {
    const storage = new FsCheckpointStorage(tempDir('storage'))
    await expect(storage.collectGarbage({ unreferencedOlderThanMs: '1h' } as never)).rejects.toThrow(TypeError)
  })

  it('regression: S3CheckpointStorage refuses a misspelt option before any request', async () => {
    await expect(unreachableS3().collectGarbage({ unreferencedOlderThan: 0 } as never)).rejects.toThrow(/unknown option 'unreferencedOlderThan'/)
  })
})

describe('transfer options (issue 9)', () => {
  /** A storage with one stored file, and a local file to upload. */
  async function fsStorage() {
    const root = tempDir('storage')
    const storage = new FsCheckpointStorage(root)
    const ref = await storage.writeFile('chk-1/b/stored', Buffer.from('stored'))
    const local = path.join(path.dirname(root), 'local')
    writeFileSync(local, 'local')
    return { storage, ref, local, target: path.join(path.dirname(root), 'downloads', 'copy') }
  }

  const misspelt = { onProgres: () => undefined } as never
  const CALLS: [string, (s: CheckpointStorage, f: Awaited<ReturnType<typeof fsStorage>>) => Promise<unknown>][] = [
    ['uploadFile', (storage, { local }) => storage.uploadFile(local, 'chk-1/b/new', misspelt)],
    ['uploadFiles', (storage, { local }) => storage.uploadFiles([{ localPath: local, key: 'chk-1/b/new' }], misspelt)],
    ['adoptFile', (storage, { local }) => storage.adoptFile!(local, 'chk-1/b/new', { size: 5, sha256: '0'.repeat(64) }, misspelt)],
    ['writeFile', (storage) => storage.writeFile('chk-1/b/new', Buffer.from('x'), misspelt)],
    ['downloadFile', (storage, { ref, target }) => storage.downloadFile(ref, target, { lnk: true } as never)],
    ['downloadFiles', (storage, { ref, target }) => storage.downloadFiles([{ ref, localPath: target }], { lnk: true } as never)],
    ['readFile', (storage, { ref }) => storage.readFile(ref, misspelt)],
    ['localPath', (storage, { ref }) => storage.localPath!(ref, misspelt)],
  ]

  it.each(CALLS)('regression: FsCheckpointStorage.%s with a misspelt option is a TypeError and writes nothing', async (_, call) => {
    const files = await fsStorage()
    await expect(call(files.storage, files)).rejects.toThrow(TypeError)
    await expect(call(files.storage, files)).rejects.toThrow(/unknown option '(onProgres|lnk)'/)
    expect(await files.storage.list('')).toEqual(['chk-1/b/stored'])
    expect(existsSync(files.target)).toBe(false)
    expect(existsSync(files.local)).toBe(true)
  })

  it.each(CALLS.filter(([name]) => name !== 'adoptFile' && name !== 'localPath'))(
    'regression: S3CheckpointStorage.%s with a misspelt option is a TypeError before any request',
    async (_, call) => {
      const files = await fsStorage()
      await expect(call(unreachableS3(), files)).rejects.toThrow(/unknown option '(onProgres|lnk)'/)
      expect(existsSync(files.target)).toBe(false)
    },
  )

  it('regression: a signal that is not an AbortSignal is a TypeError', async () => {
    const files = await fsStorage()
    await expect(files.storage.writeFile('chk-1/b/new', Buffer.from('x'), { signal: true } as never)).rejects.toThrow(/'signal' must be an AbortSignal/)
    expect(await files.storage.list('')).toEqual(['chk-1/b/stored'])
  })
})

