import { afterEach } from 'vitest'
import { KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S, type IncrementalKeyedStateHandle, type KeyedStateHandle } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { CountingStorage } from '../storage/counting-storage'

export const MAX_PARALLELISM = 128

/** Incremental backends (closed after each test) over one counting storage, all in temp directories. */
export function useIncrementalFixture() {
  const tempDir = useTempDirs()
  const open = new Set<KeyedStateBackend<string>>()
  let storage: CountingStorage | undefined
  afterEach(async () => {
    await Promise.all([...open].map((backend) => backend.close()))
    open.clear()
    storage = undefined
  })
  return {
    tempDir,
    storage(options: { retain?: number } = {}): CountingStorage {
      storage ??= new CountingStorage(tempDir('checkpoints'), options)
      return storage
    },
    async backend(
      options: { path?: string; range?: KeyGroupRange; restoreFrom?: unknown[]; clock?: ManualClock; jobId?: string } = {},
    ): Promise<KeyedStateBackend<string>> {
      const backend = await KeyedStateBackend.open({
        path: options.path ?? tempDir('instance'),
        keySerializer: S.string,
        maxParallelism: MAX_PARALLELISM,
        keyGroupRange: options.range ?? new KeyGroupRange(0, MAX_PARALLELISM - 1),
        restoreFrom: options.restoreFrom,
        storage: this.storage(),
        jobId: options.jobId,
        clock: options.clock,
        incremental: true,
      })
      open.add(backend)
      const close = backend.close.bind(backend)
      backend.close = async () => {
        open.delete(backend)
        await close()
      }
      return backend
    },
  }
}

export function incremental(handle: KeyedStateHandle): IncrementalKeyedStateHandle {
  if (handle.kind !== 'incremental') throw new Error(`expected an incremental handle, got ${handle.kind}`)
  return handle
}

/**
 * Every entry of every column family of the backend, raw (values with their TTL write time), as
 * hex. A list's whole-value write time is left out: it is no TTL (each element has its own, kept
 * in the value) and a read that merges operands stamps it with the time of that read.
 */
export function rawDump(backend: KeyedStateBackend<string>): Record<string, string[]> {
  const dump: Record<string, string[]> = {}
  for (const cf of backend.db.columnFamilies()) {
    if (cf.name === 'default') continue
    const entries: string[] = []
    for (const [key, value] of cf.iterator({ raw: true })) {
      entries.push(`${key.toString('hex')}=${(cf.timestampedList ? value.subarray(0, -4) : value).toString('hex')}`)
    }
    dump[cf.name] = entries
  }
  return dump
}
