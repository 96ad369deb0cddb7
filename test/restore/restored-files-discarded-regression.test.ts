import { describe, expect, it } from 'vitest'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S, type KeyedStateHandle } from '../../lib'
import { contents, T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128

/** Opens an incremental backend of job 'next' over `storage` holding every key group, restored from `handles`. */
function openNextJob(storage: FsCheckpointStorage, handles: KeyedStateHandle[], clock: ManualClock) {
  return KeyedStateBackend.open({
    path: fixture.tempDir('next'),
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1),
    restoreFrom: handles,
    storage,
    incremental: true,
    jobId: 'next',
    clock,
  })
}

describe('regression: the checkpoint a backend restored from is discarded before its first checkpoint completes', () => {
  for (const [what, workers] of [
    ['rescaled 2 → 1', 2],
    ['same range', 1],
  ] as const) {
    it(`regression (${what}): every later checkpoint referenced the deleted restored files, so none could complete; now the missing ones are uploaded again`, async () => {
      const clock = new ManualClock(T0)
      const handles = await fixture.workersCheckpoint(workers, clock)
      const storage = new FsCheckpointStorage(fixture.storageRoot(), { retain: 1 })
      await storage.completeCheckpoint('job', 2, handles)
      const next = await openNextJob(storage, handles, clock)
      const expected = contents(next)
      try {
        // The old job goes away (or its retention moves on) while the new one has no complete checkpoint yet.
        await storage.discardCheckpoint('job', 2)
        const handle = await next.snapshot(3)
        await storage.completeCheckpoint('next', 3, [handle])
        await next.notifyCheckpointComplete(3)
      } finally {
        await next.close()
      }
      const latest = await storage.latestCheckpoint('next')
      expect(latest?.checkpointId).toBe(3)
      const restored = await openNextJob(storage, latest!.handles as KeyedStateHandle[], clock)
      try {
        expect(contents(restored)).toEqual(expected)
      } finally {
        await restored.close()
      }
    })
  }
})
