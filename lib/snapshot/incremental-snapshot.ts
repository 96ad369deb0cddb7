import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { KeyedStateError } from '../errors'
import type { KeyGroupRange } from '../keygroups/key-group-range'
import type { RocksDB } from '../native/rocksdb'
import type { StateMeta } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import type { FileRef } from '../storage/file-ref'
import { writeFileAtomically } from '../storage/atomic-file'
import { checkpointFileKey } from '../storage/layout'
import type { SnapshotProgress } from './full-snapshot'
import { writeIncrementalMetadata } from './incremental-metadata'
import { METADATA_FILE_NAME, type LocalCheckpoints } from './incremental-local-checkpoints'
import type { IncrementalSharedFiles } from './incremental-shared-files'
import { checkpointFileKind, sealHandle, type IncrementalKeyedStateHandle } from './keyed-state-handle'
import { snapshotMetadata, type SnapshotMetadata } from './state-snapshot-meta'

/** What an incremental snapshot reads from its backend. */
export interface IncrementalSnapshotSource {
  db: RocksDB
  backendId: string
  jobId?: string
  keySerializer: string
  maxParallelism: number
  keyGroupRange: KeyGroupRange
  /** States in kvStateId order, each in the column family of its name. */
  states: readonly StateMeta[]
  localCheckpoints: LocalCheckpoints
  /** The keys of the backend's shared files: which are referenced, which uploaded, which may be deleted. */
  sharedFiles: IncrementalSharedFiles
}

export interface IncrementalSnapshotResult {
  handle: IncrementalKeyedStateHandle
  /** The files this snapshot wrote to the storage (new SST files, private files, metadata). */
  uploaded: FileRef[]
}

/**
 * An incremental snapshot in two parts (DESIGN §7). `start` is the synchronous part: a local
 * RocksDB checkpoint (memtables flushed, SST files hard-linked), so it holds exactly the writes
 * made before the call. The returned promise is the asynchronous part: SST files the last
 * completed checkpoint holds (same name and size; SST files are immutable and never reuse a name)
 * are referenced; the others go to the backend's shared area under their one stable key (see
 * IncrementalSharedFiles), skipped when another unfinished snapshot already uploaded them; the
 * other files and the metadata go to the checkpoint's private area; all through the storage's
 * bounded pool. A failed or cancelled upload deletes what it wrote, except keys another snapshot
 * of the backend or a job checkpoint uses.
 */
export function startIncrementalSnapshot(
  source: IncrementalSnapshotSource,
  checkpointId: number,
  storage: CheckpointStorage,
  options: { signal?: AbortSignal; onProgress?: (progress: SnapshotProgress) => void },
): Promise<IncrementalSnapshotResult> {
  const directory = source.localCheckpoints.takeSync(source.db, checkpointId)
  return upload(source, checkpointId, directory, snapshotMetadata(source, checkpointId, source.states), storage, options)
}

async function upload(
  source: IncrementalSnapshotSource,
  checkpointId: number,
  directory: string,
  metadata: SnapshotMetadata,
  storage: CheckpointStorage,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: (progress: SnapshotProgress) => void },
): Promise<IncrementalSnapshotResult> {
  const sharedFiles: Record<string, FileRef> = {}
  const shared: { name: string; localPath: string }[] = []
  const uploads: { name: string; shared: boolean; localPath: string; key: string }[] = []
  for (const name of (await readdir(directory)).sort()) {
    const localPath = path.join(directory, name)
    const kind = checkpointFileKind(name)
    // A file a restore would refuse: fail the checkpoint now rather than record one that cannot restore.
    if (kind === undefined) throw new KeyedStateError('UnexpectedCheckpointFile', `the RocksDB checkpoint holds '${name}', which no handle may name`)
    if (kind === 'private') uploads.push({ name, shared: false, localPath, key: checkpointFileKey(checkpointId, source.backendId, name) })
    else shared.push({ name, localPath })
  }
  const metadataBytes = writeIncrementalMetadata(metadata)
  const metadataKey = checkpointFileKey(checkpointId, source.backendId, METADATA_FILE_NAME)
  const progress: SnapshotProgress = { entries: 0, keyGroups: 0, bytes: 0 }
  const transfer = {
    signal,
    onProgress: (bytes: number) => {
      progress.bytes += bytes
      onProgress?.(progress)
    },
  }
  try {
    for (const plan of await source.sharedFiles.plan(checkpointId, shared, storage)) {
      if (plan.ref !== undefined) sharedFiles[plan.name] = plan.ref
      else uploads.push({ name: plan.name, shared: true, localPath: plan.localPath, key: plan.key })
    }
    const refs = await storage.uploadFiles(uploads, transfer)
    const metadataRef = await storage.writeFile(metadataKey, metadataBytes, transfer)
    // Local recovery compares this copy with the handle's metadata reference.
    await writeFileAtomically(path.join(directory, METADATA_FILE_NAME), [metadataBytes], { signal })
    const privateFiles: Record<string, FileRef> = {}
    uploads.forEach(({ name, shared }, i) => ((shared ? sharedFiles : privateFiles)[name] = refs[i]!))
    const handle = sealHandle({
      kind: 'incremental',
      checkpointId,
      ...(source.jobId === undefined ? {} : { jobId: source.jobId }),
      backendId: source.backendId,
      keyGroupRange: source.keyGroupRange.toJSON(),
      sharedFiles: sortedByName(sharedFiles),
      privateFiles: sortedByName(privateFiles),
      metadata: metadataRef,
    })
    source.sharedFiles.finished(checkpointId, handle.sharedFiles)
    return { handle, uploaded: [...refs, metadataRef] }
  } catch (error) {
    // Shared keys another snapshot uses stay (IncrementalSharedFiles.discard).
    const written = { storage, keys: [...uploads.map((file) => file.key), metadataKey] }
    await source.sharedFiles.discard(checkpointId, [written]).catch(() => undefined)
    throw error
  }
}

function sortedByName(files: Record<string, FileRef>): Record<string, FileRef> {
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
