import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CorruptCheckpointError } from '../../lib/errors'
import type { CheckpointStorage } from '../../lib/storage/checkpoint-storage'
import type { FileRef } from '../../lib/storage/file-ref'
import { checkpointFileKey, manifestKey, sharedFileKey } from '../../lib/storage/layout'
import { filesUnder, sha256 } from './helpers'

/** A storage under test, and ways to reach its stored bytes around it (as a disk fault or another program would). */
export interface ContractTarget {
  /**
   * A new, empty storage location; every call in one test gives the same location, or with `under`,
   * a storage rooted at that path inside it.
   */
  storage(options?: { retain?: number; under?: string }): CheckpointStorage
  readStored(key: string): Promise<Buffer>
  writeStored(key: string, bytes: Uint8Array): Promise<void>
  deleteStored(key: string): Promise<void>
  /** Every stored object's key, temporaries and partial writes included (what `list` hides). */
  listStored(): Promise<string[]>
}

/** Larger than the S3 targets' 5 MiB part: goes up as a multipart upload there. */
const MULTIPART_BYTES = 11 * 1024 * 1024 + 3

/**
 * The behaviour every CheckpointStorage shares, run unchanged against each implementation.
 * `target()` is called once per test and must give a fresh location.
 */
export function describeStorageContract(name: string, target: () => Promise<ContractTarget>): void {
  const workDirs: string[] = []
  afterEach(() => {
    for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })
  async function setup(retain?: number) {
    const t = await target()
    const work = mkdtempSync(path.join(tmpdir(), 'rks-contract-'))
    workDirs.push(work)
    const storage = t.storage({ retain })
    const randomFile = (file: string, size: number) => {
      const bytes = randomBytes(size)
      mkdirSync(path.dirname(path.join(work, file)), { recursive: true })
      writeFileSync(path.join(work, file), bytes)
      return { file: path.join(work, file), bytes }
    }
    return { t, storage, work, randomFile }
  }

  describe(`${name}: files`, () => {
    it('round-trips a small and a multipart-sized file with the right size, SHA-256 and progress', async () => {
      const { t, storage, work, randomFile } = await setup()
      const big = randomFile('big', MULTIPART_BYTES)
      let progress = 0
      const bigRef = await storage.uploadFile(big.file, 'shared/b1/000012.sst', { onProgress: (n) => (progress += n) })
      expect(bigRef).toEqual({ key: 'shared/b1/000012.sst', size: big.bytes.length, sha256: sha256(big.bytes) })
      expect(progress).toBe(big.bytes.length)
      const small = Buffer.from('{"states":[]}')
      const smallRef = await storage.writeFile('chk-1/b1/metadata', small)
      expect(smallRef).toEqual({ key: 'chk-1/b1/metadata', size: small.length, sha256: sha256(small) })

      let downloaded = 0
      await storage.downloadFile(bigRef, path.join(work, 'restored/000012.sst'), { onProgress: (n) => (downloaded += n) })
      expect(readFileSync(path.join(work, 'restored/000012.sst')).equals(big.bytes)).toBe(true)
      expect(downloaded).toBe(big.bytes.length)
      expect((await storage.readFile(smallRef)).equals(small)).toBe(true)
      expect(await storage.list('')).toEqual(['chk-1/b1/metadata', 'shared/b1/000012.sst'])
      expect(await t.listStored()).toEqual(['chk-1/b1/metadata', 'shared/b1/000012.sst'])
    })

    it('streams an async iterable of chunks (multipart-sized too), and writes empty files', async () => {
      const { storage } = await setup()
      const chunks = Array.from({ length: 60 }, () => randomBytes(100_000))
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
      expect(await storage.stat('empty')).toEqual({ size: 0 })
    })

    it('uploads and downloads many files through the pool, results in the input order', async () => {
      const { storage, work, randomFile } = await setup()
      const files = Array.from({ length: 12 }, (_, i) => ({ key: `shared/b/${i}.sst`, ...randomFile(`${i}.sst`, 1000 + i) }))
      const refs = await storage.uploadFiles(files.map((f) => ({ localPath: f.file, key: f.key })))
      expect(refs).toEqual(files.map((f) => ({ key: f.key, size: f.bytes.length, sha256: sha256(f.bytes) })))
      await storage.downloadFiles(refs.map((ref, i) => ({ ref, localPath: path.join(work, 'out', `${i}.sst`) })))
      for (const [i, f] of files.entries()) expect(readFileSync(path.join(work, 'out', `${i}.sst`)).equals(f.bytes)).toBe(true)
    })

    it('replaces a key, and lists (by plain string prefix, sorted), stats and deletes keys', async () => {
      const { storage } = await setup()
      await storage.writeFile('shared/b/1.sst', Buffer.from('one'))
      const two = await storage.writeFile('shared/b/1.sst', Buffer.from('two!'))
      for (const key of ['shared/b/2.sst', 'shared/c/1.sst', 'chk-1/b/CURRENT']) await storage.writeFile(key, Buffer.from('x'))
      expect((await storage.readFile(two)).toString()).toBe('two!')
      expect(await storage.stat('shared/b/1.sst')).toEqual({ size: 4 })
      expect(await storage.stat('shared/b/9.sst')).toBeUndefined()
      expect(await storage.stat('shared/b')).toBeUndefined()
      expect(await storage.list('')).toEqual(['chk-1/b/CURRENT', 'shared/b/1.sst', 'shared/b/2.sst', 'shared/c/1.sst'])
      expect(await storage.list('shared/b/')).toEqual(['shared/b/1.sst', 'shared/b/2.sst'])
      expect(await storage.list('shared/b/1')).toEqual(['shared/b/1.sst'])
      expect(await storage.list('sh')).toHaveLength(3)
      expect(await storage.list('nothing/')).toEqual([])
      await storage.deleteFile('shared/b/1.sst')
      await storage.deleteFile('shared/b/1.sst')
      await storage.deleteFile('no/such/dir/file')
      expect(await storage.list('shared/')).toEqual(['shared/b/2.sst', 'shared/c/1.sst'])
    })

    it('regression: a local file that does not exist fails an upload with the file system\'s ENOENT on every storage, uploading nothing', async () => {
      const { t, storage, work } = await setup()
      const missing = path.join(work, 'no-such-file')
      await expect(storage.uploadFile(missing, 'shared/b/1.sst')).rejects.toMatchObject({ code: 'ENOENT', path: missing })
      await expect(storage.uploadFiles([{ localPath: missing, key: 'shared/b/2.sst' }])).rejects.toMatchObject({ code: 'ENOENT', path: missing })
      expect(await t.listStored()).toEqual([])
    })

    it('lists more keys than one page holds', async () => {
      const { storage } = await setup()
      const keys = Array.from({ length: 23 }, (_, i) => `chk-1/b/${String(i).padStart(3, '0')}`)
      await Promise.all(keys.map((key) => storage.writeFile(key, Buffer.from(key))))
      expect(await storage.list('chk-1/')).toEqual(keys)
    })

    it('an empty storage: nothing listed, stat undefined, delete fine, reads corrupt, no checkpoints', async () => {
      const { storage } = await setup()
      expect(await storage.list('')).toEqual([])
      expect(await storage.stat('a')).toBeUndefined()
      await storage.deleteFile('a')
      await expect(storage.readFile({ key: 'a', size: 1, sha256: 'a'.repeat(64) })).rejects.toThrow(CorruptCheckpointError)
      expect(await storage.latestCheckpoint('job')).toBeUndefined()
      expect(await storage.nextCheckpointId('job')).toBe(1)
      await storage.collectGarbage()
    })
  })

  describe(`${name}: verification`, () => {
    async function stored() {
      const s = await setup()
      const bytes = randomBytes(300_000)
      const ref = await s.storage.writeFile('shared/b/7.sst', bytes)
      return { ...s, ref, bytes, target: path.join(s.work, 'db/7.sst') }
    }

    /** Every way of reading `ref` fails with CorruptCheckpointError matching `message`, leaving no destination file. */
    async function expectAllReadsToFail(s: Awaited<ReturnType<typeof stored>>, ref: FileRef, message: RegExp) {
      for (const link of [false, true]) {
        const download = s.storage.downloadFile(ref, s.target, { link })
        await expect(download).rejects.toThrow(CorruptCheckpointError)
        await expect(download).rejects.toThrow(message)
      }
      await expect(s.storage.readFile(ref)).rejects.toThrow(message)
      if (s.storage.localPath !== undefined) await expect(s.storage.localPath(ref)).rejects.toThrow(message)
      expect(existsSync(path.dirname(s.target)) ? filesUnder(path.dirname(s.target)) : []).toEqual([])
    }

    it('an object altered behind its back fails the checksum', async () => {
      const s = await stored()
      const altered = await s.t.readStored(s.ref.key)
      altered[150_000] ^= 0x01
      await s.t.writeStored(s.ref.key, altered)
      await expectAllReadsToFail(s, s.ref, /SHA-256/)
    })

    it('a truncated object fails the size check', async () => {
      const s = await stored()
      await s.t.writeStored(s.ref.key, (await s.t.readStored(s.ref.key)).subarray(0, 1000))
      await expectAllReadsToFail(s, s.ref, /has 1000 bytes, expected 300000/)
    })

    it('an object deleted behind its back is reported as missing', async () => {
      const s = await stored()
      await s.t.deleteStored(s.ref.key)
      await expectAllReadsToFail(s, s.ref, /missing/)
    })

    it('a reference with the wrong checksum or size fails, even for an intact object', async () => {
      const s = await stored()
      await expectAllReadsToFail(s, { ...s.ref, sha256: 'f'.repeat(64) }, /SHA-256/)
      await expectAllReadsToFail(s, { ...s.ref, size: s.ref.size + 1 }, /bytes, expected/)
    })

    it('a failed download leaves an existing destination file as it was', async () => {
      const s = await stored()
      mkdirSync(path.dirname(s.target))
      writeFileSync(s.target, 'previous')
      await expect(s.storage.downloadFile({ ...s.ref, sha256: 'f'.repeat(64) }, s.target)).rejects.toThrow(CorruptCheckpointError)
      expect(readFileSync(s.target, 'utf8')).toBe('previous')
      expect(filesUnder(path.dirname(s.target))).toEqual(['7.sst'])
    })
  })

  describe(`${name}: keys escaping the storage`, () => {
    it('refuses .., absolute, backslash and dot keys: RangeError on writes, CorruptCheckpointError on references', async () => {
      const { t, storage, work, randomFile } = await setup()
      const local = randomFile('local', 1).file
      for (const key of ['../outside', 'a/../../outside', '/etc/passwd', 'a\\..\\b', '.tmp-1234', 'a//b']) {
        await expect(storage.writeFile(key, Buffer.from('x'))).rejects.toThrow(RangeError)
        await expect(storage.uploadFile(local, key)).rejects.toThrow(RangeError)
        await expect(storage.stat(key)).rejects.toThrow(RangeError)
        await expect(storage.deleteFile(key)).rejects.toThrow(RangeError)
        await expect(Promise.resolve().then(() => storage.deleteUnreferencedFiles([key]))).rejects.toThrow(RangeError)
        const ref = { key, size: 1, sha256: sha256(Buffer.from('x')) }
        await expect(storage.readFile(ref)).rejects.toThrow(CorruptCheckpointError)
        await expect(storage.downloadFile(ref, path.join(work, 'out'))).rejects.toThrow(CorruptCheckpointError)
        if (storage.localPath !== undefined) await expect(storage.localPath(ref)).rejects.toThrow(CorruptCheckpointError)
      }
      expect(await t.listStored()).toEqual([])
      expect(existsSync(path.join(work, 'out'))).toBe(false)
    })
  })

  describe(`${name}: cancellation`, () => {
    it('an abort during an upload rejects and leaves nothing, also over an existing key', async () => {
      const { t, storage, randomFile } = await setup()
      const big = randomFile('big', MULTIPART_BYTES)
      const previous = await storage.writeFile('shared/b/1.sst', Buffer.from('previous'))
      for (const key of ['shared/b/2.sst', 'shared/b/1.sst']) {
        const controller = new AbortController()
        let seen = 0
        const upload = storage.uploadFile(big.file, key, {
          signal: controller.signal,
          onProgress: (n) => {
            seen += n
            controller.abort()
          },
        })
        await expect(upload).rejects.toMatchObject({ name: 'AbortError' })
        expect(seen).toBeLessThan(big.bytes.length)
      }
      expect(await t.listStored()).toEqual(['shared/b/1.sst'])
      expect((await storage.readFile(previous)).toString()).toBe('previous')
    })

    it('an abort while the source stalls rejects at once and leaves nothing', async () => {
      const { t, storage } = await setup()
      const controller = new AbortController()
      async function* stalls() {
        yield new Uint8Array(1000)
        setTimeout(() => controller.abort(), 20)
        await new Promise(() => {})
      }
      await expect(storage.writeFile('chk-1/b/stream', stalls(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
      expect(await t.listStored()).toEqual([])
    })

    it('an already aborted signal does nothing at all', async () => {
      const { t, storage, work, randomFile } = await setup()
      const local = randomFile('f', 1).file
      const ref = await storage.writeFile('k', Buffer.from('x'))
      const signal = AbortSignal.abort()
      await expect(storage.uploadFile(local, 'a/b', { signal })).rejects.toMatchObject({ name: 'AbortError' })
      await expect(storage.uploadFiles([{ localPath: local, key: 'a/c' }], { signal })).rejects.toMatchObject({ name: 'AbortError' })
      await expect(storage.writeFile('a/d', Buffer.from('x'), { signal })).rejects.toMatchObject({ name: 'AbortError' })
      await expect(storage.downloadFile(ref, path.join(work, 'out/k'), { signal })).rejects.toMatchObject({ name: 'AbortError' })
      await expect(storage.readFile(ref, { signal })).rejects.toMatchObject({ name: 'AbortError' })
      expect(await t.listStored()).toEqual(['k'])
      expect(existsSync(path.join(work, 'out'))).toBe(false)
    })

    it('an abort during a download leaves no destination file', async () => {
      const { storage, work, randomFile } = await setup()
      const ref = await storage.uploadFile(randomFile('big', 4 * 1024 * 1024).file, 'shared/b/1.sst')
      const controller = new AbortController()
      const copy = storage.downloadFile(ref, path.join(work, 'db/1.sst'), { signal: controller.signal, onProgress: () => controller.abort() })
      await expect(copy).rejects.toMatchObject({ name: 'AbortError' })
      expect(existsSync(path.join(work, 'db')) ? filesUnder(path.join(work, 'db')) : []).toEqual([])
    })
  })

  describe(`${name}: job checkpoints`, () => {
    /** A stand-in for an incremental handle: shared SST files plus one file of its own. */
    function handle(backendId: string, checkpointId: number, shared: FileRef[], own: FileRef) {
      return {
        kind: 'incremental',
        backendId,
        checkpointId,
        keyGroupRange: { start: 0, end: 127 },
        sharedFiles: Object.fromEntries(shared.map((ref) => [path.posix.basename(ref.key), ref])),
        metadata: own,
      }
    }
    async function jobSetup(retain?: number) {
      const s = await setup(retain)
      const put = (key: string) => s.storage.writeFile(key, Buffer.from(`contents of ${key}`))
      return { ...s, own: (id: number, backend = 'b1') => put(checkpointFileKey(id, backend, 'metadata')), sst: (file: string) => put(sharedFileKey('b1', file)) }
    }

    it('the latest complete checkpoint carries every worker handle; discarding falls back', async () => {
      const { storage, own, sst } = await jobSetup(3)
      const shared = await sst('1.sst')
      const handles = [handle('b1', 1, [shared], await own(1)), handle('b2', 1, [], await own(1, 'b2'))]
      await storage.completeCheckpoint('job', 1, handles)
      const second = [handle('b1', 2, [shared], await own(2))]
      await storage.completeCheckpoint('job', 2, second)
      await storage.completeCheckpoint('job', 2, second) // again, same handles: a no-op
      await expect(storage.completeCheckpoint('job', 2, [handle('b2', 2, [], await own(2, 'b2'))])).rejects.toThrow(/already complete with other handles/)
      await expect(storage.completeCheckpoint('job', 0, [handle('b1', 0, [], await own(0))])).rejects.toThrow(/must increase/)
      expect(await storage.checkpoints('job')).toEqual([1, 2])
      expect(await storage.nextCheckpointId('job')).toBe(3)
      expect(await storage.latestCheckpoint('job')).toEqual({ jobId: 'job', checkpointId: 2, handles: second })
      await storage.discardCheckpoint('job', 2)
      expect(await storage.latestCheckpoint('job')).toEqual({ jobId: 'job', checkpointId: 1, handles })
    })

    it('will not complete a checkpoint whose files are missing or of the wrong size', async () => {
      const { storage, own } = await jobSetup()
      const ref = await own(1)
      await expect(storage.completeCheckpoint('job', 1, [handle('b1', 1, [], { ...ref, key: 'chk-1/b1/nothing' })])).rejects.toThrow(/'chk-1\/b1\/nothing' is missing/)
      await expect(storage.completeCheckpoint('job', 1, [handle('b1', 1, [], { ...ref, size: 3 })])).rejects.toThrow(CorruptCheckpointError)
      await expect(storage.completeCheckpoint('job', 1, [handle('b1', 1, [], { ...ref, key: '../escape' })])).rejects.toThrow(CorruptCheckpointError)
      expect(await storage.list('jobs/')).toEqual([])
    })

    it('keeps `retain` checkpoints and deletes only files no retained checkpoint references', async () => {
      const { storage, own, sst } = await jobSetup(2)
      const [a, b, c] = [await sst('a.sst'), await sst('b.sst'), await sst('c.sst')]
      const complete = async (id: number, shared: FileRef[]) => storage.completeCheckpoint('job', id, [handle('b1', id, shared, await own(id))])
      await complete(1, [a, b])
      await complete(2, [a, b])
      await complete(3, [b, c])
      expect(await storage.checkpoints('job')).toEqual([2, 3])
      expect(await storage.list('shared/')).toEqual([a.key, b.key, c.key])
      expect(await storage.list('chk-')).toEqual(['chk-2/b1/metadata', 'chk-3/b1/metadata'])
      await complete(4, [c])
      expect(await storage.list('shared/')).toEqual([b.key, c.key])
      await complete(5, [c])
      expect(await storage.list('')).toEqual(['chk-4/b1/metadata', 'chk-5/b1/metadata', 'jobs/job/chk-4.json', 'jobs/job/chk-5.json', c.key])
    })

    it('keeps a file while a checkpoint of another job references it', async () => {
      const { storage, own, sst } = await jobSetup()
      const a = await sst('a.sst')
      await storage.completeCheckpoint('job-a', 1, [handle('b1', 1, [a], await own(1))])
      await storage.completeCheckpoint('job-b', 1, [handle('b2', 1, [a], await own(1, 'b2'))])
      await storage.discardCheckpoint('job-a', 1)
      expect(await storage.list('')).toEqual(['chk-1/b2/metadata', 'jobs/job-b/chk-1.json', a.key])
      await storage.discardCheckpoint('job-b', 1)
      await storage.discardCheckpoint('job-b', 1)
      expect(await storage.list('')).toEqual([])
    })

    it('a discard interrupted by a crash is finished by collectGarbage', async () => {
      const { t, storage, own, sst } = await jobSetup(3)
      const [a, b] = [await sst('a.sst'), await sst('b.sst')]
      await storage.completeCheckpoint('job', 1, [handle('b1', 1, [a, b], await own(1))])
      await storage.completeCheckpoint('job', 2, [handle('b1', 2, [b], await own(2))])
      // The crash: checkpoint 1's manifest moved aside, one of its files deleted, then nothing.
      const manifest = await t.readStored(manifestKey('job', 1, 'complete'))
      await t.writeStored(manifestKey('job', 1, 'discarding'), manifest)
      await t.deleteStored(manifestKey('job', 1, 'complete'))
      await t.deleteStored('chk-1/b1/metadata')
      expect(await storage.checkpoints('job')).toEqual([2])
      await storage.collectGarbage()
      expect(await storage.list('')).toEqual(['chk-2/b1/metadata', 'jobs/job/chk-2.json', b.key])
    })

    it('a damaged manifest is a CorruptCheckpointError, and deletes nothing while unreadable', async () => {
      const { t, storage, own, sst } = await jobSetup()
      const shared = await sst('1.sst')
      const kept = await own(1)
      await storage.completeCheckpoint('job', 1, [handle('b1', 1, [shared], kept)])
      const key = manifestKey('job', 1, 'complete')
      const intact = await t.readStored(key)
      const damaged = Buffer.from(intact)
      damaged[intact.indexOf('"keyGroupRange"') + 3] ^= 0x01
      await t.writeStored(key, damaged)
      await expect(storage.latestCheckpoint('job')).rejects.toThrow(/does not match its checksum/)
      const orphan = await own(2)
      await expect(storage.deleteUnreferencedFiles([shared.key, kept.key, orphan.key])).rejects.toBeInstanceOf(CorruptCheckpointError)
      for (const ref of [shared, kept, orphan]) expect(await storage.stat(ref.key)).toEqual({ size: ref.size })
      await t.writeStored(key, intact)
      expect(await storage.deleteUnreferencedFiles([shared.key, kept.key, orphan.key])).toEqual([orphan.key])
      expect(await storage.list('')).toEqual([kept.key, key, shared.key])
    })

    it('collectGarbage with a grace period removes only old unreferenced checkpoint files', async () => {
      const { storage, own, sst } = await jobSetup()
      const referenced = await sst('1.sst')
      await storage.completeCheckpoint('job', 1, [handle('b1', 1, [referenced], await own(1))])
      const orphan = await own(3)
      const orphanSst = await sst('2.sst')
      const userFile = await storage.writeFile('notes/readme.txt', Buffer.from('mine'))
      await storage.collectGarbage({ unreferencedOlderThanMs: 60 * 60 * 1000 })
      expect(await storage.stat(orphan.key)).toBeDefined() // too young
      await storage.collectGarbage({ unreferencedOlderThanMs: -1000 })
      expect(await storage.list('')).toEqual(['chk-1/b1/metadata', 'jobs/job/chk-1.json', userFile.key, referenced.key])
      expect(orphanSst.key).not.toBe(referenced.key)
    })

    it("regression: collectGarbage never removes the checkpoints of a storage rooted inside this one", async () => {
      const t = await target()
      const outer = t.storage()
      for (const under of ['shared/team', 'chk-7', 'shared']) {
        const inner = t.storage({ under })
        const sst = await inner.writeFile(sharedFileKey('b1', '1.sst'), Buffer.from('inner sst'))
        const own = await inner.writeFile(checkpointFileKey(1, 'b1', 'metadata'), Buffer.from('inner metadata'))
        await inner.completeCheckpoint('job', 1, [handle('b1', 1, [sst], own)])
        await outer.collectGarbage({ unreferencedOlderThanMs: -1000 })
        const checkpoint = await inner.latestCheckpoint('job')
        expect(checkpoint?.checkpointId, under).toBe(1)
        expect((await inner.readFile(sst)).toString(), under).toBe('inner sst')
        expect((await inner.readFile(own)).toString(), under).toBe('inner metadata')
      }
    })
  })
}
