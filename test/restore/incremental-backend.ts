import { type CheckpointStorage, KeyGroupRange, KeyedStateBackend, Serializers as S } from '../../lib'

/** The incremental backend of job 'job' the crash and install-kill cases open: one worker, all 128 key groups. */
export function openIncrementalBackend(instance: string, storage: CheckpointStorage, restoreFrom?: unknown[]): Promise<KeyedStateBackend<string>> {
  return KeyedStateBackend.open({
    path: instance,
    keySerializer: S.string,
    maxParallelism: 128,
    keyGroupRange: new KeyGroupRange(0, 127),
    storage,
    jobId: 'job',
    incremental: true,
    ...(restoreFrom === undefined ? {} : { restoreFrom }),
  })
}
