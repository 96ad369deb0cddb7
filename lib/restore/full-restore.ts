import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { CorruptCheckpointError, IncompatibleStateError } from '../errors'
import { FullSnapshotReader } from '../format/full-snapshot-reader'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { ColumnFamily } from '../native/column-family'
import type { RocksDB } from '../native/rocksdb'
import type { FullKeyedStateHandle } from '../snapshot/keyed-state-handle'
import { parseSnapshotMetadata, type SnapshotMetadata, type SnapshotStateMeta } from '../snapshot/state-snapshot-meta'
import { incompatibility } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'

/** What a restore writes into: the new backend's database, range and state registry. */
export interface RestoreTarget {
  db: RocksDB
  keySerializer: string
  maxParallelism: number
  keyGroupRange: KeyGroupRange
  /** Called once everything is verified, before the first state is registered: clears what the database held. */
  clear(): Promise<void>
  /** Registers a state recorded in a snapshot (or checks it against one already registered). */
  restoreState(meta: SnapshotStateMeta): ColumnFamily
  workDirectory: string
}

export interface RestoreProgress {
  /** Entries brought in from the handles so far (those of an installed base are not counted: its files are taken whole). */
  entries: number
  /** Key groups of the backend's range restored so far, empty ones included: the last report has every one. */
  keyGroups: number
}

/** One handle's stream, fetched, verified and opened, with its checked header. */
export interface VerifiedSnapshot {
  handle: FullKeyedStateHandle
  reader: FullSnapshotReader
  metadata: SnapshotMetadata
}

/** Full snapshots verified by `verifyFullSnapshots`; `close` closes their readers and removes their downloads. */
export interface VerifiedSnapshots {
  snapshots: VerifiedSnapshot[]
  close(): Promise<void>
}

const BATCH_BYTES = 4 << 20

/**
 * A full restore's first phase: every stream of `handles` fetched (into a directory under
 * `target.workDirectory` unless the storage has it locally), verified against its SHA-256, and
 * its header checked against its handle (checkpoint, key groups, the stream's own key-group index)
 * and the target's layout. Nothing of the target changes. On failure, what was opened is closed
 * and removed.
 */
export async function verifyFullSnapshots(
  target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer' | 'workDirectory'>,
  handles: readonly FullKeyedStateHandle[],
  storage: CheckpointStorage,
  options: { signal?: AbortSignal } = {},
): Promise<VerifiedSnapshots> {
  const snapshots: VerifiedSnapshot[] = []
  let downloads: string | undefined
  const close = async () => {
    await Promise.all(snapshots.splice(0).map(({ reader }) => reader.close()))
    if (downloads !== undefined) await rm(downloads, { recursive: true, force: true })
  }
  try {
    await mkdir(target.workDirectory, { recursive: true })
    downloads = await mkdtemp(path.join(target.workDirectory, 'restore-'))
    for (const handle of handles) {
      options.signal?.throwIfAborted()
      snapshots.push(await verifiedSnapshot(target, handle, storage, downloads, options.signal))
    }
    return { snapshots, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * A full restore's second phase, once every handle of the restore is verified and the target
 * cleared (or its base installed): registers each snapshot's states, then reads the key groups of
 * the target's range from their offsets (the others are never read) and writes them in write
 * batches with their raw values, so every entry keeps its original TTL write time. `signal` is
 * checked between key groups; the caller removes what a failed restore wrote.
 */
export async function restoreFullKeyGroups(
  target: RestoreTarget,
  snapshots: readonly VerifiedSnapshot[],
  progress: RestoreProgress,
  options: { signal?: AbortSignal; onProgress?: (progress: RestoreProgress) => void } = {},
): Promise<void> {
  const families = snapshots.map(({ metadata }) => new Map(metadata.states.map((state) => [state.kvStateId, target.restoreState(state)])))
  for (const [i, snapshot] of snapshots.entries()) {
    await restoreKeyGroups(target, snapshot, families[i]!, progress, options)
  }
}

async function verifiedSnapshot(
  target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer'>,
  handle: FullKeyedStateHandle,
  storage: CheckpointStorage,
  directory: string,
  signal: AbortSignal | undefined,
): Promise<VerifiedSnapshot> {
  const file = await localCopy(storage, handle, directory, signal)
  const reader = await FullSnapshotReader.open(file, { expectedSize: handle.stream.size })
  try {
    const metadata = parseSnapshotMetadata(reader.metadata, reader.prefixBytes)
    checkAgainstHandle(metadata, handle)
    checkOffsetsAgainstIndex(reader, handle)
    checkAgainstTarget(metadata, target)
    return { handle, reader, metadata }
  } catch (error) {
    await reader.close()
    throw error
  }
}

async function localCopy(storage: CheckpointStorage, handle: FullKeyedStateHandle, directory: string, signal?: AbortSignal): Promise<string> {
  if (storage.localPath !== undefined) return storage.localPath(handle.stream, { signal })
  const file = path.join(directory, path.basename(handle.stream.key))
  await storage.downloadFile(handle.stream, file, { signal })
  return file
}

async function restoreKeyGroups(
  target: RestoreTarget,
  { handle, reader, metadata }: VerifiedSnapshot,
  families: Map<number, ColumnFamily>,
  progress: RestoreProgress,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (progress: RestoreProgress) => void },
): Promise<void> {
  const kvStateIds = new Set(metadata.states.map((state) => state.kvStateId))
  const handleRange = KeyGroupRange.fromJSON(handle.keyGroupRange)
  const batch = target.db.batch()
  try {
    for (const keyGroup of handleRange.intersection(target.keyGroupRange)) {
      signal?.throwIfAborted()
      const offset = handle.keyGroupOffsets[keyGroup - handleRange.start]!
      // Offset 0: the key group is empty, yet restored all the same (progress counts every key group of the range).
      const chunks = offset === 0 ? [] : reader.readKeyGroup(keyGroup, offset, { kvStateIds })
      for await (const entries of chunks) {
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
}

/** The stream must be the one the handle describes: same checkpoint, same key groups. */
function checkAgainstHandle(metadata: SnapshotMetadata, handle: FullKeyedStateHandle): void {
  const { start, end } = handle.keyGroupRange
  if (metadata.checkpointId !== handle.checkpointId || metadata.keyGroupRange.start !== start || metadata.keyGroupRange.end !== end) {
    throw new CorruptCheckpointError(
      `stream '${handle.stream.key}' holds checkpoint ${metadata.checkpointId}, key groups [${metadata.keyGroupRange.start}, ${metadata.keyGroupRange.end}]; ` +
        `its handle says checkpoint ${handle.checkpointId}, key groups [${start}, ${end}]`,
    )
  }
}

/**
 * The handle's offsets must be the ones the stream's own key-group index records (inside the file
 * its SHA-256 covers): offsets that point elsewhere, or at nothing, would restore less than was written.
 */
function checkOffsetsAgainstIndex(reader: FullSnapshotReader, handle: FullKeyedStateHandle): void {
  const { start, end } = handle.keyGroupRange
  for (const keyGroup of reader.keyGroupOffsets.keys()) {
    if (keyGroup < start || keyGroup > end) {
      throw new CorruptCheckpointError(`stream '${handle.stream.key}' indexes key group ${keyGroup}, outside its handle's key groups [${start}, ${end}]`)
    }
  }
  handle.keyGroupOffsets.forEach((offset, i) => {
    const indexed = reader.keyGroupOffsets.get(start + i) ?? 0
    if (offset !== indexed) {
      throw new CorruptCheckpointError(
        `the handle of stream '${handle.stream.key}' puts key group ${start + i} at offset ${offset}; the stream's key-group index says ${indexed}`,
      )
    }
  })
}

/** A snapshot's keys must be laid out as the target's: same key groups, same key serializer. */
export function checkAgainstTarget(metadata: SnapshotMetadata, target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer'>): void {
  if (metadata.maxParallelism !== target.maxParallelism) {
    throw new IncompatibleStateError(
      `the snapshot has maxParallelism ${metadata.maxParallelism}, this backend ${target.maxParallelism}: key groups would not match`,
    )
  }
  if (metadata.keySerializer !== target.keySerializer) {
    throw new IncompatibleStateError(`the snapshot's keys use serializer '${metadata.keySerializer}', this backend '${target.keySerializer}'`)
  }
}

/**
 * Every snapshot (named by its stream or metadata file) that records a state must record it alike
 * (kind, serializers), before any is registered.
 */
export function checkStatesAgree(snapshots: readonly { name: string; metadata: SnapshotMetadata }[]): void {
  const seen = new Map<string, { meta: SnapshotStateMeta; snapshot: string }>()
  for (const { name, metadata } of snapshots) {
    for (const meta of metadata.states) {
      const first = seen.get(meta.name)
      if (first === undefined) {
        seen.set(meta.name, { meta, snapshot: name })
        continue
      }
      const problem = incompatibility(first.meta, meta)
      if (problem !== undefined) {
        throw new IncompatibleStateError(`snapshots '${first.snapshot}' and '${name}' disagree about state '${meta.name}': ${problem}`)
      }
    }
  }
}
