import path from 'node:path'
import { afterEach } from 'vitest'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

export const MAX_PARALLELISM = 128

/** Backends (closed after each test) and a checkpoint storage, all in temp directories. */
export function useSnapshotFixture() {
  const tempDir = useTempDirs()
  const open: KeyedStateBackend<string>[] = []
  let storage: FsCheckpointStorage | undefined
  afterEach(async () => {
    await Promise.all(open.splice(0).map((backend) => backend.close()))
    // Its directory is removed with the test's temp dirs: the next test gets a fresh one.
    storage = undefined
  })
  return {
    storage(): FsCheckpointStorage {
      storage ??= new FsCheckpointStorage(tempDir('checkpoints'))
      return storage
    },
    /** A backend on the whole range; `storage` defaults to this fixture's when restoring. */
    async backend(
      options: {
        range?: KeyGroupRange
        restoreFrom?: unknown[]
        clock?: ManualClock
        path?: string
        storage?: FsCheckpointStorage
        incremental?: boolean
        jobId?: string
      } = {},
    ): Promise<KeyedStateBackend<string>> {
      const backend = await KeyedStateBackend.open({
        path: options.path ?? tempDir('instance'),
        keySerializer: S.string,
        maxParallelism: MAX_PARALLELISM,
        keyGroupRange: options.range ?? new KeyGroupRange(0, MAX_PARALLELISM - 1),
        restoreFrom: options.restoreFrom,
        storage: options.storage ?? (options.restoreFrom === undefined ? undefined : this.storage()),
        clock: options.clock,
        incremental: options.incremental,
        jobId: options.jobId,
      })
      open.push(backend)
      return backend
    },
    tempDir,
    path,
  }
}
