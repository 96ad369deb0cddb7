import type { JobCheckpoint, TransferOptions } from './checkpoint-storage'
import { checkKey, type FileRef } from './file-ref'
import { JobCheckpoints } from './job-checkpoints'

/**
 * The job-checkpoint half of `CheckpointStorage`, the same for every storage: manifests,
 * retention and references live in `JobCheckpoints`, over the storage's own files.
 */
export abstract class JobCheckpointStorage {
  protected abstract readonly jobs: JobCheckpoints

  abstract writeFile(key: string, data: Uint8Array, options?: TransferOptions): Promise<FileRef>
  abstract deleteFile(key: string): Promise<void>
  abstract stat(key: string): Promise<{ size: number } | undefined>
  abstract list(prefix: string): Promise<string[]>
  /** A manifest's bytes, unverified (manifests carry their own checksum); `undefined` when missing. */
  protected abstract readManifest(key: string, maxBytes: number): Promise<Buffer | undefined>

  /** The job checkpoints kept in this storage's own files (for the subclass's constructor). */
  protected jobCheckpoints(retain: number, concurrency: number): JobCheckpoints {
    return new JobCheckpoints(
      {
        write: async (key, data) => {
          await this.writeFile(key, data)
        },
        read: (key, maxBytes) => this.readManifest(key, maxBytes),
        delete: (key) => this.deleteFile(key),
        stat: (key) => this.stat(key),
        list: (prefix) => this.list(prefix),
      },
      retain,
      concurrency,
    )
  }

  completeCheckpoint(jobId: string, checkpointId: number, handles: readonly unknown[]): Promise<void> {
    return this.jobs.complete(jobId, checkpointId, handles)
  }

  latestCheckpoint(jobId: string): Promise<JobCheckpoint | undefined> {
    return this.jobs.latest(jobId)
  }

  checkpoints(jobId: string): Promise<number[]> {
    return this.jobs.checkpoints(jobId)
  }

  nextCheckpointId(jobId: string): Promise<number> {
    return this.jobs.nextId(jobId)
  }

  discardCheckpoint(jobId: string, checkpointId: number): Promise<void> {
    return this.jobs.discard(jobId, checkpointId)
  }

  deleteUnreferencedFiles(keys: readonly string[]): Promise<string[]> {
    for (const key of keys) checkKey(key)
    return this.jobs.deleteUnreferenced(keys)
  }
}
