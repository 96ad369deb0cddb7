import type { JobCheckpoint } from './checkpoint-storage'
import { checkKey } from './file-ref'
import type { JobCheckpoints } from './job-checkpoints'

/**
 * The job-checkpoint half of `CheckpointStorage`, the same for every storage: manifests,
 * retention and references live in `JobCheckpoints`, over the storage's own files.
 */
export abstract class JobCheckpointStorage {
  protected abstract readonly jobs: JobCheckpoints

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
