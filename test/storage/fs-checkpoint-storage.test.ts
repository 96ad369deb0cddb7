import { randomBytes } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError } from '../../lib/errors'
import type { FileRef } from '../../lib/storage/file-ref'
import { FsCheckpointStorage } from '../../lib/storage/fs-checkpoint-storage'
import { useTempDirs } from '../helpers/temp-dir'
import { filesUnder, flipBit, sha256 } from './helpers'

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
  it('round-trips a small and a multi-megabyte file with the right size and SHA-256', async () => {
    const { root, work, storage } = setup()
    const big = randomFile(path.join(work, 'big'), 5 * 1024 * 1024 + 17)
    let progress = 0
    const bigRef = await storage.uploadFile(path.join(work, 'big'), 'shared/b1/000012.sst', { onProgress: (n) => (progress += n) })
    expect(bigRef).toEqual({ key: 'shared/b1/000012.sst', size: big.length, sha256: sha256(big) })
    expect(progress).toBe(big.length)
    const small = Buffer.from('{"states":[]}')
    const smallRef = await storage.writeFile('chk-1/b1/metadata', small)
    expect(smallRef).toEqual({ key: 'chk-1/b1/metadata', size: small.length, sha256: sha256(small) })

    await storage.downloadFile(bigRef, path.join(work, 'restored/000012.sst'))
    expect(readFileSync(path.join(work, 'restored/000012.sst')).equals(big)).toBe(true)
    expect((await storage.readFile(smallRef)).equals(small)).toBe(true)
    expect(await storage.localPath(bigRef)).toBe(path.join(root, 'shared/b1/000012.sst'))
    // Stored files are read-only: nothing may change them in place.
    expect(statSync(path.join(root, 'shared/b1/000012.sst')).mode & 0o777).toBe(0o444)
    expect(filesUnder(root)).toEqual(['chk-1/b1/metadata', 'shared/b1/000012.sst'])
  })

  it('streams an async iterable of chunks, and writes empty files', async () => {
    const { storage } = setup()
    const chunks = Array.from({ length: 40 }, () => randomBytes(100_000))
    async function* generate() {
      for (const chunk of chunks) yield new Uint8Array(chunk)
    }
    const ref = await storage.writeFile('chk-2/b/stream', generate())
    const all = Buffer.concat(chunks)
    expect(ref).toEqual({ key: 'chk-2/b/stream', size: all.length, sha256: sha256(all) })
    expect((await storage.readFile(ref)).equals(all)).toBe(true)
    const empty = await storage.writeFile('empty', new Uint8Array(0))
    expect(empty).toEqual({ key: 'empty', size: 0, sha256: sha256(new Uint8Array(0)) })
    expect((await storage.readFile(empty)).length).toBe(0)
  })

  it('uploads and downloads many files through the pool', async () => {
    const { work, storage } = setup()
    const files = Array.from({ length: 12 }, (_, i) => {
      const localPath = path.join(work, `${i}.sst`)
      return { localPath, key: `shared/b/${i}.sst`, bytes: randomFile(localPath, 1000 + i) }
    })
    const refs = await storage.uploadFiles(files)
    expect(refs.map((r) => r.key)).toEqual(files.map((f) => f.key))
    await storage.downloadFiles(refs.map((ref, i) => ({ ref, localPath: path.join(work, 'out', `${i}.sst`) })))
    for (const [i, f] of files.entries()) expect(readFileSync(path.join(work, 'out', `${i}.sst`)).equals(f.bytes)).toBe(true)
  })

  it('replaces a key atomically, and lists, stats and deletes keys', async () => {
    const { storage } = setup()
    await storage.writeFile('shared/b/1.sst', Buffer.from('one'))
    const two = await storage.writeFile('shared/b/1.sst', Buffer.from('two!'))
    await storage.writeFile('shared/b/2.sst', Buffer.from('x'))
    await storage.writeFile('shared/c/1.sst', Buffer.from('x'))
    await storage.writeFile('chk-1/b/CURRENT', Buffer.from('x'))
    expect((await storage.readFile(two)).toString()).toBe('two!')
    expect(await storage.stat('shared/b/1.sst')).toEqual({ size: 4 })
    expect(await storage.stat('shared/b/9.sst')).toBeUndefined()
    expect(await storage.stat('shared/b')).toBeUndefined() // a directory is not a file
    expect(await storage.list('')).toEqual(['chk-1/b/CURRENT', 'shared/b/1.sst', 'shared/b/2.sst', 'shared/c/1.sst'])
    expect(await storage.list('shared/b/')).toEqual(['shared/b/1.sst', 'shared/b/2.sst'])
    expect(await storage.list('shared/b/1')).toEqual(['shared/b/1.sst'])
    expect(await storage.list('sh')).toHaveLength(3)
    expect(await storage.list('nothing/')).toEqual([])
    await storage.deleteFile('shared/b/1.sst')
    await storage.deleteFile('shared/b/1.sst') // deleting twice is fine
    await storage.deleteFile('no/such/dir/file')
    expect(await storage.list('shared/')).toEqual(['shared/b/2.sst', 'shared/c/1.sst'])
  })

  it('treats a storage whose root does not exist yet as empty', async () => {
    const storage = new FsCheckpointStorage(path.join(tempDir(), 'never-created'))
    expect(await storage.list('')).toEqual([])
    expect(await storage.stat('a')).toBeUndefined()
    await storage.deleteFile('a')
    await expect(storage.readFile({ key: 'a', size: 1, sha256: 'a'.repeat(64) })).rejects.toThrow(CorruptCheckpointError)
    expect(await storage.latestCheckpoint('job')).toBeUndefined()
    await storage.collectGarbage()
  })

  it('refuses invalid options', () => {
    expect(() => new FsCheckpointStorage(tempDir(), { concurrency: 0 })).toThrow(RangeError)
    expect(() => new FsCheckpointStorage(tempDir(), { retain: 0 })).toThrow(RangeError)
  })
})

describe('FsCheckpointStorage: verification', () => {
  async function stored() {
    const { root, work, storage } = setup()
    const bytes = randomBytes(300_000)
    const ref = await storage.writeFile('shared/b/7.sst', bytes)
    return { root, work, storage, ref, bytes, file: path.join(root, 'shared/b/7.sst'), target: path.join(work, 'db/7.sst') }
  }

  /** Every way of reading `ref` fails with CorruptCheckpointError matching `message`, leaving no destination file. */
  async function expectAllReadsToFail(s: Awaited<ReturnType<typeof stored>>, ref: FileRef, message: RegExp) {
    for (const link of [false, true]) {
      await expect(s.storage.downloadFile(ref, s.target, { link })).rejects.toThrow(CorruptCheckpointError)
      await expect(s.storage.downloadFile(ref, s.target, { link })).rejects.toThrow(message)
    }
    await expect(s.storage.readFile(ref)).rejects.toThrow(message)
    await expect(s.storage.localPath(ref)).rejects.toThrow(message)
    expect(existsSync(path.dirname(s.target)) ? filesUnder(path.dirname(s.target)) : []).toEqual([])
  }

  it('a flipped bit fails the checksum', async () => {
    const s = await stored()
    flipBit(s.file, 150_000)
    await expectAllReadsToFail(s, s.ref, /SHA-256/)
  })

  it('a truncated file fails the size check', async () => {
    const s = await stored()
    truncateSync(s.file, 1000)
    await expectAllReadsToFail(s, s.ref, /has 1000 bytes, expected 300000/)
  })

  it('a missing file is reported as missing', async () => {
    const s = await stored()
    unlinkSync(s.file)
    await expectAllReadsToFail(s, s.ref, /missing/)
  })

  it('a reference with the wrong checksum or size fails, even for an intact file', async () => {
    const s = await stored()
    await expectAllReadsToFail(s, { ...s.ref, sha256: 'f'.repeat(64) }, /SHA-256/)
    await expectAllReadsToFail(s, { ...s.ref, size: s.ref.size + 1 }, /bytes, expected/)
  })

  it('a failed download leaves an existing destination file as it was', async () => {
    const s = await stored()
    mkdirSync(path.dirname(s.target))
    writeFileSync(s.target, 'previous')
    flipBit(s.file, 0)
    await expect(s.storage.downloadFile(s.ref, s.target)).rejects.toThrow(CorruptCheckpointError)
    expect(readFileSync(s.target, 'utf8')).toBe('previous')
    expect(filesUnder(path.dirname(s.target))).toEqual(['7.sst'])
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
  it('refuses keys with .., absolute paths and backslashes: RangeError on writes, CorruptCheckpointError on references', async () => {
    const { work, storage } = setup()
    writeFileSync(path.join(work, 'local'), 'x')
    for (const key of ['../outside', 'a/../../outside', '/etc/passwd', 'a\\..\\b', '.tmp-1234']) {
      await expect(storage.writeFile(key, Buffer.from('x'))).rejects.toThrow(RangeError)
      await expect(storage.uploadFile(path.join(work, 'local'), key)).rejects.toThrow(RangeError)
      await expect(storage.stat(key)).rejects.toThrow(RangeError)
      await expect(storage.deleteFile(key)).rejects.toThrow(RangeError)
      const ref = { key, size: 1, sha256: sha256(Buffer.from('x')) }
      await expect(storage.readFile(ref)).rejects.toThrow(CorruptCheckpointError)
      await expect(storage.downloadFile(ref, path.join(work, 'out'))).rejects.toThrow(CorruptCheckpointError)
      await expect(storage.localPath(ref)).rejects.toThrow(CorruptCheckpointError)
    }
    expect(filesUnder(path.dirname(work))).toEqual(['work/local'])
  })

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

  it('an abort during an upload rejects and leaves nothing, also over an existing key', async () => {
    const { root, work, storage } = setup()
    randomFile(path.join(work, 'big'), 8 * 1024 * 1024)
    const previous = await storage.writeFile('shared/b/1.sst', Buffer.from('previous'))
    for (const key of ['shared/b/2.sst', 'shared/b/1.sst']) {
      const controller = new AbortController()
      let seen = 0
      const upload = storage.uploadFile(path.join(work, 'big'), key, {
        signal: controller.signal,
        onProgress: (n) => {
          seen += n
          controller.abort()
        },
      })
      await expect(upload).rejects.toMatchObject({ name: 'AbortError' })
      expect(seen).toBeLessThan(8 * 1024 * 1024)
    }
    expect(filesUnder(root)).toEqual(['shared/b/1.sst'])
    expect((await storage.readFile(previous)).toString()).toBe('previous')
  })

  it('an abort while the source stalls rejects at once and leaves nothing', async () => {
    const { root, storage } = setup()
    const controller = new AbortController()
    async function* stalls() {
      yield new Uint8Array(1000)
      setTimeout(() => controller.abort(), 20)
      await new Promise(() => {}) // never produces the next chunk
    }
    await expect(storage.writeFile('chk-1/b/stream', stalls(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(filesUnder(root)).toEqual([])
  })

  it('an already aborted signal does nothing at all', async () => {
    const { root, work, storage } = setup()
    writeFileSync(path.join(work, 'f'), 'x')
    const ref = await storage.writeFile('k', Buffer.from('x'))
    const signal = AbortSignal.abort()
    await expect(storage.uploadFile(path.join(work, 'f'), 'a/b', { signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(storage.uploadFiles([{ localPath: path.join(work, 'f'), key: 'a/c' }], { signal })).rejects.toMatchObject({ name: 'AbortError' })
    await expect(storage.downloadFile(ref, path.join(work, 'out/k'), { signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(filesUnder(root)).toEqual(['k'])
    expect(existsSync(path.join(work, 'out'))).toBe(false)
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
