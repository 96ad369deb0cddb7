import { describe, expect, it } from 'vitest'
import { KeyGroupRange, Serializers as S, type KeyedStateBackend, type KeyedStateHandle } from '../../lib'
import { collectFileRefs } from '../../lib/storage/file-ref'
import { incremental, rawDump, useIncrementalFixture } from '../snapshot/incremental-fixture'
import type { CountingStorage } from './counting-storage'

const fixture = useIncrementalFixture()

function write(backend: KeyedStateBackend<string>, round: number, keys: number): void {
  const state = backend.valueState('v', S.int32)
  for (let i = 0; i < keys; i++) {
    try {
      backend.setCurrentKey(`k${(round * 37 + i) % 3000}`)
    } catch {
      continue // a key of the other worker's key groups
    }
    state.update(round)
  }
}

/** Every checkpoint file the storage holds (job manifests aside). */
async function storedFiles(storage: CountingStorage): Promise<string[]> {
  return [...(await storage.list('shared/')), ...(await storage.list('chk-'))].sort()
}

function referenced(handles: readonly unknown[]): string[] {
  return [...new Set(collectFileRefs(handles).map((ref) => ref.key))].sort()
}

describe('shared files in checkpoint storage', () => {
  it('retention 2 over 10 incremental checkpoints deletes exactly the files no retained checkpoint references', async () => {
    const storage = fixture.storage({ retain: 2 })
    const backend = await fixture.backend()
    const retained: KeyedStateHandle[][] = []
    let everShared = 0
    for (let id = 1; id <= 10; id++) {
      write(backend, id, 400)
      // Compactions rewrite files: older checkpoints' SST files leave the newer ones' file sets.
      if (id % 3 === 0) await backend.db.compactRange(backend.db.columnFamily('v'))
      const handle = incremental(await backend.snapshot(id))
      everShared += Object.keys(handle.sharedFiles).length
      await storage.completeCheckpoint('job', id, [handle])
      await backend.notifyCheckpointComplete(id)
      retained.push([handle])
      expect(await storage.checkpoints('job')).toEqual(id === 1 ? [1] : [id - 1, id])
      expect(await storedFiles(storage)).toEqual(referenced(retained.slice(-2)))
    }
    // Shared files were referenced across checkpoints and some were deleted along the way.
    expect(new Set(retained.flatMap(([h]) => Object.values(incremental(h!).sharedFiles).map((r) => r.key))).size).toBeLessThan(everShared)
    const latest = (await storage.latestCheckpoint('job'))!
    const restored = await fixture.backend({ restoreFrom: latest.handles })
    expect(rawDump(restored)).toEqual(rawDump(backend))
  })

  it('two workers of one job and a worker of another job share one storage root without interfering', async () => {
    const storage = fixture.storage({ retain: 1 })
    const left = await fixture.backend({ range: new KeyGroupRange(0, 63), jobId: 'a' })
    const right = await fixture.backend({ range: new KeyGroupRange(64, 127), jobId: 'a' })
    const other = await fixture.backend({ jobId: 'b' })
    let otherHandle: KeyedStateHandle | undefined
    for (let id = 1; id <= 4; id++) {
      for (const backend of [left, right, other]) write(backend, id, 300)
      const handles = (await Promise.all([left.snapshot(id), right.snapshot(id)])).map(incremental)
      await storage.completeCheckpoint('a', id, handles)
      for (const backend of [left, right]) await backend.notifyCheckpointComplete(id)
      if (id === 1) {
        otherHandle = incremental(await other.snapshot(id))
        await storage.completeCheckpoint('b', id, [otherHandle])
        await other.notifyCheckpointComplete(id)
      }
      // Each worker's files are under its own backend id.
      for (const [handle, backend] of [[handles[0]!, left], [handles[1]!, right]] as const) {
        for (const ref of Object.values(handle.sharedFiles)) expect(ref.key.startsWith(`shared/${backend.backendId}/`)).toBe(true)
      }
      expect(await storedFiles(storage)).toEqual(referenced([...handles, otherHandle]))
    }
    const latest = (await storage.latestCheckpoint('a'))!
    for (const [range, live] of [[new KeyGroupRange(0, 63), left], [new KeyGroupRange(64, 127), right]] as const) {
      const restored = await fixture.backend({ range, restoreFrom: latest.handles })
      expect(rawDump(restored)).toEqual(rawDump(live))
    }
    // Job b's checkpoint 1 kept every file through job a's retention.
    const restoredOther = await fixture.backend({ restoreFrom: [otherHandle] })
    expect(restoredOther.numEntries('v')).toBeGreaterThan(0)
  })
})
