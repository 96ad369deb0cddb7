import type { FileRef } from './file-ref'

/** Options of a storage call (`uploadFile`, `readFile`, ...): any other key is a TypeError, before anything is moved. */
export interface TransferOptions {
  /** Cancels the transfer; nothing of it is left behind (no partial file at the destination). */
  signal?: AbortSignal
  /** Called with the number of bytes moved since the previous call. */
  onProgress?: (bytes: number) => void
}

/** Options of `downloadFile(s)`: any other key is a TypeError, before anything is written. */
export interface DownloadOptions extends TransferOptions {
  /**
   * Allows a hard link instead of a copy when the storage is local and on the same filesystem as
   * the destination (otherwise it copies). The linked file is verified like a copy. Stored files
   * are read-only, so only link files the reader never writes (RocksDB's SST files).
   */
  link?: boolean
}

/** A complete job checkpoint: the handles of every worker, as given to `completeCheckpoint`. */
export interface JobCheckpoint {
  jobId: string
  checkpointId: number
  handles: unknown[]
}

/**
 * Where checkpoints live: files addressed by keys (`/`-separated relative paths, see `keyProblem`)
 * plus a record of each job's complete checkpoints. Implementations may be remote (S3), so nothing
 * here assumes a local filesystem except the optional `localPath`.
 *
 * Stored files are immutable once written: every write lands whole or not at all, and readers
 * verify each file's size and SHA-256 against its `FileRef`, reporting a missing, truncated or
 * altered file as `CorruptCheckpointError`. Keys read from handles that escape the storage (`..`,
 * absolute paths, symlinks out of a local root) are refused with `CorruptCheckpointError`; invalid
 * keys passed to writes are a `RangeError`.
 *
 * Shared files (incremental checkpoints). A file may be referenced by the handles of many
 * checkpoints: an incremental checkpoint references the SST files an earlier one uploaded (keys
 * under `shared/<backendId>/`, see docs/format.md) instead of uploading them again. Every
 * implementation keeps this contract, stated in keys and handles only, never in paths:
 * - A reference is any `FileRef` (an object with `key`, `size` and `sha256`) anywhere inside a
 *   handle given to `completeCheckpoint` (`collectFileRefs` finds them); the storage needs no
 *   knowledge of handle kinds.
 * - A key is deleted (by retention in `completeCheckpoint`, `discardCheckpoint`,
 *   `deleteUnreferencedFiles` or `collectGarbage`) only when no complete job checkpoint of ANY job
 *   in this storage (nor one whose discard is still in progress) references it. Deleting is the
 *   last step of a discard, after the manifest stopped counting as complete, so a crash at any
 *   point leaves every complete checkpoint whole; what a crash leaves behind is deleted by the next
 *   discard or `collectGarbage`.
 * - Backends never share keys: backend ids (random per backend) are part of every key a backend
 *   writes, so several backends, of one job or of several, write into one root without
 *   interfering. Within one backend a shared file has one key, written again with the same bytes
 *   at most; the backend itself keeps an aborted snapshot from deleting a key another of its
 *   snapshots uses (IncrementalSharedFiles).
 * - A file referenced by a snapshot that is not complete yet (uploaded, or referenced from the
 *   last complete checkpoint) is protected only by that checkpoint's references and by the grace
 *   period of `collectGarbage`; `completeCheckpoint` checks every referenced file is present, so a
 *   file deleted meanwhile makes it fail (`CorruptCheckpointError`) rather than record a checkpoint
 *   that cannot be restored.
 */
export interface CheckpointStorage {
  /** Streams a local file to `key` (replacing what is there), hashing it on the way. */
  uploadFile(localPath: string, key: string, options?: TransferOptions): Promise<FileRef>
  /**
   * For local storages: takes a finished, already fsynced local file whose size and SHA-256 the
   * caller computed while writing it, by moving it into place when it is on the same filesystem
   * (else as `uploadFile`). Saves a full snapshot a second copy and a second hash.
   */
  adoptFile?(localPath: string, key: string, digest: { size: number; sha256: string }, options?: TransferOptions): Promise<FileRef>
  /**
   * Several `uploadFile`s through the storage's bounded pool (at most its concurrency at once);
   * results in the input's order. On the first failure or abort no further upload starts and the
   * promise rejects once the running ones settled; files already uploaded stay (the caller deletes
   * them with `deleteUnreferencedFiles`).
   */
  uploadFiles(files: readonly { localPath: string; key: string }[], options?: TransferOptions): Promise<FileRef[]>
  /** Writes bytes, or a stream of chunks, to `key` (replacing what is there). */
  writeFile(key: string, data: Uint8Array | AsyncIterable<Uint8Array>, options?: TransferOptions): Promise<FileRef>

  /**
   * Copies (or links, see `DownloadOptions.link`) a verified file to `localPath`, creating its
   * directory and replacing what is there; on failure `localPath` is left as it was.
   */
  downloadFile(ref: FileRef, localPath: string, options?: DownloadOptions): Promise<void>
  /** Several `downloadFile`s through the storage's bounded pool; each file is verified (size, SHA-256) as `downloadFile` does. */
  downloadFiles(files: readonly { ref: FileRef; localPath: string }[], options?: DownloadOptions): Promise<void>
  /** The whole of a small file (metadata, manifests), verified. */
  readFile(ref: FileRef, options?: TransferOptions): Promise<Buffer>
  /**
   * Local storages only: verifies the file and returns a path the caller may open and read in
   * place (seeking to key groups of a full snapshot without copying it).
   */
  localPath?(ref: FileRef, options?: TransferOptions): Promise<string>

  /** Removes `key`; a key that is not there is no error. */
  deleteFile(key: string): Promise<void>
  /** The size of the file at `key`, or `undefined` when there is none. */
  stat(key: string): Promise<{ size: number } | undefined>
  /** The keys starting with `prefix` (a plain string prefix, as S3's), sorted. */
  list(prefix: string): Promise<string[]>

  /**
   * Records job checkpoint `checkpointId` as complete once every worker's handle is in: checks
   * that each file the handles reference is present with its size, then writes the job manifest
   * atomically (the checkpoint counts from that moment) and discards the checkpoints no longer
   * retained. Checkpoint ids must increase; completing the same id with the same handles again is
   * a no-op; a handle that names another checkpoint id or job is a `RangeError`. If discarding fails the checkpoint stays complete and the discard is finished by a
   * later call or `collectGarbage`.
   */
  completeCheckpoint(jobId: string, checkpointId: number, handles: readonly unknown[]): Promise<void>
  /**
   * The newest complete checkpoint of the job, its manifest verified; `undefined` when it has none.
   * A damaged manifest is a `CorruptCheckpointError` (discarding that checkpoint falls back to the
   * one before), never silently skipped.
   */
  latestCheckpoint(jobId: string): Promise<JobCheckpoint | undefined>
  /** The ids of the job's complete checkpoints, ascending. */
  checkpoints(jobId: string): Promise<number[]>
  /**
   * The id to give the job's next checkpoint: one above its newest complete one, 1 for a new job.
   * Ids keep increasing across restarts without the caller tracking them.
   */
  nextCheckpointId(jobId: string): Promise<number>
  /**
   * Stops counting the checkpoint as complete and deletes the files that no complete checkpoint of
   * any job in this storage still references. Unknown ids are no error.
   */
  discardCheckpoint(jobId: string, checkpointId: number): Promise<void>
  /**
   * Deletes those of `keys` that no job checkpoint references (e.g. the files of a snapshot whose
   * checkpoint was aborted) and returns them; referenced ones stay.
   */
  deleteUnreferencedFiles(keys: readonly string[]): Promise<string[]>
  /**
   * Finishes interrupted discards and removes leftovers of interrupted writes not touched for
   * `olderThanMs` (default one hour). With `unreferencedOlderThanMs`, also removes checkpoint files
   * (`chk-*` and `shared/` keys) that no job checkpoint references and that were last written
   * longer ago than that: files of aborted or never-completed checkpoints. See GarbageOptions.
   */
  collectGarbage(options?: GarbageOptions): Promise<void>
}

/** Options of `collectGarbage`: any other key, or an age that is not a number, is a TypeError, before anything is removed. */
export interface GarbageOptions {
  /** Temporary files of interrupted writes older than this are removed (default one hour). */
  olderThanMs?: number
  /**
   * When set, checkpoint files that no job checkpoint references are removed once older than this.
   * A snapshot's files are unreferenced from their upload until `completeCheckpoint`: the grace
   * period must be longer than that (the slowest worker's snapshot plus the coordinator's wait),
   * which is what keeps in-progress checkpoints safe; within one process, removal also waits for a
   * running `completeCheckpoint`. Savepoints that no job checkpoint references look the same:
   * keep them in another storage, or leave this unset (the default: unreferenced files are kept).
   * Only keys of the layout at this root's own level (`chk-<id>/<backend>/<file>`,
   * `shared/<backend>/<file>`) are removed, never those of another storage rooted inside this one.
   */
  unreferencedOlderThanMs?: number
}
