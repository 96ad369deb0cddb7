import { describe, expect, it } from 'vitest'
import { assignToKeyGroup, FsCheckpointStorage, KeyGroupRange, ManualClock, RocksDB, Serializers as S, type IncrementalKeyedStateHandle, type KeyedStateBackend, type KeyedStateHandle } from '../../lib'
import { contents, T0, union, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128
const asIs = RocksDB.canIngestDbGeneratedFiles

function incremental(handle: KeyedStateHandle): IncrementalKeyedStateHandle {
  if (handle.kind !== 'incremental') throw new Error('expected an incremental handle')
  return handle
}

/** The keys of a handle's shared files, and those of them in the storage area of backend `backendId`. */
function sharedKeys(handle: KeyedStateHandle, backendId?: string): string[] {
  const keys = Object.values(incremental(handle).sharedFiles).map((ref) => ref.key)
  return backendId === undefined ? keys : keys.filter((key) => key.startsWith(`shared/${backendId}/`))
}

/**
 * Restores `handles` into `parallelism` workers and takes their checkpoint `id` (incremental),
 * returning the workers (open) and their handles.
 */
async function rescaled(handles: KeyedStateHandle[], parallelism: number, id: number, clock: ManualClock) {
  const workers: KeyedStateBackend<string>[] = []
  for (let i = 0; i < parallelism; i++) {
    workers.push(await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: KeyGroupRange.forOperator(MAX_PARALLELISM, parallelism, i), restoreFrom: handles, clock }))
  }
  return { workers, handles: await Promise.all(workers.map((worker) => worker.snapshot(id))) }
}

/** The contents `parallelism` workers restored from `handles` hold, worker by worker. */
async function restoredContents(handles: KeyedStateHandle[], parallelism: number, clock: ManualClock) {
  const parts: Record<string, string[]>[] = []
  for (let i = 0; i < parallelism; i++) {
    const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: KeyGroupRange.forOperator(MAX_PARALLELISM, parallelism, i), restoreFrom: handles, clock })
    parts.push(contents(worker))
    await fixture.close(worker)
  }
  return parts
}

describe(`the first checkpoint after a rescaled restore references the restored shared files (RocksDB ${RocksDB.version}, ${RocksDB.build})`, () => {
  it(`scale-in 2 → 1: the base's files${asIs ? ' and the files ingested as they are' : ''} are referenced, not uploaded; retention keeps them while a retained checkpoint uses them and deletes them once none does`, async () => {
    const clock = new ManualClock(T0)
    // Compacted: every key at sequence number 0, so RocksDB 9.10 can ingest the second handle's files as they are.
    const before = await fixture.workersCheckpoint(2, clock, { compact: true })
    const retained = new FsCheckpointStorage(fixture.storageRoot(), { retain: 1 })
    await retained.completeCheckpoint('job', 2, before)
    const [base, other] = before.map(incremental)
    const { workers, handles } = await rescaled(before, 1, 3, clock)
    const merged = workers[0]!
    const after = incremental(handles[0]!)
    // Nothing was written since the restore: every base file is referenced under its old key, none uploaded again.
    expect(sharedKeys(after, base!.backendId).sort()).toEqual(sharedKeys(base!).sort())
    if (asIs) {
      // Files ingested as they are: referenced too, so the checkpoint uploads no SST file at all.
      expect(sharedKeys(after, other!.backendId).sort()).toEqual(sharedKeys(other!).sort())
      expect(sharedKeys(after, merged.backendId)).toEqual([])
    } else {
      // Exported into new SST files: uploaded under the new backend's key.
      expect(sharedKeys(after, other!.backendId)).toEqual([])
      expect(sharedKeys(after, merged.backendId).length).toBeGreaterThan(0)
    }
    // Checkpoint 3 replaces 2 (retain 1): the files 3 references stay, wherever they were uploaded; it restores.
    const expected = await restoredContents(before, 1, clock)
    await retained.completeCheckpoint('job', 3, handles)
    expect(await retained.checkpoints('job')).toEqual([3])
    for (const ref of Object.values(after.sharedFiles)) expect(await retained.stat(ref.key), ref.key).toEqual({ size: ref.size })
    expect(await restoredContents(handles, 1, clock)).toEqual(expected)
    // Once compaction rewrote every file, checkpoint 4 references none of the old ones: retention deletes them.
    await merged.notifyCheckpointComplete(3)
    for (const cf of merged.db.columnFamilies()) await merged.db.compactRange(cf)
    const latest = incremental(await merged.snapshot(4))
    expect(sharedKeys(latest).every((key) => key.startsWith(`shared/${merged.backendId}/`))).toBe(true)
    await retained.completeCheckpoint('job', 4, [latest])
    for (const old of [base!, other!]) expect(await retained.list(`shared/${old.backendId}/`)).toEqual([])
    expect(await restoredContents([latest], 1, clock)).toEqual(expected)
  })

  it('scale-out 1 → 2: both workers install one base and reference the files their halves keep; retention deletes a file once neither worker’s retained checkpoint uses it', async () => {
    const clock = new ManualClock(T0)
    const whole = await fixture.backend({ maxParallelism: MAX_PARALLELISM, clock })
    const value = whole.valueState('v', S.int32)
    const cf = whole.db.columnFamily('v')
    // One file per quarter of the key groups, below level 0: each lies wholly inside one half.
    for (let quarter = 0; quarter < 4; quarter++) {
      for (let i = 0; i < 2000; i++) {
        if (Math.floor(assignToKeyGroup(`k${i}`, MAX_PARALLELISM, S.string) / 32) !== quarter) continue
        whole.setCurrentKey(`k${i}`)
        value.update(i)
      }
      await whole.db.flush(cf)
      await whole.db.compactRange(cf, Buffer.from([quarter * 32]), Buffer.from([quarter * 32 + 32]))
    }
    const first = incremental(await whole.snapshot(1))
    const expected = contents(whole)
    await fixture.close(whole)
    expect(sharedKeys(first)).toHaveLength(4)
    const retained = new FsCheckpointStorage(fixture.storageRoot(), { retain: 1 })
    await retained.completeCheckpoint('job', 1, [first])
    const { workers, handles } = await rescaled([first], 2, 2, clock)
    // Each worker references the two files of its half under their old keys, uploads none of them again.
    const [low, high] = handles.map((handle) => sharedKeys(handle, first.backendId).sort())
    expect(low).toHaveLength(2)
    expect(high).toHaveLength(2)
    expect([...low!, ...high!].sort()).toEqual(sharedKeys(first).sort())
    await retained.completeCheckpoint('job', 2, handles)
    expect((await retained.list(`shared/${first.backendId}/`)).sort()).toEqual(sharedKeys(first).sort())
    expect(union(await restoredContents(handles, 1, clock))).toEqual(expected)
    // The low worker's compaction rewrites its files; the high worker's checkpoint still uses its two.
    await Promise.all(workers.map((worker) => worker.notifyCheckpointComplete(2)))
    await workers[0]!.db.compactRange(workers[0]!.db.columnFamily('v'))
    const third = await Promise.all(workers.map((worker) => worker.snapshot(3)))
    expect(sharedKeys(third[0]!, first.backendId)).toEqual([])
    expect(sharedKeys(third[1]!, first.backendId).sort()).toEqual(high)
    await retained.completeCheckpoint('job', 3, third)
    expect((await retained.list(`shared/${first.backendId}/`)).sort()).toEqual(high)
    expect(union(await restoredContents(third, 1, clock))).toEqual(expected)
  })
})

