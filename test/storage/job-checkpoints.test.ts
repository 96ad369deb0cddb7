import { chmodSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError } from '../../lib/errors'
import type { FileRef } from '../../lib/storage/file-ref'
import { FsCheckpointStorage } from '../../lib/storage/fs-checkpoint-storage'
import { checkpointFileKey, manifestKey, parseManifestKey, sharedFileKey } from '../../lib/storage/layout'
import { useTempDirs } from '../helpers/temp-dir'
import { flipBit } from './helpers'

const tempDir = useTempDirs()

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

function setup(retain?: number) {
  const root = tempDir('checkpoints')
  const storage = new FsCheckpointStorage(root, { retain })
  const put = (key: string) => storage.writeFile(key, Buffer.from(`contents of ${key}`))
  const own = (id: number, backend = 'b1') => put(checkpointFileKey(id, backend, 'metadata'))
  const sst = (name: string, backend = 'b1') => put(sharedFileKey(backend, name))
  return { root, storage, own, sst }
}

describe('layout', () => {
  it('builds and reads the documented keys', () => {
    expect(sharedFileKey('b1', '000012.sst')).toBe('shared/b1/000012.sst')
    expect(checkpointFileKey(17, 'b1', 'stream')).toBe('chk-17/b1/stream')
    expect(manifestKey('job', 17, 'complete')).toBe('jobs/job/chk-17.json')
    expect(manifestKey('job', 17, 'discarding')).toBe('jobs/job/discard-17.json')
    expect(parseManifestKey('jobs/job/chk-17.json')).toEqual({ jobId: 'job', checkpointId: 17, state: 'complete' })
    expect(parseManifestKey('jobs/job/discard-0.json')).toEqual({ jobId: 'job', checkpointId: 0, state: 'discarding' })
    for (const key of ['jobs/job/chk-017.json', 'jobs/job/chk-1.json.tmp', 'jobs/a/b/chk-1.json', 'jobs/job/chk-99999999999999999.json']) {
      expect(parseManifestKey(key)).toBeUndefined()
    }
  })

  it('refuses ids that would not be one path segment', () => {
    expect(() => sharedFileKey('a/b', 'x')).toThrow(RangeError)
    expect(() => sharedFileKey('b', '..')).toThrow(RangeError)
    expect(() => checkpointFileKey(-1, 'b', 'x')).toThrow(RangeError)
    expect(() => checkpointFileKey(1.5, 'b', 'x')).toThrow(RangeError)
    expect(() => manifestKey('', 1, 'complete')).toThrow(RangeError)
  })
})

describe('job checkpoints', () => {
  it('ignores a checkpoint whose manifest was never written', async () => {
    const { root, storage, own } = setup(3)
    await storage.completeCheckpoint('job', 1, [handle('b1', 1, [], await own(1))])
    // Checkpoint 2: every file uploaded, then a crash while its manifest was being written.
    await own(2)
    writeFileSync(path.join(root, 'jobs/job/.tmp-0011223344556677'), '{"format":"rocksdb-keyed-state/job-ch')
    expect(await storage.checkpoints('job')).toEqual([1])
    expect((await storage.latestCheckpoint('job'))?.checkpointId).toBe(1)
  })

  it('checks its arguments', async () => {
    const { storage, own } = setup()
    const h = handle('b1', 1, [], await own(1))
    await expect(storage.completeCheckpoint('a/b', 1, [h])).rejects.toThrow(RangeError)
    await expect(storage.completeCheckpoint('job', -1, [h])).rejects.toThrow(RangeError)
    await expect(storage.completeCheckpoint('job', 1, [])).rejects.toThrow(TypeError)
    await expect(storage.completeCheckpoint('job', 1, [{ n: 1n }])).rejects.toThrow(TypeError) // not JSON
    await expect(storage.latestCheckpoint('..')).rejects.toThrow(RangeError)
  })

  it('regression: a checkpoint completed with the handles of another checkpoint or job was recorded', async () => {
    const { storage, own } = setup(3)
    const first = handle('b1', 1, [], await own(1))
    await storage.completeCheckpoint('job', 1, [first])
    await expect(storage.completeCheckpoint('job', 2, [first])).rejects.toThrow('handle 0 is of checkpoint 1, not of checkpoint 2')
    const otherJob = { ...handle('b1', 2, [], await own(2)), jobId: 'other' }
    await expect(storage.completeCheckpoint('job', 2, [otherJob])).rejects.toThrow("handle 0 is of job 'other', not of job 'job'")
    expect(await storage.checkpoints('job')).toEqual([1])
  })

  it('retains one checkpoint by default', async () => {
    const { storage, own, sst } = setup()
    const a = await sst('a.sst')
    await storage.completeCheckpoint('job', 1, [handle('b1', 1, [a], await own(1))])
    await storage.completeCheckpoint('job', 2, [handle('b1', 2, [a], await own(2))])
    expect(await storage.checkpoints('job')).toEqual([2])
    expect(await storage.list('')).toEqual(['chk-2/b1/metadata', 'jobs/job/chk-2.json', 'shared/b1/a.sst'])
  })

  it('a corrupt discard record leaves its files as orphans instead of failing forever', async () => {
    const { root, storage, own } = setup()
    await storage.completeCheckpoint('job', 1, [handle('b1', 1, [], await own(1))])
    writeFileSync(path.join(root, 'jobs/job/discard-0.json'), 'not json')
    await storage.collectGarbage()
    expect(await storage.list('jobs/')).toEqual(['jobs/job/chk-1.json'])
  })

  describe('rejects a damaged manifest with CorruptCheckpointError', () => {
    async function completed() {
      const { root, storage, own } = setup()
      await storage.completeCheckpoint('job', 1, [handle('b1', 1, [], await own(1))])
      const file = path.join(root, 'jobs/job/chk-1.json')
      return { storage, file, text: readFileSync(file, 'utf8') }
    }
    const rewrite = (file: string, text: string) => {
      chmodSync(file, 0o644)
      writeFileSync(file, text)
    }

    it('a flipped bit in the handles', async () => {
      const { storage, file, text } = await completed()
      flipBit(file, text.indexOf('"keyGroupRange"') + 3)
      await expect(storage.latestCheckpoint('job')).rejects.toThrow(/does not match its checksum/)
    })

    it('truncated', async () => {
      const { storage, file, text } = await completed()
      truncateSync(file, text.length - 5)
      await expect(storage.latestCheckpoint('job')).rejects.toThrow(/not valid JSON/)
    })

    it('a newer version', async () => {
      const { storage, file, text } = await completed()
      rewrite(file, text.replace('"version":1', '"version":2'))
      await expect(storage.latestCheckpoint('job')).rejects.toThrow(/version 2/)
    })

    it('naming another checkpoint', async () => {
      const { storage, file, text } = await completed()
      rewrite(file, text.replace('"checkpointId":1', '"checkpointId":7'))
      await expect(storage.latestCheckpoint('job')).rejects.toThrow(CorruptCheckpointError)
    })

    it('not a manifest at all', async () => {
      const { storage, file } = await completed()
      rewrite(file, '[]')
      await expect(storage.latestCheckpoint('job')).rejects.toThrow(/not a job checkpoint manifest/)
    })

    it('and then deletes nothing, since what that manifest references is unknown', async () => {
      const { storage, file } = await completed()
      rewrite(file, '{')
      const first = await storage.writeFile('chk-1/b9/metadata', Buffer.from('x'))
      await storage.completeCheckpoint('other', 1, [{ metadata: first }])
      const second = await storage.writeFile('chk-2/b9/metadata', Buffer.from('y'))
      await expect(storage.completeCheckpoint('other', 2, [{ metadata: second }])).rejects.toThrow(/jobs\/job\/chk-1.json/)
      // Checkpoint 2 is complete; the discard of 1 waits, its file kept.
      expect(await storage.checkpoints('other')).toEqual([2])
      expect(await storage.list('')).toContain('jobs/other/discard-1.json')
      expect(await storage.stat('chk-1/b9/metadata')).toEqual({ size: 1 })
    })
  })
})

describe('unreferenced files', () => {
  it('deleteUnreferencedFiles keeps files any job references (shared SSTs included) and deletes nothing while a manifest is unreadable', async () => {
    const { root, storage, own, sst } = setup()
    const shared = await sst('1.sst')
    const kept = await own(1)
    await storage.completeCheckpoint('job', 1, [handle('b1', 1, [shared], kept)])
    const orphan = await own(2)
    const orphanSst = await sst('2.sst')
    const keys = [shared.key, kept.key, orphan.key, orphanSst.key]
    flipBit(path.join(root, manifestKey('job', 1, 'complete')), 40)
    await expect(storage.deleteUnreferencedFiles(keys)).rejects.toBeInstanceOf(CorruptCheckpointError)
    for (const key of keys) expect(await storage.stat(key)).toBeDefined()
    flipBit(path.join(root, manifestKey('job', 1, 'complete')), 40)
    expect(await storage.deleteUnreferencedFiles(keys)).toEqual([orphan.key, orphanSst.key])
    expect(await storage.list('')).toEqual([kept.key, 'jobs/job/chk-1.json', shared.key])
  })
})
