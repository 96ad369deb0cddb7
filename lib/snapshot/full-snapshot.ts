import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { FullSnapshotWriter } from '../format/full-snapshot-writer'
import type { Compression } from '../format/full-snapshot-format'
import type { KeyGroupRange } from '../keygroups/key-group-range'
import type { ColumnFamily } from '../native/column-family'
import type { RocksDB } from '../native/rocksdb'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { checkpointFileKey } from '../storage/layout'
import type { StateMeta } from '../state/state-meta'
import { sealHandle, type FullKeyedStateHandle } from './keyed-state-handle'
import { MemoryBatchSource, mergeByKeyGroup } from './merge-iterator'
import { snapshotMetadata } from './state-snapshot-meta'

export interface SnapshotProgress {
  /** Full snapshots: entries and key groups written so far (incremental checkpoints: 0). */
  entries: number
  keyGroups: number
  /** Full snapshots: key and value bytes written; incremental checkpoints: bytes uploaded. */
  bytes: number
}

export interface SnapshotOptions {
  /**
   * Absent: incremental on a backend opened with `incremental: true`, else full. 'full' and
   * 'savepoint' are always a full, self-contained snapshot (a savepoint references no shared file).
   */
  type?: 'full' | 'savepoint'
  /** Full snapshots only: incremental checkpoints upload RocksDB's SST files as they are. */
  compression?: Compression
  signal?: AbortSignal
  onProgress?: (progress: SnapshotProgress) => void
}

/** What a full snapshot reads from its backend. */
export interface FullSnapshotSource {
  db: RocksDB
  backendId: string
  /** Recorded in the handle when set. */
  jobId?: string
  keySerializer: string
  maxParallelism: number
  keyGroupPrefixBytes: 1 | 2
  keyGroupRange: KeyGroupRange
  /** States in kvStateId order: a column family to read on the snapshot, or entries copied from memory. */
  states: { meta: StateMeta; cf?: ColumnFamily; entries?: (readonly [Buffer, Buffer])[] }[]
  /** A local directory for the stream file before it is uploaded. */
  workDirectory: string
}

/**
 * A full snapshot in two parts. `start` is the short synchronous part: one RocksDB snapshot
 * and an iterator per state on it, so the snapshot is exactly the state at this call while
 * the service keeps writing. The returned promise is the asynchronous part: the merged
 * key-group stream written to a local file (raw values, TTL timestamps kept), uploaded to
 * the storage, and described by a handle.
 */
export function startFullSnapshot(
  source: FullSnapshotSource,
  checkpointId: number,
  storage: CheckpointStorage,
  options: SnapshotOptions,
): Promise<FullKeyedStateHandle> {
  const snapshot = source.db.snapshot()
  const iterators = source.states.map((state) => state.cf?.iterator({ snapshot, raw: true, fillCache: false }))
  const inputs = source.states.map((state, kvStateId) => ({
    kvStateId,
    iterator: iterators[kvStateId] ?? new MemoryBatchSource(state.entries ?? []),
  }))
  const release = () => {
    for (const iterator of iterators) iterator?.close()
    snapshot.release()
  }
  return writeAndUpload(source, checkpointId, storage, options, inputs).finally(release)
}

async function writeAndUpload(
  source: FullSnapshotSource,
  checkpointId: number,
  storage: CheckpointStorage,
  options: SnapshotOptions,
  inputs: Parameters<typeof mergeByKeyGroup>[0],
): Promise<FullKeyedStateHandle> {
  const { signal, onProgress } = options
  const metadata = snapshotMetadata(source, checkpointId, source.states.map((state) => state.meta))
  await mkdir(source.workDirectory, { recursive: true })
  const fileName = `full-${checkpointId}-${randomUUID()}.rksf`
  const localPath = path.join(source.workDirectory, fileName)
  const writer = await FullSnapshotWriter.create(localPath, {
    metadata: metadata as unknown as Record<string, unknown>,
    prefixBytes: source.keyGroupPrefixBytes,
    compression: options.compression ?? 'none',
  })
  try {
    const progress: SnapshotProgress = { entries: 0, keyGroups: 0, bytes: 0 }
    let lastKeyGroup = -1
    await mergeByKeyGroup(
      inputs,
      {
        prefixBytes: source.keyGroupPrefixBytes,
        signal,
        drain: async () => {
          if (writer.needsDrain) await writer.drain()
          onProgress?.(progress)
        },
      },
      (kvStateId, key, value) => {
        writer.add(kvStateId, key, value)
        progress.entries++
        progress.bytes += key.length + value.length
        const keyGroup = source.keyGroupPrefixBytes === 1 ? key[0] : (key[0] << 8) | key[1]
        if (keyGroup !== lastKeyGroup) {
          lastKeyGroup = keyGroup
          progress.keyGroups++
        }
      },
    )
    signal?.throwIfAborted()
    const written = await writer.finish()
    const key = checkpointFileKey(checkpointId, source.backendId, fileName)
    const ref =
      storage.adoptFile !== undefined
        ? await storage.adoptFile(localPath, key, written, { signal })
        : await storage.uploadFile(localPath, key, { signal })
    const keyGroupOffsets = [...source.keyGroupRange].map((keyGroup) => written.keyGroupOffsets.get(keyGroup) ?? 0)
    return sealHandle({
      kind: 'full',
      checkpointId,
      ...(source.jobId === undefined ? {} : { jobId: source.jobId }),
      keyGroupRange: source.keyGroupRange.toJSON(),
      keyGroupOffsets,
      stream: ref,
    })
  } catch (error) {
    await writer.abort().catch(() => undefined)
    throw error
  } finally {
    await rm(localPath, { force: true })
  }
}
