import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, InvalidHandleSetError, KeyGroupRange, KeyedStateBackend, Serializers as S, type FullKeyedStateHandle } from '../../lib'
import { reseal } from '../snapshot/reseal'
import { MAX_PARALLELISM, useSnapshotFixture } from '../snapshot/snapshot-fixture'

const fixture = useSnapshotFixture()
const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`)

/** The handles of a 3-worker job's checkpoint `id`, every worker holding its share of `keys`. */
async function threeWorkers(id: number, jobId?: string): Promise<FullKeyedStateHandle[]> {
  const handles: FullKeyedStateHandle[] = []
  for (let index = 0; index < 3; index++) {
    const range = KeyGroupRange.forOperator(MAX_PARALLELISM, 3, index)
    const worker = await KeyedStateBackend.open({
      path: fixture.tempDir(`worker-${index}`),
      keySerializer: S.string,
      maxParallelism: MAX_PARALLELISM,
      keyGroupRange: range,
      jobId,
    })
    const state = worker.valueState('v', S.int32)
    for (const [i, key] of keys.entries()) {
      try {
        worker.setCurrentKey(key)
      } catch {
        continue
      }
      state.update(i)
    }
    handles.push((await worker.snapshot(id, fixture.storage())) as FullKeyedStateHandle)
    await worker.close()
  }
  return handles
}

function restoreAll(restoreFrom: unknown[], path = fixture.tempDir('restored')) {
  return fixture.backend({ path, restoreFrom })
}

describe('regression: restore takes one checkpoint covering its range exactly once', () => {
  it('regression: 2 of 3 workers\' handles used to restore a third of the data silently; now InvalidHandleSetError naming the missing key groups', async () => {
    const [first, middle, last] = await threeWorkers(1)
    const instance = fixture.tempDir('restored')
    const error = await restoreAll([first, last], instance).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'InvalidHandleSet' })
    expect(error).toBeInstanceOf(InvalidHandleSetError)
    expect((error as InvalidHandleSetError).uncovered).toEqual([middle!.keyGroupRange])
    expect((error as Error).message).toContain(`${middle!.keyGroupRange.start}-${middle!.keyGroupRange.end} are in no handle`)
    expect(existsSync(instance)).toBe(false)
    const restored = await restoreAll([first, middle, last])
    expect(restored.numEntries('v')).toBe(keys.length)
  })

  it('key groups in two handles are named; handles of two checkpoints or two jobs are refused', async () => {
    const handles = await threeWorkers(1, 'job-a')
    const twice = await restoreAll([...handles, handles[1]]).catch((caught: unknown) => caught)
    expect(twice).toBeInstanceOf(InvalidHandleSetError)
    expect((twice as InvalidHandleSetError).doublyCovered).toEqual([handles[1]!.keyGroupRange])
    const later = await threeWorkers(2, 'job-a')
    await expect(restoreAll([handles[0], later[1], handles[2]])).rejects.toThrow(/different checkpoints \(1, 2\)/)
    const otherJob = await threeWorkers(1, 'job-b')
    await expect(restoreAll([handles[0], otherJob[1], handles[2]])).rejects.toThrow(/different jobs/)
    // A worker that only needs the first handle's key groups still checks the set it was given.
    await expect(fixture.backend({ range: KeyGroupRange.forOperator(MAX_PARALLELISM, 3, 0), restoreFrom: [handles[0], later[1]] })).rejects.toBeInstanceOf(
      InvalidHandleSetError,
    )
  })

  it('regression: zeroed keyGroupOffsets used to restore 0 entries "successfully"; the handle checksum now refuses them', async () => {
    const source = await fixture.backend()
    const state = source.valueState('v', S.int32)
    for (const [i, key] of keys.entries()) {
      source.setCurrentKey(key)
      state.update(i)
    }
    const handle = (await source.snapshot(5, fixture.storage())) as FullKeyedStateHandle
    const zeroed = { ...handle, keyGroupOffsets: handle.keyGroupOffsets.map(() => 0) }
    const instance = fixture.tempDir('restored')
    await expect(restoreAll([zeroed], instance)).rejects.toThrow(CorruptCheckpointError)
    await expect(restoreAll([zeroed], instance)).rejects.toThrow(/checksum/)
    // Every field is covered, not only the offsets.
    for (const altered of [{ checkpointId: 6 }, { keyGroupRange: { start: 0, end: 126 }, keyGroupOffsets: handle.keyGroupOffsets.slice(0, 127) }, { stream: { ...handle.stream, size: 1 } }, { jobId: 'x' }]) {
      await expect(restoreAll([{ ...handle, ...altered }], instance)).rejects.toThrow(/checksum/)
    }
    expect(existsSync(instance)).toBe(false)
    const restored = await restoreAll([JSON.parse(JSON.stringify(handle))])
    expect(restored.numEntries('v')).toBe(keys.length)
  })

  it('a resealed handle pointing at another checkpoint\'s or another worker\'s stream is refused', async () => {
    const [first, middle] = await threeWorkers(1)
    const later = await threeWorkers(2)
    const wrongCheckpoint = reseal({ ...first!, stream: later[0]!.stream, keyGroupOffsets: later[0]!.keyGroupOffsets })
    const range = KeyGroupRange.fromJSON(first!.keyGroupRange)
    await expect(fixture.backend({ range, restoreFrom: [wrongCheckpoint] })).rejects.toThrow(/holds checkpoint 2/)
    const wrongWorker = reseal({ ...middle!, keyGroupRange: first!.keyGroupRange, keyGroupOffsets: first!.keyGroupOffsets })
    await expect(fixture.backend({ range, restoreFrom: [wrongWorker] })).rejects.toThrow(CorruptCheckpointError)
  })
})
