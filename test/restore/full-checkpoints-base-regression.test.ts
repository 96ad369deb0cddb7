import { describe, expect, it } from 'vitest'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S, type KeyedStateHandle } from '../../lib'
import { contents, T0, useRescaleFixture, writeState } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128

function open(storage: FsCheckpointStorage, clock: ManualClock, range: KeyGroupRange, restoreFrom: KeyedStateHandle[] = []) {
  return KeyedStateBackend.open({
    path: fixture.tempDir('worker'),
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: range,
    restoreFrom,
    storage,
    incremental: true,
    jobId: 'job',
    clock,
  })
}

/**
 * A worker holding `writeState` runs `before` (checkpoints up to 3), then takes incremental
 * checkpoint 4, which must complete and restore to what the worker held.
 */
async function expectCheckpoint4Restores(retain: number, before: (worker: KeyedStateBackend<string>, storage: FsCheckpointStorage) => Promise<void>) {
  const clock = new ManualClock(T0)
  const storage = new FsCheckpointStorage(fixture.storageRoot(), { retain })
  const whole = new KeyGroupRange(0, MAX_PARALLELISM - 1)
  const worker = await open(storage, clock, whole)
  let expected: Record<string, string[]>
  try {
    writeState(worker, clock, 300)
    await before(worker, storage)
    expected = contents(worker)
    await storage.completeCheckpoint('job', 4, [await worker.snapshot(4)])
    await worker.notifyCheckpointComplete(4)
  } finally {
    await worker.close()
  }
  const latest = await storage.latestCheckpoint('job')
  expect(latest?.checkpointId).toBe(4)
  const restored = await open(storage, clock, whole, latest!.handles as KeyedStateHandle[])
  try {
    expect(contents(restored)).toEqual(expected)
  } finally {
    await restored.close()
  }
}

describe('regression: full checkpoints between incremental ones (a mixed handle set)', () => {
  for (const notified of [true, false]) {
    it(`regression: once full checkpoints pushed the last incremental one out of retention, every later incremental checkpoint referenced its deleted files and none could complete (full checkpoints ${notified ? 'notified' : 'whose notifications were lost'})`, async () => {
      await expectCheckpoint4Restores(2, async (worker, storage) => {
        // Checkpoint 1 incremental (the base of the next), then two full ones: retention (2) discards 1 and its files.
        await storage.completeCheckpoint('job', 1, [await worker.snapshot(1)])
        await worker.notifyCheckpointComplete(1)
        for (const id of [2, 3]) {
          await storage.completeCheckpoint('job', id, [await worker.snapshot(id, { type: 'full' })])
          if (notified) await worker.notifyCheckpointComplete(id)
        }
        expect(await storage.checkpoints('job')).toEqual([2, 3])
      })
    })
  }

  it('an incremental checkpoint whose notification arrives after a full snapshot was taken: its files, pushed out of retention by that full checkpoint, are uploaded again', async () => {
    await expectCheckpoint4Restores(1, async (worker, storage) => {
      const second = await worker.snapshot(2)
      const third = await worker.snapshot(3, { type: 'full' })
      await storage.completeCheckpoint('job', 2, [second])
      await storage.completeCheckpoint('job', 3, [third])
      // Late: checkpoint 2 becomes the base after the full snapshot 3 was taken (and discarded it).
      await worker.notifyCheckpointComplete(2)
    })
  })
})
