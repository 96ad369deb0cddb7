import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import type { ManualClock } from '../native/clock'
import { RocksDB } from '../native/rocksdb'
import type { IncrementalKeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { SnapshotMetadata } from '../snapshot/state-snapshot-meta'
import { stateColumnFamilyOptions } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { fsyncDirectory } from '../storage/atomic-file'
import { CURRENT, INSTANCE_DATABASE_OPTIONS, isRocksDBFile } from '../storage/instance-directory'
import { fetchIncrementalCheckpoint } from './incremental-fetch'
import type { RestoreTarget } from './full-restore'

/** The instance directory an incremental restore replaces the database files of. */
export interface IncrementalInstance {
  path: string
  /** Scratch space inside the instance directory, where the files are staged. */
  workDirectory: string
  /** The local checkpoint directory to recover from without fetching, when it matches the handle. */
  localDirectory?: string
  clock?: ManualClock
}

/** A verified checkpoint staged in the instance's scratch space, ready to become its database. */
export interface StagedIncrementalRestore {
  metadata: SnapshotMetadata
  /** Whether the files came from the local checkpoint directory. */
  local: boolean
  /**
   * Replaces the instance's database files with the staged ones and opens the database. The
   * caller closes its database first (this needs its lock given up) and, should this fail,
   * removes the database files (`removeDatabaseFiles`): they are neither the old nor the new state.
   * Only RocksDB's files are replaced: the marker, scratch space and local checkpoints stay.
   */
  install(): Promise<RocksDB>
}

/**
 * Incremental restore of the key-group range the handle holds (DESIGN §8): the checkpoint's files
 * are staged in the instance's scratch space and verified (sizes, SHA-256, metadata against the
 * handle and the target) while the caller still holds the database open, so a refused restore
 * leaves the instance as it was; `install` then makes them the instance's database, which keeps
 * the SST file names, so the next checkpoint references the same shared files.
 */
export async function stageIncrementalRestore(
  instance: IncrementalInstance,
  target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer'>,
  handle: IncrementalKeyedStateHandle,
  storage: CheckpointStorage,
  options: { signal?: AbortSignal } = {},
): Promise<StagedIncrementalRestore> {
  await mkdir(instance.workDirectory, { recursive: true })
  const staging = await mkdtemp(path.join(instance.workDirectory, 'incremental-'))
  try {
    const { metadata, local } = await fetchIncrementalCheckpoint(handle, storage, staging, target, {
      signal: options.signal,
      localDirectory: instance.localDirectory,
    })
    options.signal?.throwIfAborted()
    const install = async (): Promise<RocksDB> => {
      await removeDatabaseFiles(instance.path)
      // CURRENT last, once every file it leads to is in place: a kill before leaves no database
      // (the next open starts empty), never a CURRENT naming a MANIFEST not there yet.
      const names = await readdir(staging)
      for (const name of names) if (name !== CURRENT) await rename(path.join(staging, name), path.join(instance.path, name))
      await fsyncDirectory(instance.path)
      if (names.includes(CURRENT)) await rename(path.join(staging, CURRENT), path.join(instance.path, CURRENT))
      await fsyncDirectory(instance.path)
      return RocksDB.open(instance.path, {
        ...INSTANCE_DATABASE_OPTIONS,
        clock: instance.clock,
        columnFamilies: metadata.states.map((state) => ({ name: state.name, ...stateColumnFamilyOptions(state.kind, state.ttl.seconds) })),
      })
    }
    return { metadata, local, install }
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    throw error
  }
}

/**
 * Removes RocksDB's files (by their names) from the instance directory, nothing else. CURRENT
 * goes first, so a kill meanwhile leaves no database rather than a CURRENT naming a removed MANIFEST.
 */
export async function removeDatabaseFiles(instancePath: string): Promise<void> {
  await rm(path.join(instancePath, CURRENT), { force: true })
  await fsyncDirectory(instancePath)
  for (const name of await readdir(instancePath)) {
    if (isRocksDBFile(name)) await rm(path.join(instancePath, name), { force: true })
  }
}
