import { DeleteObjectCommand } from '@aws-sdk/client-s3'
import { afterEach, describe, expect, it } from 'vitest'
import { CorruptCheckpointError, KeyGroupRange, KeyedStateBackend, Serializers as S, type KeyedStateHandle } from '../../lib'
import type { S3CheckpointStorage } from '../../lib/storage/s3-checkpoint-storage'
import { useS3Server } from '../helpers/s3-server'
import { useTempDirs } from '../helpers/temp-dir'
import { incremental, MAX_PARALLELISM, rawDump } from '../snapshot/incremental-fixture'

// Incremental checkpoints of whole backends on s3rver, with the filesystem tests' assertions.
const s3 = useS3Server()
const tempDir = useTempDirs()
const opened: KeyedStateBackend<string>[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((backend) => backend.close()))
})

async function backend(storage: S3CheckpointStorage, options: { range?: KeyGroupRange; restoreFrom?: unknown[] } = {}) {
  const opening = await KeyedStateBackend.open({
    path: tempDir('instance'),
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: options.range ?? new KeyGroupRange(0, MAX_PARALLELISM - 1),
    restoreFrom: options.restoreFrom,
    storage,
    incremental: true,
  })
  opened.push(opening)
  return opening
}

function write(backend: KeyedStateBackend<string>, round: number, keys: number): void {
  const value = backend.valueState('value', S.int32)
  const list = backend.listState('list', S.string, { ttl: { seconds: 100 } })
  for (let i = 0; i < keys; i++) {
    backend.setCurrentKey(`k${(i * 7 + round) % 500}`)
    value.update(round * 1000 + i)
    list.add(`r${round}-${i}`)
  }
}

/** Checkpoint `id`: snapshot, complete in storage, notify. */
async function checkpoint(store: S3CheckpointStorage, source: KeyedStateBackend<string>, id: number) {
  const handle = incremental(await source.snapshot(id))
  await store.completeCheckpoint('job', id, [handle])
  await source.notifyCheckpointComplete(id)
  return handle
}

const sharedKeys = (handle: KeyedStateHandle) => Object.values(incremental(handle).sharedFiles).map((ref) => ref.key)

describe('incremental checkpoints on S3', () => {
  it('reference the shared files already uploaded, restore exactly, and retention deletes exactly the unreferenced ones', async () => {
    const store = s3.storage({ bucket: await s3.bucket(), prefix: 'incremental', retain: 2 })
    const source = await backend(store)
    const taken: { handle: KeyedStateHandle; dump: Record<string, string[]> }[] = []
    for (let id = 1; id <= 4; id++) {
      write(source, id, 300)
      if (id === 3) await source.db.compactRange(source.db.columnFamily('value'))
      const dump = rawDump(source)
      taken.push({ handle: await checkpoint(store, source, id), dump })
    }
    // Checkpoint 2 uploaded only new files and references checkpoint 1's under their first keys.
    const [first, second] = taken.map((t) => new Set(sharedKeys(t.handle)))
    expect([...first!].filter((key) => second!.has(key))).toEqual([...first!])
    expect(second!.size).toBeGreaterThan(first!.size)
    // Retained: 3 and 4; the shared files in S3 are exactly theirs.
    expect(await store.checkpoints('job')).toEqual([3, 4])
    const retained = new Set([...sharedKeys(taken[2]!.handle), ...sharedKeys(taken[3]!.handle)])
    expect(await store.list('shared/')).toEqual([...retained].sort())
    // The compaction before checkpoint 3 replaced files of checkpoint 1: those are gone from S3.
    expect(sharedKeys(taken[0]!.handle).filter((key) => !retained.has(key))).not.toEqual([])
    for (const { handle, dump } of taken.slice(2)) {
      const restored = await backend(store, { restoreFrom: [JSON.parse(JSON.stringify(handle))] })
      expect(rawDump(restored)).toEqual(dump)
      expect(restored.restoredCheckpointId).toBe(handle.checkpointId)
    }
  })

  it('rescales an incremental checkpoint on S3 into two workers and back', async () => {
    const store = s3.storage({ bucket: await s3.bucket() })
    const whole = await backend(store)
    write(whole, 1, 500)
    const handle = await checkpoint(store, whole, 1)
    const dump = rawDump(whole)
    const halves = [0, 1].map((i) => KeyGroupRange.forOperator(MAX_PARALLELISM, 2, i))
    const parts: Record<string, string[]>[] = []
    const handles: KeyedStateHandle[] = []
    for (const range of halves) {
      const half = await backend(store, { range, restoreFrom: (await store.latestCheckpoint('job'))!.handles })
      parts.push(rawDump(half))
      handles.push(await half.snapshot(2))
    }
    for (const name of Object.keys(dump)) expect([...parts[0]![name]!, ...parts[1]![name]!]).toEqual(dump[name])
    await store.completeCheckpoint('job', 2, handles)
    const merged = await backend(store, { restoreFrom: (await store.latestCheckpoint('job'))!.handles })
    expect(rawDump(merged)).toEqual(dump)
    expect(handle.kind).toBe('incremental')
  })

  it('a shared file deleted behind its back fails the restore with CorruptCheckpointError', async () => {
    const store = s3.storage({ bucket: await s3.bucket() })
    const source = await backend(store)
    write(source, 1, 300)
    const handle = await checkpoint(store, source, 1)
    const client = s3.server.client()
    await client.send(new DeleteObjectCommand({ Bucket: store.bucket, Key: store.prefix + sharedKeys(handle)[0] }))
    client.destroy()
    await expect(backend(store, { restoreFrom: [handle] })).rejects.toThrow(CorruptCheckpointError)
  })
})
