import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { ManualClock } from '../native/clock'
import type { ColumnFamily } from '../native/column-family'
import type { Iterator } from '../native/iterator'
import { RocksDB } from '../native/rocksdb'
import type { IncrementalKeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { SnapshotMetadata } from '../snapshot/state-snapshot-meta'
import { stateColumnFamilyOptions } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import type { FileRef } from '../storage/file-ref'
import type { RestoreProgress, RestoreTarget } from './full-restore'
import { fetchIncrementalCheckpoint } from './incremental-fetch'
import { keyRangeOf } from './rescale-base'
import { exportAndIngest } from './rescale-export'
import { ingestFilesAsIs } from './rescale-ingest-as-is'

const BATCH_BYTES = 4 << 20

/** How a rescaled restore brings in the key groups of handles it does not install as its base. */
export type RescaleStrategy = 'ingest' | 'copy'

/** An incremental checkpoint fetched into a temporary directory and opened there, read-only. */
export interface OpenedCheckpoint {
  handle: IncrementalKeyedStateHandle
  metadata: SnapshotMetadata
  db: RocksDB
}

/** Checkpoints opened by `openCheckpoints`; `close` closes them and removes their directories. */
export interface OpenedCheckpoints {
  checkpoints: OpenedCheckpoint[]
  close(): Promise<void>
}

export interface RescaleOptions {
  signal?: AbortSignal
  onProgress?: (progress: RestoreProgress) => void
  /** The target's test clock: reading list state merges its elements, dropping those expired by this clock. */
  clock?: ManualClock
}

/**
 * Fetches each handle's files into a temporary directory under `workDirectory` and opens it
 * there, read-only, every file verified (sizes, SHA-256, metadata against handle and target). On
 * failure, what was opened so far is closed and removed.
 */
export async function openCheckpoints(
  target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer' | 'workDirectory'>,
  handles: readonly IncrementalKeyedStateHandle[],
  storage: CheckpointStorage,
  options: Pick<RescaleOptions, 'signal' | 'clock'> = {},
): Promise<OpenedCheckpoints> {
  const checkpoints: OpenedCheckpoint[] = []
  const directories: string[] = []
  // Idempotent: the open that used them closes them on success and failure alike.
  const close = async () => {
    await Promise.all(checkpoints.splice(0).map(({ db }) => db.close()))
    await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })))
  }
  try {
    await mkdir(target.workDirectory, { recursive: true })
    for (const handle of handles) {
      options.signal?.throwIfAborted()
      const directory = await mkdtemp(path.join(target.workDirectory, 'rescale-'))
      directories.push(directory)
      const { metadata } = await fetchIncrementalCheckpoint(handle, storage, directory, target, { signal: options.signal })
      const columnFamilies = metadata.states.map((state) => ({ name: state.name, ...stateColumnFamilyOptions(state.kind, state.ttl.seconds) }))
      checkpoints.push({ handle, metadata, db: await RocksDB.open(directory, { readOnly: true, useMemoryBudget: false, columnFamilies, clock: options.clock }) })
    }
    return { checkpoints, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * Brings the target's key groups of each opened checkpoint into the target, its states registered
 * first (`restoreState`: states present only in some handles are created), with raw values, so TTL
 * write times and list elements' times are kept: `ingest` takes a checkpoint's SST files as they
 * are where that is exact and the RocksDB in use can (`ingestFilesAsIs`), else exports the entries
 * into SST files and ingests those; `copy` writes them key by key in write batches (the original's way, the baseline).
 * Returns the files ingested as they are: their names in the target, with the shared file of the
 * checkpoint each is (byte for byte), and whether any of them holds keys outside the target's
 * range (the caller must then clip the target, as it clips a rescaling base).
 */
export async function bringInKeyGroups(
  target: RestoreTarget,
  checkpoints: readonly OpenedCheckpoint[],
  strategy: RescaleStrategy,
  progress: RestoreProgress,
  options: RescaleOptions = {},
): Promise<{ ingestedAsIs: Record<string, FileRef>; reachesOutside: boolean }> {
  const ingestedAsIs: Record<string, FileRef> = {}
  let reachesOutside = false
  for (const checkpoint of checkpoints) {
    const families = checkpoint.metadata.states.map((state) => ({ name: state.name, cf: target.restoreState(state) }))
    const range = KeyGroupRange.fromJSON(checkpoint.handle.keyGroupRange).intersection(target.keyGroupRange)
    const bounds = keyRangeOf(range, target.maxParallelism)
    for (const { name, cf } of families) {
      options.signal?.throwIfAborted()
      const iterator = checkpoint.db.columnFamily(name).iterator({ ...bounds, raw: true, fillCache: false })
      try {
        if (strategy === 'copy') {
          await copyEntries(target, cf, iterator, progress, options.signal)
          continue
        }
        const asIs = await ingestFilesAsIs(target, cf, checkpoint.db, name, bounds, progress)
        if (asIs === undefined) await exportAndIngest(target, cf, iterator, progress, options.signal)
        for (const [local, source] of asIs?.files ?? []) ingestedAsIs[local] = checkpoint.handle.sharedFiles[source]!
        reachesOutside ||= asIs?.reachesOutside === true
      } finally {
        iterator.close()
      }
    }
    progress.keyGroups += range.numberOfKeyGroups
    options.onProgress?.(progress)
  }
  return { ingestedAsIs, reachesOutside }
}

/** The entries `iterator` yields, written into `cf` in write batches with their raw values. */
async function copyEntries(target: RestoreTarget, cf: ColumnFamily, iterator: Iterator, progress: RestoreProgress, signal?: AbortSignal): Promise<void> {
  const batch = target.db.batch()
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
    target.db.write(batch)
  } finally {
    batch.close()
  }
}
