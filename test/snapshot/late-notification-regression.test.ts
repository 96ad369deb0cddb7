import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Serializers as S, type KeyedStateBackend } from '../../lib'
import { incremental, rawDump, useIncrementalFixture } from './incremental-fixture'

const fixture = useIncrementalFixture()

function write(backend: KeyedStateBackend<string>, state: string, keys: number, value: number): void {
  const values = backend.valueState(state, S.int32)
  for (let i = 0; i < keys; i++) {
    backend.setCurrentKey(`${state}${i}`)
    values.update(value + i)
  }
}

/**
 * Checkpoints 2 and 3 overlap (3 is taken before 2 is notified); both complete in the storage
 * (retain 1), but the notification of 3 is lost, so the backend's base stays checkpoint 2, whose
 * files retention discarded when 3 completed.
 */
async function overlapWithLostNotification(backend: KeyedStateBackend<string>) {
  const storage = fixture.storage({ retain: 1 })
  write(backend, 'v', 500, 0)
  const first = incremental(await backend.snapshot(1))
  await storage.completeCheckpoint('job', 1, [first])
  await backend.notifyCheckpointComplete(1)
  // A state written once: its SST file is never compacted again, so it stays in every checkpoint.
  write(backend, 'w', 100, 0)
  const second = incremental(await backend.snapshot(2))
  const third = incremental(await backend.snapshot(3))
  await storage.completeCheckpoint('job', 2, [second])
  await backend.notifyCheckpointComplete(2)
  await storage.completeCheckpoint('job', 3, [third]) // its notification is lost
  return { second, third }
}

describe('incremental checkpoints with late or lost notifications', () => {
  it('regression: a lost notifyCheckpointComplete after overlapping snapshots made every later checkpoint fail (file missing)', async () => {
    const storage = fixture.storage({ retain: 1 })
    const backend = await fixture.backend()
    await overlapWithLostNotification(backend)
    for (let id = 4; id <= 8; id++) {
      write(backend, 'v', 50, id * 1000)
      const handle = incremental(await backend.snapshot(id))
      // The old code diffed against checkpoint 2's fresh keys, which completing 3 deleted: CorruptCheckpointError "is missing", every time.
      await storage.completeCheckpoint('job', id, [handle])
      await backend.notifyCheckpointComplete(id)
    }
    const latest = (await storage.latestCheckpoint('job'))!
    expect(latest.checkpointId).toBe(8)
    const restored = await fixture.backend({ restoreFrom: latest.handles })
    expect(rawDump(restored)).toEqual(rawDump(backend))
  })

  it('overlapping snapshots share one key per SST file: the later one references what the earlier uploaded', async () => {
    const storage = fixture.storage({ retain: 1 })
    const backend = await fixture.backend()
    const { second, third } = await overlapWithLostNotification(backend)
    for (const [name, ref] of Object.entries(second.sharedFiles)) expect(third.sharedFiles[name]).toEqual(ref)
    // Retention discarded checkpoint 2, yet every file checkpoint 3 holds is there.
    for (const ref of Object.values(third.sharedFiles)) expect(existsSync(path.join(storage.root, ref.key)), ref.key).toBe(true)
  })

  it('aborting a snapshot keeps the shared files an overlapping pending snapshot references', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 'v', 500, 0)
    const aborted = incremental(await backend.snapshot(1))
    const pending = incremental(await backend.snapshot(2))
    expect(pending.sharedFiles).toEqual(aborted.sharedFiles)
    await backend.notifyCheckpointAborted(1)
    for (const ref of Object.values(pending.sharedFiles)) expect(existsSync(path.join(storage.root, ref.key)), ref.key).toBe(true)
    for (const ref of Object.values(aborted.privateFiles)) expect(existsSync(path.join(storage.root, ref.key)), ref.key).toBe(false)
    await storage.completeCheckpoint('job', 2, [pending])
    const restored = await fixture.backend({ restoreFrom: [pending] })
    expect(rawDump(restored)).toEqual(rawDump(backend))
  })
})
