import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { FullSnapshotWriter } from '../format/full-snapshot-writer'
import { FRAME_BYTES, type Compression } from '../format/full-snapshot-format'
import type { KeyGroupRange } from '../keygroups/key-group-range'
import { binding, type NativeSnapshotStream } from '../native/binding'
import type { ColumnFamily } from '../native/column-family'
import type { RocksDB } from '../native/rocksdb'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { checkpointFileKey } from '../storage/layout'
import type { StateMeta } from '../state/state-meta'
import { sealHandle, type FullKeyedStateHandle } from './keyed-state-handle'
import { snapshotMetadata } from './state-snapshot-meta'

export interface SnapshotProgress {
  /** Full snapshots: entries and key groups written so far (incremental checkpoints: 0). */
  entries: number
  keyGroups: number
  /** Full snapshots: key and value bytes written; incremental checkpoints: bytes uploaded. */
  bytes: number
}

/**
 * Checked before the snapshot starts (nothing written, the checkpoint id still free): an unknown
 * option or a value of the wrong type is a TypeError; an option set to undefined is absent.
 */
export interface SnapshotOptions {
  /**
   * Absent: incremental on a backend opened with `incremental: true`, else full. 'full' and
   * 'savepoint' are always a full, self-contained snapshot (a savepoint references no shared
   * file). No other value (TypeError).
   */
  type?: 'full' | 'savepoint'
  /**
   * Full snapshots only: `'none'` (default), `'deflate'`, `'snappy'` or `'zstd'`, per key group.
   * On an incremental checkpoint it is an UnsupportedOptionError: those upload RocksDB's SST files
   * as they are.
   */
  compression?: Compression
  /** Cancels the snapshot: it rejects with the signal's reason and removes what it wrote. */
  signal?: AbortSignal
  /** Called as the snapshot writes or uploads, with running totals. */
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

/** Body bytes the native stream frames per chunk: whole compression frames, so a chunk compresses in parallel. */
const CHUNK_BYTES = 8 * FRAME_BYTES
/** A chunk ends past CHUNK_BYTES by its last entry; larger entries come in a buffer of their own. */
const CHUNK_SLACK = 64 * 1024

/**
 * A full snapshot in two parts. `start` is the short synchronous part: one RocksDB snapshot
 * and, natively, an iterator per state on it, so the snapshot is exactly the state at this
 * call while the service keeps writing. The returned promise is the asynchronous part: the
 * merged key-group stream framed natively in the thread pool (native/snapshot_stream.h: JS
 * never touches an entry), compressed and written chunk by chunk to a local file (raw values,
 * TTL timestamps kept), uploaded to the storage, and described by a handle. One chunk is framed
 * while the previous one is compressed and written: memory stays at a few chunks whatever the
 * state's size.
 */
export function startFullSnapshot(
  source: FullSnapshotSource,
  checkpointId: number,
  storage: CheckpointStorage,
  options: SnapshotOptions,
): Promise<FullKeyedStateHandle> {
  const snapshot = source.db.snapshot()
  let stream: NativeSnapshotStream
  try {
    stream = new binding.SnapshotStream(
      snapshot.native,
      source.states.map((state, kvStateId) =>
        state.cf !== undefined ? { kvStateId, family: state.cf.id } : { kvStateId, entries: (state.entries ?? []).flat() },
      ),
      { prefixBytes: source.keyGroupPrefixBytes, frameBytes: (options.compression ?? 'none') === 'none' ? 0 : FRAME_BYTES, chunkBytes: CHUNK_BYTES },
    )
  } finally {
    snapshot.release() // the stream holds RocksDB's snapshot as long as it reads
  }
  return writeAndUpload(source, checkpointId, storage, options, stream).finally(() => stream.close())
}

async function writeAndUpload(
  source: FullSnapshotSource,
  checkpointId: number,
  storage: CheckpointStorage,
  options: SnapshotOptions,
  stream: NativeSnapshotStream,
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
    // Chunk i is framed into buffers[i % 3] while chunk i - 1 is compressed and written and
    // chunk i - 2's write has ended (addEncoded returns only then): three buffers, reused.
    const buffers = Array.from({ length: 3 }, () => Buffer.allocUnsafe(CHUNK_BYTES + CHUNK_SLACK))
    const request = (index: number) => {
      const chunk = stream.next(buffers[index % 3]!)
      // An abort or a failed write stops the loop before it awaits this chunk, which then rejects
      // when the stream is closed under it.
      chunk.catch(() => undefined)
      return chunk
    }
    let filled = 0
    let next = request(0)
    for (;;) {
      signal?.throwIfAborted()
      const chunk = await next
      const bytes = chunk.bytes ?? buffers[filled % 3]!.subarray(0, chunk.length)
      filled++
      if (!chunk.ended) next = request(filled)
      await writer.addEncoded(bytes, chunk.starts)
      progress.entries += chunk.entries
      progress.bytes += chunk.dataBytes
      progress.keyGroups += chunk.starts.length / 2
      onProgress?.(progress)
      if (chunk.ended) break
    }
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
