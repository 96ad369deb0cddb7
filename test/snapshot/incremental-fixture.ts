import { afterEach } from 'vitest'
import type { IncrementalKeyedStateHandle, KeyGroupRange, KeyedStateBackend, KeyedStateHandle, ManualClock } from '../../lib'
import { CountingStorage } from '../storage/counting-storage'
import { useSnapshotFixture } from './snapshot-fixture'

export { MAX_PARALLELISM } from './snapshot-fixture'

/** Incremental backends (closed after each test) over one counting storage per test, all in temp directories. */
export function useIncrementalFixture() {
  const fixture = useSnapshotFixture()
  let storage: CountingStorage | undefined
  afterEach(() => {
    storage = undefined
  })
  return {
    tempDir: fixture.tempDir,
    /** The test's storage, created by the first call with its options. */
    storage(options: { retain?: number } = {}): CountingStorage {
      storage ??= new CountingStorage(fixture.tempDir('checkpoints'), options)
      return storage
    },
    backend(options: { path?: string; range?: KeyGroupRange; restoreFrom?: unknown[]; clock?: ManualClock; jobId?: string } = {}): Promise<KeyedStateBackend<string>> {
      return fixture.backend({ ...options, storage: this.storage(), incremental: true })
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

/**
 * A `rawDump` without the column families of the heap timer service 't-heap': a live backend keeps
 * there the timers its last incremental snapshot wrote, a restored one moves them into its heap.
 */
export function withoutHeapTimers(dump: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(dump).filter(([name]) => !name.startsWith('_timer_t-heap_')))
}
