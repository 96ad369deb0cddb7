/**
 * Loads the native addon (a prebuild when one matches this platform, else the local build)
 * and describes its raw surface. Everything here is internal: lib/native's classes wrap it.
 */
import path from 'node:path'
import nodeGypBuild from 'node-gyp-build'
import { errorFromNative } from '../errors'

export interface NativeColumnFamilyInfo {
  id: number
  name: string
  ttlSeconds: number
  timestampedList: boolean
}

export interface NativeIterator {
  seek(target: Uint8Array): void
  nextv(maxCount: number, maxBytes?: number): Buffer
  nextvAsync(maxCount: number, maxBytes?: number): Promise<Buffer>
  close(): void
}

export interface NativeSnapshot {
  release(): void
  sequenceNumber(): number
}

/** What `SstWriter.finish()` wrote. */
export interface NativeSstFileInfo {
  path: string
  entries: number
  /** Bytes on disk. */
  fileSize: number
  smallestKey: Buffer
  largestKey: Buffer
}

export interface NativeSstWriter {
  open(path: string): void
  put(key: Uint8Array, value: Uint8Array, raw?: boolean): void
  putBatch(batch: Uint8Array): void
  finish(): Promise<NativeSstFileInfo>
  close(): void
}

/** One SST file of the database, as RocksDB's `GetLiveFilesMetaData` describes it. */
export interface NativeLiveFile {
  /** The file's name, e.g. `000012.sst`. */
  name: string
  directory: string
  fileNumber: number
  columnFamily: string
  /** The LSM level (0 = flushed from a memtable, not yet compacted). */
  level: number
  /** Bytes on disk. */
  size: number
  smallestKey: Buffer
  largestKey: Buffer
  smallestSeqno: number
  largestSeqno: number
  entries: number
  /** Deletion entries (tombstones) among `entries`. */
  deletions: number
}

export interface NativeIteratorOptions {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
  reverse?: boolean
  snapshot?: NativeSnapshot
  raw?: boolean
  skipExpired?: boolean
  fillCache?: boolean
}

export interface NativeDatabase {
  open(path: string, options: object): Promise<NativeColumnFamilyInfo[]>
  close(): Promise<void>
  columnFamilies(): NativeColumnFamilyInfo[]
  createColumnFamily(name: string, ttlSeconds?: number, periodicCompactionSeconds?: number, timestampedList?: boolean): Promise<number>
  createColumnFamilySync(name: string, ttlSeconds?: number, periodicCompactionSeconds?: number, timestampedList?: boolean): number
  setTtl(cf: number, ttlSeconds: number): void
  dropColumnFamily(cf: number): Promise<void>
  /** A small value comes as a number that locates it in the read pool's chunk (lib/native/read-pool.ts). */
  get(cf: number, key: Uint8Array, snapshot?: NativeSnapshot, flags?: number): number | Buffer | undefined
  readPoolChunk(): ArrayBuffer
  /** Makes the next pooled value start a new chunk (the current one was detached). */
  releaseReadPoolChunk(): void
  /** The values packed into one Buffer (lib/native/column-family.ts unpackValues). */
  getMany(cf: number, keys: Uint8Array[], snapshot?: NativeSnapshot, flags?: number): Buffer
  put(cf: number, key: Uint8Array, value: Uint8Array): void
  putRaw(cf: number, key: Uint8Array, value: Uint8Array): void
  merge(cf: number, key: Uint8Array, value: Uint8Array): void
  delete(cf: number, key: Uint8Array): void
  deleteRange(cf: number, begin: Uint8Array, end: Uint8Array): void
  /** A WriteBatch as lib/native/write-batch.ts encodes it (native/write_batch.h). */
  write(batch: Uint8Array): void
  iterator(cf: number, options: NativeIteratorOptions): NativeIterator
  snapshot(): NativeSnapshot
  sstWriter(cf: number): NativeSstWriter
  flush(cf?: number): Promise<void>
  flushSync(): void
  compactRange(cf: number, begin?: Uint8Array | null, end?: Uint8Array | null): Promise<void>
  getProperty(name: string, cf?: number): string | undefined
  approximateSize(cf: number, begin: Uint8Array, end: Uint8Array): number
  nowSeconds(): number
  checkpoint(directory: string): Promise<{ directory: string; sequenceNumber: number }>
  checkpointSync(directory: string): { directory: string; sequenceNumber: number }
  liveFiles(): NativeLiveFile[]
  ingest(cf: number, files: string[], options: { moveFiles?: boolean; dbGeneratedFiles?: boolean }): Promise<void>
  deleteFilesInRange(cf: number, begin: Uint8Array, end: Uint8Array): Promise<void>
}

/** One chunk of a full-snapshot stream's body, framed natively (native/snapshot_stream.h). */
export interface NativeSnapshotChunk {
  /** The chunk's bytes, at the start of the target buffer given to `next`, */
  length: number
  /** or here when they did not fit into it. */
  bytes?: Buffer
  /** [offset in bytes, key group, ...]: where key groups start. */
  starts: number[]
  /** Entries and key + value bytes read since the previous chunk. */
  entries: number
  dataBytes: number
  /** The last chunk. */
  ended: boolean
}

export interface NativeSnapshotStream {
  /** Frames the next chunk and copies it into `target`, which must not be touched until this settles. */
  next(target: Buffer): Promise<NativeSnapshotChunk>
  close(): void
}

export interface NativeSnapshotSource {
  kvStateId: number
  /** A column family id to read on the snapshot, or */
  family?: number
  /** sorted entries as [key, value, key, value, ...]. */
  entries?: Uint8Array[]
}

export interface NativeManualClock {
  set(seconds: number): void
  now(): number
}

/** The process-wide memory budget in force (`RocksDB.memoryBudget()`). */
export interface NativeMemoryBudget {
  /** The shared block cache's capacity. */
  bytes: number
  /** The share of `bytes` past which memtables are flushed. */
  writeBufferRatio: number
  /** Bytes charged to the cache now: blocks, memtables, index and filter blocks, table readers. */
  usage: number
}

/** An OS lock on a file (native/file_lock.h), held until `release()`, finalization or the worker's end. */
export interface NativeFileLock {
  release(): void
}

export interface NativeBinding {
  Database: new () => NativeDatabase
  ManualClock: new (seconds: number) => NativeManualClock
  /** Locks `path` (created when missing), or throws LockedError when it is held, in this process or another. */
  FileLock: new (path: string) => NativeFileLock
  SnapshotStream: new (
    snapshot: NativeSnapshot,
    sources: NativeSnapshotSource[],
    options: { prefixBytes: 1 | 2; frameBytes: number; chunkBytes: number },
  ) => NativeSnapshotStream
  listColumnFamilies(path: string): Promise<string[]>
  memoryBudget(options?: { bytes: number; writeBufferRatio?: number } | null): NativeMemoryBudget | null
  setErrorFactory(factory: (code: string, message: string) => Error): void
  /** zstd frames for full snapshots (lib/format/codecs/zstd.ts), in the thread pool. */
  zstdCompress(raw: Uint8Array, level: number): Promise<Buffer>
  zstdDecompress(compressed: Uint8Array, rawLength: number): Promise<Buffer>
  /** Snappy frames (lib/format/codecs/snappy.ts), in the thread pool. */
  snappyCompress(raw: Uint8Array): Promise<Buffer>
  snappyDecompress(compressed: Uint8Array, rawLength: number): Promise<Buffer>
  /**
   * A file's length and SHA-256 (lowercase hex), in the thread pool (lib/storage/file-digest.ts);
   * rejects with code Aborted once `cancel[0]` is set. Absent when the process exports no OpenSSL.
   */
  sha256File?(path: string, cancel: Int32Array): Promise<{ size: number; sha256: string }>
  rocksdbVersion: string
  rocksdbBuild: 'system' | 'bundled'
  /** Whether `ingest` takes `dbGeneratedFiles` (RocksDB 9.10 on). */
  canIngestDbGeneratedFiles: boolean
}

/** Read flags of get/getMany (native/database.h ReadFlags). */
export const READ_RAW = 1
export const READ_SKIP_EXPIRED = 2

// lib/native/binding.ts and dist/native/binding.js both sit two levels below the package root.
const packageRoot = path.join(__dirname, '..', '..')

export const binding = nodeGypBuild(packageRoot) as NativeBinding
binding.setErrorFactory(errorFromNative)
