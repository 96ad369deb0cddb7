import { existsSync, utimesSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CheckpointIdNotIncreasingError, KeyedStateBackend, Serializers as S, type FsCheckpointStorage, type FullKeyedStateHandle } from '../../lib'
import { useSnapshotFixture } from '../snapshot/snapshot-fixture'

const fixture = useSnapshotFixture()

async function filled(): Promise<KeyedStateBackend<string>> {
  const backend = await fixture.backend()
  const state = backend.valueState('v', S.int32)
  for (let i = 0; i < 100; i++) {
    backend.setCurrentKey(`k${i}`)
    state.update(i)
  }
  return backend
}

function stored(storage: FsCheckpointStorage, handle: unknown): string {
  return path.join(storage.root, (handle as FullKeyedStateHandle).stream.key)
}

/** Makes a stored file look last written `hours` ago. */
function age(file: string, hours: number): void {
  const then = new Date(Date.now() - hours * 3600_000)
  utimesSync(file, then, then)
}

describe('regression: files of aborted or never-completed checkpoints no longer leak', () => {
  it('regression: notifyCheckpointAborted used to leave the uploaded stream forever; now it is deleted', async () => {
    const backend = await filled()
    const storage = fixture.storage()
    const aborted = await backend.snapshot(7, storage)
    const kept = await backend.snapshot(8, storage)
    await backend.notifyCheckpointAborted(7)
    expect(existsSync(stored(storage, aborted))).toBe(false)
    expect(existsSync(stored(storage, kept))).toBe(true)
  })

  it('an abort never deletes a file a complete job checkpoint references', async () => {
    const backend = await filled()
    const storage = fixture.storage()
    const handle = await backend.snapshot(9, storage)
    await storage.completeCheckpoint('job', 9, [handle])
    await backend.notifyCheckpointAborted(9)
    expect(existsSync(stored(storage, handle))).toBe(true)
    const restored = await fixture.backend({ restoreFrom: (await storage.latestCheckpoint('job'))!.handles })
    expect(restored.numEntries('v')).toBe(100)
  })

  it('a completed checkpoint\'s files are forgotten: a late abort of it deletes nothing', async () => {
    const backend = await filled()
    const storage = fixture.storage()
    const handle = await backend.snapshot(10, storage)
    await backend.notifyCheckpointComplete(10)
    await backend.notifyCheckpointAborted(10)
    expect(existsSync(stored(storage, handle))).toBe(true)
  })

  it('regression: collectGarbage used to keep unreferenced files forever; with a grace period it removes old ones only', async () => {
    const backend = await filled()
    const storage = fixture.storage()
    const referenced = await backend.snapshot(11, storage)
    await storage.completeCheckpoint('job', 11, [referenced])
    const neverCompleted = await backend.snapshot(12, storage)
    const inProgress = await backend.snapshot(13, storage)
    for (const handle of [referenced, neverCompleted]) age(stored(storage, handle), 48)
    // Default: unreferenced files stay (savepoints look the same).
    await storage.collectGarbage()
    expect(existsSync(stored(storage, neverCompleted))).toBe(true)
    await storage.collectGarbage({ unreferencedOlderThanMs: 24 * 3600_000 })
    expect(existsSync(stored(storage, neverCompleted))).toBe(false)
    // Referenced, however old; unreferenced but younger than the grace period (a checkpoint in progress).
    expect(existsSync(stored(storage, referenced))).toBe(true)
    expect(existsSync(stored(storage, inProgress))).toBe(true)
    await storage.completeCheckpoint('job', 13, [inProgress])
    const restored = await fixture.backend({ restoreFrom: (await storage.latestCheckpoint('job'))!.handles })
    expect(restored.numEntries('v')).toBe(100)
  })

  it('deleteUnreferencedFiles deletes only what no checkpoint references', async () => {
    const backend = await filled()
    const storage = fixture.storage()
    const [a, b] = [await backend.snapshot(14, storage), await backend.snapshot(15, storage)]
    await storage.completeCheckpoint('job', 14, [a])
    const keys = [a, b].map((handle) => (handle as FullKeyedStateHandle).stream.key)
    expect(await storage.deleteUnreferencedFiles(keys)).toEqual([keys[1]])
    expect(existsSync(stored(storage, a))).toBe(true)
    expect(existsSync(stored(storage, b))).toBe(false)
  })
})

describe('checkpoint ids and the default storage', () => {
  it('regression: snapshot(id) used to need the storage passed again; it now uses the one given to open', async () => {
    const storage = fixture.storage()
    const backend = await KeyedStateBackend.open({
      path: fixture.tempDir('instance'),
      keySerializer: S.string,
      maxParallelism: 128,
      keyGroupRange: (await filled()).keyGroupRange,
      storage,
    })
    backend.setCurrentKey('k')
    backend.valueState('v', S.int32).update(1)
    const handle = await backend.snapshot(1)
    expect(existsSync(stored(storage, handle))).toBe(true)
    const compressed = await backend.snapshot(2, { compression: 'deflate' })
    expect(existsSync(stored(storage, compressed))).toBe(true)
    await backend.close()
    const bare = await fixture.backend()
    await expect(bare.snapshot(1)).rejects.toThrow(/needs a storage/)
  })

  it('a restored backend knows its checkpoint id, and the storage tells the next one', async () => {
    const storage = fixture.storage()
    expect(await storage.nextCheckpointId('job')).toBe(1)
    const source = await filled()
    expect(source.restoredCheckpointId).toBeUndefined()
    await storage.completeCheckpoint('job', 41, [await source.snapshot(41, storage)])
    expect(await storage.nextCheckpointId('job')).toBe(42)
    const restored = await fixture.backend({ restoreFrom: (await storage.latestCheckpoint('job'))!.handles })
    expect(restored.restoredCheckpointId).toBe(41)
    expect(restored.lastCompletedCheckpointId).toBe(41)
  })

  it('regression: snapshot ids at or below the restored or last completed checkpoint were accepted (their files leaked on abort); now refused before anything is written', async () => {
    const storage = fixture.storage()
    const source = await filled()
    await storage.completeCheckpoint('job', 41, [await source.snapshot(41, storage)])
    const restored = await fixture.backend({ restoreFrom: (await storage.latestCheckpoint('job'))!.handles })
    const before = await storage.list('')
    for (const stale of [3, 41]) {
      const refused = restored.snapshot(stale, storage)
      await expect(refused).rejects.toBeInstanceOf(CheckpointIdNotIncreasingError)
      await expect(refused).rejects.toMatchObject({ lastCheckpointId: 41, message: expect.stringMatching(/not above 41/) })
    }
    expect(await storage.list('')).toEqual(before)
    await restored.snapshot(42, storage)
    await expect(restored.snapshot(42, storage)).rejects.toMatchObject({ lastCheckpointId: 42 })
    await restored.notifyCheckpointComplete(50)
    await expect(restored.snapshot(45, storage)).rejects.toMatchObject({ lastCheckpointId: 50 })
    await restored.snapshot(51, storage)
  })
})
