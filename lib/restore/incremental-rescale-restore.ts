import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { keyGroupPrefixBytes, writeKeyGroupPrefix } from '../keygroups/key-group-prefix'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { ManualClock } from '../native/clock'
import { RocksDB } from '../native/rocksdb'
import type { IncrementalKeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { SnapshotMetadata } from '../snapshot/state-snapshot-meta'
import { stateColumnFamilyOptions } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { checkStatesAgree, type RestoreProgress, type RestoreTarget } from './full-restore'
import { fetchIncrementalCheckpoint } from './incremental-fetch'

const BATCH_BYTES = 4 << 20

interface OpenedCheckpoint {
  handle: IncrementalKeyedStateHandle
  metadata: SnapshotMetadata
  db: RocksDB
}

/**
 * Restores incremental checkpoints into a key-group range other than theirs (rescaling), by the
 * per-key copy the original uses: each handle's files are fetched into a temporary directory and
 * opened there (read-only), and the entries of the target's key groups are copied with their raw
 * values, so TTL write times are kept. Same phases as `restoreFull`: everything fetched and
 * verified before `target.clear()`; the caller removes what a failed restore wrote. The fast path
 * (SST export and ingestion, clipping a base) is a later step.
 */
export async function restoreIncrementalByKeys(
  target: RestoreTarget,
  handles: readonly IncrementalKeyedStateHandle[],
  storage: CheckpointStorage,
  options: {
    signal?: AbortSignal
    onProgress?: (progress: RestoreProgress) => void
    /** The target's test clock: reading list state merges its elements, dropping those expired by this clock. */
    clock?: ManualClock
  } = {},
): Promise<RestoreProgress> {
  const progress: RestoreProgress = { entries: 0, keyGroups: 0 }
  const opened: OpenedCheckpoint[] = []
  const directories: string[] = []
  try {
    for (const handle of handles) {
      options.signal?.throwIfAborted()
      const directory = await mkdtemp(path.join(target.workDirectory, 'rescale-'))
      directories.push(directory)
      const { metadata } = await fetchIncrementalCheckpoint(handle, storage, directory, target, { signal: options.signal })
      const columnFamilies = metadata.states.map((state) => ({ name: state.name, ...stateColumnFamilyOptions(state.kind, state.ttl.seconds) }))
      opened.push({ handle, metadata, db: await RocksDB.open(directory, { readOnly: true, useMemoryBudget: false, columnFamilies, clock: options.clock }) })
    }
    checkStatesAgree(opened.map(({ handle, metadata }) => ({ name: handle.metadata.key, metadata })))
    options.signal?.throwIfAborted()
    await target.clear()
    const families = opened.map(({ metadata }) => metadata.states.map((state) => ({ name: state.name, cf: target.restoreState(state) })))
    for (const [i, checkpoint] of opened.entries()) await copyKeyGroups(target, checkpoint, families[i]!, progress, options)
  } finally {
    await Promise.all(opened.map(({ db }) => db.close()))
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })))
  }
  return progress
}

/** Copies the target's key groups of one checkpoint, state by state, in write batches. */
async function copyKeyGroups(
  target: RestoreTarget,
  { handle, db }: OpenedCheckpoint,
  families: { name: string; cf: ReturnType<RestoreTarget['restoreState']> }[],
  progress: RestoreProgress,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (progress: RestoreProgress) => void },
): Promise<void> {
  const range = KeyGroupRange.fromJSON(handle.keyGroupRange).intersection(target.keyGroupRange)
  const prefixBytes = keyGroupPrefixBytes(target.maxParallelism)
  const bound = (keyGroup: number) => {
    const bytes = Buffer.alloc(prefixBytes)
    writeKeyGroupPrefix(keyGroup, prefixBytes, bytes, 0)
    return bytes
  }
  const batch = target.db.batch()
  try {
    for (const { name, cf } of families) {
      const iterator = db.columnFamily(name).iterator({ gte: bound(range.start), lt: bound(range.end + 1), raw: true, fillCache: false })
      try {
        while (!iterator.ended) {
          signal?.throwIfAborted()
          const entries = await iterator.nextBatchAsync(10_000, BATCH_BYTES)
          entries.forEach((key, value) => batch.putRaw(cf, key, value))
          progress.entries += entries.count
          if (batch.byteSize >= BATCH_BYTES) {
            target.db.write(batch)
            batch.clear()
          }
        }
      } finally {
        iterator.close()
      }
    }
    target.db.write(batch)
  } finally {
    batch.close()
  }
  progress.keyGroups += range.numberOfKeyGroups
  onProgress?.(progress)
}
