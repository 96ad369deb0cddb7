import { copyFile, link, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { CorruptCheckpointError } from '../errors'
import { readIncrementalMetadata } from '../snapshot/incremental-metadata'
import { METADATA_FILE_NAME } from '../snapshot/incremental-local-checkpoints'
import type { IncrementalKeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { SnapshotMetadata } from '../snapshot/state-snapshot-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { digestOfFile } from '../storage/file-digest'
import type { FileRef } from '../storage/file-ref'
import { runConcurrently } from '../storage/pool'
import { checkAgainstTarget, type RestoreTarget } from './full-restore'

export interface FetchOptions {
  signal?: AbortSignal
  /** A local checkpoint directory to take the files from instead of the storage, when every file there matches the handle. */
  localDirectory?: string
}

export interface FetchedCheckpoint {
  metadata: SnapshotMetadata
  /** True when the files came from `localDirectory` (nothing was read from the storage). */
  local: boolean
}

/**
 * Puts every file of an incremental checkpoint into `directory` (which must exist, empty) and
 * checks its metadata against the handle and the target. Every file is verified by size and
 * SHA-256. SST files are hard-linked where the storage can (RocksDB never writes them), the
 * others copied (RocksDB rewrites CURRENT and writes MANIFEST and WAL files). Local recovery: when
 * `localDirectory` holds every file of the handle, unchanged, the files are linked from there and
 * nothing is fetched.
 */
export async function fetchIncrementalCheckpoint(
  handle: IncrementalKeyedStateHandle,
  storage: CheckpointStorage,
  directory: string,
  target: Pick<RestoreTarget, 'maxParallelism' | 'keySerializer'>,
  { signal, localDirectory }: FetchOptions = {},
): Promise<FetchedCheckpoint> {
  const shared = Object.entries(handle.sharedFiles).map(([name, ref]) => ({ name, ref }))
  const own = Object.entries(handle.privateFiles).map(([name, ref]) => ({ name, ref }))
  const local = localDirectory !== undefined && (await matchesHandle(localDirectory, [...shared, ...own, { name: METADATA_FILE_NAME, ref: handle.metadata }], signal))
  let metadataBytes: Buffer
  if (local) {
    for (const { name } of shared) await link(path.join(localDirectory, name), path.join(directory, name))
    for (const { name } of own) await copyFile(path.join(localDirectory, name), path.join(directory, name))
    metadataBytes = await readFile(path.join(localDirectory, METADATA_FILE_NAME))
  } else {
    const files = (list: { name: string; ref: FileRef }[]) => list.map(({ name, ref }) => ({ ref, localPath: path.join(directory, name) }))
    let read: Buffer | undefined
    await runConcurrently(
      [
        (stop) => storage.downloadFiles(files(shared), { signal: stop, link: true }),
        (stop) => storage.downloadFiles(files(own), { signal: stop }),
        async (stop) => {
          read = await storage.readFile(handle.metadata, { signal: stop })
        },
      ],
      signal,
    )
    metadataBytes = read!
  }
  const metadata = readIncrementalMetadata(metadataBytes, handle.metadata.key)
  checkAgainstHandle(metadata, handle)
  checkAgainstTarget(metadata, target)
  return { metadata, local }
}

/** The metadata must describe the checkpoint the handle names: same checkpoint, backend and key groups. */
function checkAgainstHandle(metadata: SnapshotMetadata, handle: IncrementalKeyedStateHandle): void {
  const { start, end } = handle.keyGroupRange
  const recorded = metadata.keyGroupRange
  if (metadata.checkpointId !== handle.checkpointId || metadata.backendId !== handle.backendId || recorded.start !== start || recorded.end !== end) {
    throw new CorruptCheckpointError(
      `metadata '${handle.metadata.key}' describes checkpoint ${metadata.checkpointId} of backend ${metadata.backendId}, key groups [${recorded.start}, ${recorded.end}]; ` +
        `its handle says checkpoint ${handle.checkpointId} of backend ${handle.backendId}, key groups [${start}, ${end}]`,
    )
  }
}

/** Whether `directory` holds every one of `files` with the referenced size and SHA-256. */
async function matchesHandle(directory: string, files: readonly { name: string; ref: FileRef }[], signal?: AbortSignal): Promise<boolean> {
  for (const { name, ref } of files) {
    const file = path.join(directory, name)
    const stats = await stat(file).catch(() => undefined)
    if (stats === undefined || !stats.isFile() || stats.size !== ref.size) return false
    if ((await digestOfFile(file, signal)).sha256 !== ref.sha256) return false
  }
  return true
}
