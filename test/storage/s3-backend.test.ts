import { existsSync } from 'node:fs'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  assignToKeyGroup,
  CheckpointStorageError,
  CorruptCheckpointError,
  type FullKeyedStateHandle,
  KeyGroupRange,
  KeyedStateBackend,
  Serializers as S,
} from '../../lib'
import type { S3CheckpointStorage } from '../../lib/storage/s3-checkpoint-storage'
import { useS3Server } from '../helpers/s3-server'
import { useTempDirs } from '../helpers/temp-dir'
import { expectContents, expectEachKeyOnExactlyOneWorker, fill, keys } from '../snapshot/snapshot-contents'

// Whole backends checkpointing to and restoring from s3rver, with the filesystem tests' assertions.
const s3 = useS3Server()
const tempDir = useTempDirs()
const MAX_PARALLELISM = 128
const opened: KeyedStateBackend<string>[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((backend) => backend.close()))
})

async function backend(storage: S3CheckpointStorage, options: { range?: KeyGroupRange; restoreFrom?: unknown[]; path?: string } = {}) {
  const opening = KeyedStateBackend.open({
    path: options.path ?? tempDir('instance'),
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: options.range ?? new KeyGroupRange(0, MAX_PARALLELISM - 1),
    restoreFrom: options.restoreFrom,
    storage,
  })
  opened.push(await opening)
  return opened.at(-1)!
}

async function storage(): Promise<S3CheckpointStorage> {
  return s3.storage({ bucket: await s3.bucket(), prefix: 'jobs-root' })
}

/** Every job checkpoint's handles as a restarted worker gets them: from the latest manifest, through JSON. */
async function latestHandles(store: S3CheckpointStorage): Promise<unknown[]> {
  const latest = await store.latestCheckpoint('job')
  return JSON.parse(JSON.stringify(latest!.handles))
}

describe('backends on S3 checkpoint storage', () => {
  it('a full checkpoint round-trips every state kind through S3 and the job manifest', async () => {
    const store = await storage()
    const source = await backend(store)
    fill(source, keys)
    const handle = (await source.snapshot(await store.nextCheckpointId('job'))) as FullKeyedStateHandle
    expect(handle).toMatchObject({ kind: 'full', checkpointId: 1 })
    expect(await store.stat(handle.stream.key)).toEqual({ size: handle.stream.size })
    await store.completeCheckpoint('job', 1, [handle])
    await source.notifyCheckpointComplete(1)

    const restored = await backend(store, { restoreFrom: await latestHandles(store) })
    expectContents(restored, keys, keys)
    expect(restored.numEntries()).toBe(source.numEntries())
    expect([...restored.getKeys('value')].sort()).toEqual([...keys].sort())
    expect(restored.lastCompletedCheckpointId).toBe(1)
    expect(await store.nextCheckpointId('job')).toBe(2)
  })

  it('keeps `retain` job checkpoints on S3 and deletes the streams of older ones', async () => {
    const store = await storage()
    const source = await backend(store)
    fill(source, keys.slice(0, 50))
    const streams: string[] = []
    for (let id = 1; id <= 3; id++) {
      const handle = (await source.snapshot(id)) as FullKeyedStateHandle
      streams.push(handle.stream.key)
      await store.completeCheckpoint('job', id, [handle])
    }
    expect(await store.checkpoints('job')).toEqual([3])
    expect(await store.list('chk-')).toEqual([streams[2]])
  })

  for (const workers of [1, 2, 3]) {
    it(`rescales a 2-worker job checkpoint on S3 into ${workers} worker(s)`, async () => {
      const store = await storage()
      const handles: unknown[] = []
      for (let index = 0; index < 2; index++) {
        const range = KeyGroupRange.forOperator(MAX_PARALLELISM, 2, index)
        const worker = await backend(store, { range })
        fill(worker, keys.filter((key) => range.contains(assignToKeyGroup(key, MAX_PARALLELISM, S.string))), keys)
        handles.push(await worker.snapshot(1))
      }
      await store.completeCheckpoint('job', 1, handles)

      const restoreFrom = await latestHandles(store)
      await expectEachKeyOnExactlyOneWorker(MAX_PARALLELISM, workers, keys, (range) => backend(store, { range, restoreFrom }))
    })
  }

  it('a stream altered or deleted behind its back fails the restore with CorruptCheckpointError and leaves no instance', async () => {
    const store = await storage()
    const source = await backend(store)
    fill(source, keys.slice(0, 100))
    const handle = (await source.snapshot(1)) as FullKeyedStateHandle
    await store.completeCheckpoint('job', 1, [handle])
    const client = s3.server.client()
    const object = { Bucket: store.bucket, Key: store.prefix + handle.stream.key }
    const original = Buffer.from(await (await client.send(new GetObjectCommand(object))).Body!.transformToByteArray())
    const instance = tempDir('restored')

    const altered = Buffer.from(original)
    altered[Math.floor(altered.length / 2)] ^= 0x01
    await client.send(new PutObjectCommand({ ...object, Body: altered }))
    await expect(backend(store, { path: instance, restoreFrom: await latestHandles(store) })).rejects.toThrow(CorruptCheckpointError)
    await expect(backend(store, { path: instance, restoreFrom: await latestHandles(store) })).rejects.toThrow(/SHA-256/)
    expect(existsSync(instance)).toBe(false)

    await client.send(new DeleteObjectCommand(object))
    await expect(backend(store, { path: instance, restoreFrom: await latestHandles(store) })).rejects.toThrow(/missing/)
    expect(existsSync(instance)).toBe(false)

    await client.send(new PutObjectCommand({ ...object, Body: original }))
    expectContents(await backend(store, { path: instance, restoreFrom: await latestHandles(store) }), keys.slice(0, 100), keys)
    client.destroy()
  })

  it('a snapshot while the server is down fails with CheckpointStorageError, and no checkpoint is recorded', async () => {
    const store = s3.storage({ bucket: await s3.bucket(), retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } })
    const source = await backend(store)
    fill(source, keys.slice(0, 100))
    await s3.server.stop()
    let failure: unknown
    try {
      failure = await source.snapshot(1).catch((error: unknown) => error)
    } finally {
      await s3.server.start()
    }
    expect(failure).toBeInstanceOf(CheckpointStorageError)
    expect(await store.list('')).toEqual([])
    expect(await store.latestCheckpoint('job')).toBeUndefined()
    // Up again: the next snapshot goes through.
    const handle = await source.snapshot(2)
    await store.completeCheckpoint('job', 2, [handle])
    expect(await store.checkpoints('job')).toEqual([2])
  })
})
