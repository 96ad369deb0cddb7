import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { CorruptCheckpointError, IncompatibleStateError } from '../errors'
import { FullSnapshotReader } from '../format/full-snapshot-reader'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { ColumnFamily } from '../native/column-family'
import type { RocksDB } from '../native/rocksdb'
import type { FullKeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { SnapshotMetadata, SnapshotStateMeta } from '../snapshot/state-snapshot-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'

/** What a restore writes into: the new backend's database, range and state registry. */
export interface RestoreTarget {
  db: RocksDB
  keySerializer: string
  maxParallelism: number
  keyGroupRange: KeyGroupRange
  /** Registers a state recorded in a snapshot (or checks it against one already registered). */
  restoreState(meta: SnapshotStateMeta): ColumnFamily
  workDirectory: string
}

export interface RestoreProgress {
  entries: number
  keyGroups: number
}

const BATCH_BYTES = 4 << 20

/**
 * Restores full snapshots: for every handle, the key groups that lie in the target's range
 * are read from their recorded offsets (the others are never read) and written in write
 * batches with their raw values, so every entry keeps its original TTL write time. Works for
 * any number of handles with any ranges: that is rescaling for full snapshots.
 */
export async function restoreFull(
  target: RestoreTarget,
  handles: FullKeyedStateHandle[],
  storage: CheckpointStorage,
  options: { signal?: AbortSignal; onProgress?: (progress: RestoreProgress) => void } = {},
): Promise<RestoreProgress> {
  const progress: RestoreProgress = { entries: 0, keyGroups: 0 }
  const overlapping = handles.filter((handle) => !KeyGroupRange.fromJSON(handle.keyGroupRange).intersection(target.keyGroupRange).isEmpty)
  if (handles.length > 0 && overlapping.length === 0) {
    throw new CorruptCheckpointError(`none of the ${handles.length} handle(s) covers a key group of ${target.keyGroupRange}`)
  }
  const downloads = await mkdtemp(path.join(target.workDirectory, 'restore-'))
  try {
    for (const handle of overlapping) {
      await restoreHandle(target, handle, storage, downloads, progress, options)
    }
  } finally {
    await rm(downloads, { recursive: true, force: true })
  }
  return progress
}

async function localCopy(storage: CheckpointStorage, handle: FullKeyedStateHandle, directory: string, signal?: AbortSignal): Promise<string> {
  if (storage.localPath !== undefined) return storage.localPath(handle.stream, { signal })
  const file = path.join(directory, path.basename(handle.stream.key))
  await storage.downloadFile(handle.stream, file, { signal })
  return file
}

async function restoreHandle(
  target: RestoreTarget,
  handle: FullKeyedStateHandle,
  storage: CheckpointStorage,
  directory: string,
  progress: RestoreProgress,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (progress: RestoreProgress) => void },
): Promise<void> {
  const file = await localCopy(storage, handle, directory, signal)
  const reader = await FullSnapshotReader.open(file, { expectedSize: handle.stream.size })
  try {
    const metadata = reader.metadata as unknown as SnapshotMetadata
    checkMetadata(metadata, target)
    const families = new Map<number, ColumnFamily>()
    for (const state of metadata.states) families.set(state.kvStateId, target.restoreState(state))
    const kvStateIds = new Set(families.keys())
    const handleRange = KeyGroupRange.fromJSON(handle.keyGroupRange)
    const batch = target.db.batch()
    try {
      for (const keyGroup of handleRange.intersection(target.keyGroupRange)) {
        const offset = handle.keyGroupOffsets[keyGroup - handleRange.start]
        if (offset === 0) continue
        signal?.throwIfAborted()
        for await (const entries of reader.readKeyGroup(keyGroup, offset, { kvStateIds })) {
          const cf = families.get(entries.kvStateId)!
          entries.forEach((key, value) => batch.putRaw(cf, key, value))
          progress.entries += entries.count
          if (batch.byteSize >= BATCH_BYTES) {
            target.db.write(batch)
            batch.clear()
          }
        }
        progress.keyGroups++
        onProgress?.(progress)
      }
      target.db.write(batch)
    } finally {
      batch.close()
    }
  } finally {
    await reader.close()
  }
}

function checkMetadata(metadata: SnapshotMetadata, target: RestoreTarget): void {
  if (metadata?.format !== 'rocksdb-keyed-state' || !Array.isArray(metadata.states)) {
    throw new CorruptCheckpointError('the snapshot header is not rocksdb-keyed-state metadata')
  }
  const ids = new Set<number>()
  for (const state of metadata.states) {
    if (typeof state !== 'object' || state === null || !Number.isInteger(state.kvStateId) || ids.has(state.kvStateId)) {
      throw new CorruptCheckpointError('the snapshot header lists a state without a valid, unique kvStateId')
    }
    ids.add(state.kvStateId)
  }
  if (metadata.maxParallelism !== target.maxParallelism) {
    throw new IncompatibleStateError(
      `the snapshot has maxParallelism ${metadata.maxParallelism}, this backend ${target.maxParallelism}: key groups would not match`,
    )
  }
  if (metadata.keySerializer !== target.keySerializer) {
    throw new IncompatibleStateError(`the snapshot's keys use serializer '${metadata.keySerializer}', this backend '${target.keySerializer}'`)
  }
}
