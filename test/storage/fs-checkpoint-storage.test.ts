import { randomBytes } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError } from '../../lib/errors'
import { FsCheckpointStorage } from '../../lib/storage/fs-checkpoint-storage'
import { useTempDirs } from '../helpers/temp-dir'
import { filesUnder, sha256 } from './helpers'

const tempDir = useTempDirs()

function setup(name = 'checkpoints') {
  const root = tempDir(name)
  const work = path.join(path.dirname(root), 'work')
  mkdirSync(work)
  return { root, work, storage: new FsCheckpointStorage(root) }
}

/** A file of `size` random bytes, written in 1 MiB pieces. */
function randomFile(file: string, size: number): Buffer {
  const bytes = randomBytes(size)
  writeFileSync(file, bytes)
  return bytes
}

describe('FsCheckpointStorage: files', () => {
  it('stores each key as a read-only file at that path under the root, which localPath gives', async () => {
    const { root, work, storage } = setup()
    randomFile(path.join(work, 'big'), 100_000)
    const ref = await storage.uploadFile(path.join(work, 'big'), 'shared/b1/000012.sst')
    expect(await storage.localPath(ref)).toBe(path.join(root, 'shared/b1/000012.sst'))
    // Stored files are read-only: nothing may change them in place.
    expect(statSync(path.join(root, 'shared/b1/000012.sst')).mode & 0o777).toBe(0o444)
  })

  it('refuses invalid options', () => {
    expect(() => new FsCheckpointStorage(tempDir(), { concurrency: 0 })).toThrow(RangeError)
    expect(() => new FsCheckpointStorage(tempDir(), { retain: 0 })).toThrow(RangeError)
  })
})

describe('FsCheckpointStorage: hard links', () => {
  it('links instead of copying when asked, on the same filesystem', async () => {
    const { root, work, storage } = setup()
    const ref = await storage.writeFile('shared/b/1.sst', randomBytes(10_000))
    await storage.downloadFile(ref, path.join(work, 'linked.sst'), { link: true })
    await storage.downloadFile(ref, path.join(work, 'copied.sst'))
    const stored = statSync(path.join(root, 'shared/b/1.sst'))
    expect(statSync(path.join(work, 'linked.sst')).ino).toBe(stored.ino)
    expect(statSync(path.join(work, 'copied.sst')).ino).not.toBe(stored.ino)
    expect(stored.nlink).toBe(2)
    expect(filesUnder(work)).toEqual(['copied.sst', 'linked.sst'])
  })

  const shm = '/dev/shm'
  it.skipIf(!existsSync(shm) || statSync(shm).dev === statSync(tmpdir()).dev)('copies when the destination is on another filesystem', async () => {
    const root = mkdtempSync(path.join(shm, 'rks-test-'))
    try {
      const storage = new FsCheckpointStorage(root)
      const bytes = randomBytes(10_000)
      const ref = await storage.writeFile('shared/b/1.sst', bytes)
      const target = path.join(path.dirname(tempDir()), 'linked.sst')
      await storage.downloadFile(ref, target, { link: true })
      expect(readFileSync(target).equals(bytes)).toBe(true)
      expect(statSync(target).ino).not.toBe(statSync(path.join(root, 'shared/b/1.sst')).ino)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('FsCheckpointStorage: paths escaping the root', () => {
  it('refuses a symlink inside the root that points outside it', async () => {
    const { root, work, storage } = setup()
    await storage.writeFile('shared/b/real.sst', Buffer.from('inside'))
    const secret = Buffer.from('secret')
    writeFileSync(path.join(work, 'secret'), secret)
    symlinkSync(path.join(work, 'secret'), path.join(root, 'shared/b/evil.sst'))
    const ref = { key: 'shared/b/evil.sst', size: secret.length, sha256: sha256(secret) }
    await expect(storage.readFile(ref)).rejects.toThrow(/outside the storage root/)
    await expect(storage.readFile(ref)).rejects.toThrow(CorruptCheckpointError)
    await expect(storage.downloadFile(ref, path.join(work, 'copy'), { link: true })).rejects.toThrow(/outside the storage root/)
    await expect(storage.localPath(ref)).rejects.toThrow(/outside the storage root/)
    await expect(storage.stat('shared/b/evil.sst')).rejects.toThrow(/outside the storage root/)
    expect(await storage.list('')).toEqual(['shared/b/real.sst']) // list never follows symlinks
    expect(existsSync(path.join(work, 'copy'))).toBe(false)
  })

  it('refuses to write or delete through a symlinked directory that leads outside, creating nothing there', async () => {
    const { root, work, storage } = setup()
    mkdirSync(root)
    mkdirSync(path.join(work, 'elsewhere'))
    writeFileSync(path.join(work, 'elsewhere', 'victim'), 'keep me')
    symlinkSync(path.join(work, 'elsewhere'), path.join(root, 'chk-1'))
    await expect(storage.writeFile('chk-1/b/stream', Buffer.from('x'))).rejects.toThrow(/outside the storage root/)
    await expect(storage.writeFile('chk-1/victim', Buffer.from('x'))).rejects.toThrow(/outside the storage root/)
    await expect(storage.deleteFile('chk-1/victim')).rejects.toThrow(/outside the storage root/)
    expect(filesUnder(path.join(work, 'elsewhere'))).toEqual(['victim'])
    expect(readFileSync(path.join(work, 'elsewhere', 'victim'), 'utf8')).toBe('keep me')
  })

  it('follows symlinks that stay inside the root, and a root that is itself a symlink', async () => {
    const { root, work } = setup()
    mkdirSync(root)
    const alias = path.join(work, 'alias')
    symlinkSync(root, alias)
    const storage = new FsCheckpointStorage(alias)
    const ref = await storage.writeFile('shared/b/1.sst', Buffer.from('data'))
    symlinkSync(path.join(root, 'shared/b/1.sst'), path.join(root, 'shared/b/same.sst'))
    expect((await storage.readFile({ ...ref, key: 'shared/b/same.sst' })).toString()).toBe('data')
    expect(readFileSync(path.join(root, 'shared/b/1.sst'), 'utf8')).toBe('data')
  })
})

describe('FsCheckpointStorage: crashes and cancellation', () => {
  it('a temporary file left by a crash is no key, and collectGarbage removes it once stale', async () => {
    const { root, storage } = setup()
    await storage.writeFile('shared/b/1.sst', Buffer.from('x'))
    const stale = path.join(root, 'shared/b/.tmp-00112233aabbccdd')
    const fresh = path.join(root, 'shared/b/.tmp-ffeeddccbbaa9988')
    writeFileSync(stale, 'half a file')
    writeFileSync(fresh, 'a write in progress')
    const anHourAgo = new Date(Date.now() - 2 * 60 * 60 * 1000)
    utimesSync(stale, anHourAgo, anHourAgo)

    expect(await storage.list('')).toEqual(['shared/b/1.sst'])
    await expect(storage.stat('shared/b/.tmp-00112233aabbccdd')).rejects.toThrow(RangeError)
    await storage.collectGarbage()
    expect(filesUnder(root)).toEqual(['shared/b/.tmp-ffeeddccbbaa9988', 'shared/b/1.sst'])
    await storage.collectGarbage({ olderThanMs: -1000 })
    expect(filesUnder(root)).toEqual(['shared/b/1.sst'])
  })

  it('collectGarbage removes stale empty directories, never the root or a directory with files', async () => {
    const { root, storage } = setup()
    await storage.writeFile('chk-1/b/stream', Buffer.from('x'))
    await storage.writeFile('shared/b/1.sst', Buffer.from('x'))
    await storage.deleteFile('chk-1/b/stream')
    await storage.collectGarbage()
    expect(existsSync(path.join(root, 'chk-1/b'))).toBe(true) // touched just now
    await storage.collectGarbage({ olderThanMs: -1000 })
    expect(existsSync(path.join(root, 'chk-1'))).toBe(false)
    expect(existsSync(path.join(root, 'shared/b/1.sst'))).toBe(true)
    await storage.deleteFile('shared/b/1.sst')
    await storage.collectGarbage({ olderThanMs: -1000 })
    expect(existsSync(root)).toBe(true)
    expect(filesUnder(root)).toEqual([])
  })

  it('an abort during a download leaves no destination file', async () => {
    const { work, storage } = setup()
    randomFile(path.join(work, 'big'), 4 * 1024 * 1024)
    const ref = await storage.uploadFile(path.join(work, 'big'), 'shared/b/1.sst')
    const copying = new AbortController()
    const copy = storage.downloadFile(ref, path.join(work, 'db/1.sst'), { signal: copying.signal, onProgress: () => copying.abort() })
    await expect(copy).rejects.toMatchObject({ name: 'AbortError' })
    // Aborted once started: the link is made, then its verification stops.
    const linking = new AbortController()
    const linked = storage.downloadFile(ref, path.join(work, 'db/1.sst'), { signal: linking.signal, link: true })
    linking.abort()
    await expect(linked).rejects.toMatchObject({ name: 'AbortError' })
    expect(filesUnder(path.join(work, 'db'))).toEqual([])
    expect(statSync(path.join(path.dirname(work), 'checkpoints/shared/b/1.sst')).nlink).toBe(1)
  })
})

describe('FsCheckpointStorage: adoptFile', () => {
  it('moves a finished file into place with the digest its writer computed', async () => {
    const { storage, work } = setup()
    const local = path.join(work, 'stream')
    const bytes = randomFile(local, 300_000)
    const ref = await storage.adoptFile(local, 'chk-1/backend/stream', { size: bytes.length, sha256: sha256(bytes) })
    expect(ref).toEqual({ key: 'chk-1/backend/stream', size: bytes.length, sha256: sha256(bytes) })
    expect(existsSync(local)).toBe(false)
    const back = path.join(work, 'back')
    await storage.downloadFile(ref, back)
    expect(readFileSync(back).equals(bytes)).toBe(true)
    // A wrong digest is caught when the file is read.
    const other = path.join(work, 'other')
    randomFile(other, 1000)
    const lying = await storage.adoptFile(other, 'chk-1/backend/other', { size: 1000, sha256: sha256(bytes) })
    await expect(storage.readFile(lying)).rejects.toBeInstanceOf(CorruptCheckpointError)
    // A key escaping the root is refused for what it is, and the file to adopt stays where it was.
    const escaping = path.join(work, 'escaping')
    randomFile(escaping, 10)
    const refused = await storage.adoptFile(escaping, '../escape', { size: 10, sha256: sha256(readFileSync(escaping)) }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(RangeError)
    expect((refused as RangeError).message).toBe(`invalid storage key "../escape": a key's segments must not start with '.' (got '..')`)
    expect(existsSync(escaping)).toBe(true)
    expect(existsSync(path.join(path.dirname(work), 'escape'))).toBe(false)
  })
})
