import { describe, expect, it } from 'vitest'
import { Serializers as S, type KeyedStateBackend, type TimerService } from '../../lib'
import { incremental, useIncrementalFixture } from './incremental-fixture'

const fixture = useIncrementalFixture()

function heapTimers(backend: KeyedStateBackend<string>): TimerService<string, string> {
  return backend.timerService<string>({ name: 't-heap', namespaceSerializer: S.string, queue: 'heap', onTimer: () => undefined })
}

async function checkpoint(backend: KeyedStateBackend<string>, id: number) {
  const handle = incremental(await backend.snapshot(id))
  await fixture.storage().completeCheckpoint('job', id, [handle])
  await backend.notifyCheckpointComplete(id)
  return handle
}

async function restoredTimers(handle: unknown): Promise<number[]> {
  const restored = await fixture.backend({ restoreFrom: [handle] })
  const fired: number[] = []
  const service = restored.timerService<string>({ name: 't-heap', namespaceSerializer: S.string, queue: 'heap', onTimer: (timer) => void fired.push(timer.timestamp) })
  service.advanceWatermark(Number.MAX_SAFE_INTEGER)
  await restored.close()
  return fired.sort((a, b) => a - b)
}

describe('heap timers in incremental checkpoints', () => {
  it('regression: heap timers made every idle incremental checkpoint upload new SST files', async () => {
    const storage = fixture.storage({ retain: 5 })
    const backend = await fixture.backend()
    const values = backend.valueState('v', S.int32)
    const timers = heapTimers(backend)
    for (let i = 0; i < 200; i++) {
      backend.setCurrentKey(`k${i}`)
      values.update(i)
      timers.registerEventTimeTimer('w', i)
    }
    const first = await checkpoint(backend, 1)
    for (let id = 2; id <= 4; id++) {
      storage.reset()
      const idle = await checkpoint(backend, id)
      // The old code wrote the timers into their column family and deleted them after every snapshot: new SST files each time.
      expect(storage.uploadedKeys.filter((key) => key.startsWith('shared/')), `checkpoint ${id}`).toEqual([])
      expect(idle.sharedFiles).toEqual(first.sharedFiles)
    }
    expect(await restoredTimers(first)).toEqual(Array.from({ length: 200 }, (_, i) => i))
  })

  it('a changed heap timer set is written again: each checkpoint restores exactly its timers', async () => {
    fixture.storage({ retain: 5 })
    const backend = await fixture.backend()
    const timers = heapTimers(backend)
    backend.setCurrentKey('a')
    timers.registerEventTimeTimer('w', 10)
    timers.registerEventTimeTimer('w', 20)
    const first = await checkpoint(backend, 1)
    timers.deleteEventTimeTimer('w', 10)
    timers.registerEventTimeTimer('w', 30)
    const second = await checkpoint(backend, 2)
    timers.advanceWatermark(25)
    const third = await checkpoint(backend, 3)
    expect(await restoredTimers(first)).toEqual([10, 20])
    expect(await restoredTimers(second)).toEqual([20, 30])
    expect(await restoredTimers(third)).toEqual([30])
  })
})
