import { afterEach } from 'vitest'
import {
  FsCheckpointStorage,
  KeyGroupRange,
  KeyedStateBackend,
  ManualClock,
  readKeyGroupPrefix,
  keyGroupPrefixBytes,
  Serializers as S,
  type KeyedStateHandle,
} from '../../lib'
import type { RescaleStrategy } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { rawDump } from '../snapshot/incremental-fixture'

export const T0 = 10_000
export const TTL = { seconds: 100 }
/** Round 2 is written this many seconds after round 1, to keys i % 3 == 0. */
export const ROUND_GAP = 50
const HEAP_TIMERS = 'heap'
const ROCKS_TIMERS = 'rocks'

/** Every state kind (value, list and map with TTL; reducing and aggregating without) over `backend`. */
export function states(backend: KeyedStateBackend<string>) {
  return {
    value: backend.valueState('value', S.int32, { ttl: TTL }),
    list: backend.listState('list', S.string, { ttl: TTL }),
    map: backend.mapState('map', S.string, S.int32, { ttl: TTL }),
    sum: backend.reducingState('sum', S.int32, (a, b) => a + b),
    count: backend.aggregatingState('count', S.int32, { createAccumulator: () => 0, add: (_: number, acc: number) => acc + 1, getResult: (acc: number) => acc }),
  }
}

export function timerServices(backend: KeyedStateBackend<string>) {
  const onTimer = () => undefined
  return {
    heap: backend.timerService<string>({ name: HEAP_TIMERS, namespaceSerializer: S.string, queue: 'heap', onTimer }),
    rocks: backend.timerService<string>({ name: ROCKS_TIMERS, namespaceSerializer: S.string, queue: 'rocksdb', onTimer }),
  }
}

/** Round 1 at the clock's time to every key, round 2 `ROUND_GAP` later to every third; timers on some keys. */
export function writeState(backend: KeyedStateBackend<string>, clock: ManualClock, keys: number): { heapTimers: number } {
  const s = states(backend)
  const t = timerServices(backend)
  let heapTimers = 0
  for (let i = 0; i < keys; i++) {
    backend.setCurrentKey(`k${i}`)
    s.value.update(i)
    s.list.add(`a${i}`)
    s.map.put(`m${i % 5}`, i)
    s.sum.add(i)
    s.count.add(i)
    if (i % 7 === 0) {
      t.heap.registerEventTimeTimer(`w${i}`, i)
      heapTimers++
    }
    if (i % 11 === 0) t.rocks.registerProcessingTimeTimer(`p${i}`, i)
  }
  clock.advance(ROUND_GAP)
  for (let i = 0; i < keys; i += 3) {
    backend.setCurrentKey(`k${i}`)
    s.value.update(1000 + i)
    s.list.add(`b${i}`)
    s.map.put('n', i)
    s.sum.add(1)
    s.count.add(i)
  }
  return { heapTimers }
}

/**
 * What every key reads once round 1 has expired (clock at T0 + TTL) and round 2 has not: TTL'd
 * entries and list elements of round 1 are gone, reducing and aggregating state keep everything.
 */
export function expectedAfterRound1Expired(i: number) {
  const second = i % 3 === 0
  return {
    value: second ? 1000 + i : undefined,
    list: second ? [`b${i}`] : [],
    map: second ? [['n', i]] : [],
    sum: i + (second ? 1 : 0),
    count: second ? 2 : 1,
  }
}

export function readKey(backend: KeyedStateBackend<string>, i: number) {
  const s = states(backend)
  backend.setCurrentKey(`k${i}`)
  return {
    value: s.value.value(),
    list: s.list.get() ?? [],
    map: [...s.map.entries()],
    sum: s.sum.get(),
    count: s.count.get(),
  }
}

/** The raw entries of every column family but the heap timers' (a heap service moves them out on creation). */
export function contents(backend: KeyedStateBackend<string>): Record<string, string[]> {
  const dump = rawDump(backend)
  for (const name of Object.keys(dump)) if (name.startsWith(`_timer_${HEAP_TIMERS}_`)) delete dump[name]
  return dump
}

/** The workers' entries together, per column family, in key order. */
export function union(parts: Record<string, string[]>[]): Record<string, string[]> {
  const all: Record<string, string[]> = {}
  for (const part of parts) for (const [name, entries] of Object.entries(part)) (all[name] ??= []).push(...entries)
  for (const entries of Object.values(all)) entries.sort()
  return all
}

/** Every raw key of every column family of `backend` whose key group lies outside its range, counted. */
export function keysOutsideRange(backend: KeyedStateBackend<string>): { outside: number; scanned: number } {
  const prefixBytes = keyGroupPrefixBytes(backend.maxParallelism)
  let outside = 0
  let scanned = 0
  for (const cf of backend.db.columnFamilies()) {
    for (const [key] of cf.iterator({ raw: true })) {
      scanned++
      if (!backend.keyGroupRange.contains(readKeyGroupPrefix(key, 0, prefixBytes))) outside++
    }
  }
  return { outside, scanned }
}

/** Incremental backends of one job over one storage, closed after each test. */
export function useRescaleFixture() {
  const tempDir = useTempDirs()
  const open: KeyedStateBackend<string>[] = []
  let storage: { root: string; storage: FsCheckpointStorage } | undefined
  afterEach(async () => {
    await Promise.all(open.splice(0).map((backend) => backend.close()))
    storage = undefined
  })
  const created = () => {
    if (storage === undefined) {
      const root = tempDir('checkpoints')
      storage = { root, storage: new FsCheckpointStorage(root, { retain: 100 }) }
    }
    return storage
  }
  return {
    tempDir,
    storage: (): FsCheckpointStorage => created().storage,
    /** The storage's directory. */
    storageRoot: (): string => created().root,
    async backend(options: {
      maxParallelism: number
      range?: KeyGroupRange
      restoreFrom?: KeyedStateHandle[]
      clock: ManualClock
      rescaleStrategy?: RescaleStrategy
      rescaleOverlapThreshold?: number
      path?: string
      signal?: AbortSignal
      onRestoreProgress?: (progress: { entries: number; keyGroups: number }) => void
    }): Promise<KeyedStateBackend<string>> {
      const { maxParallelism, range, path, ...rest } = options
      const backend = await KeyedStateBackend.open({
        ...rest,
        path: path ?? tempDir('instance'),
        keySerializer: S.string,
        maxParallelism,
        keyGroupRange: range ?? new KeyGroupRange(0, maxParallelism - 1),
        storage: this.storage(),
        incremental: true,
        jobId: 'job',
      })
      open.push(backend)
      return backend
    },
    /**
     * Checkpoint 2 of `parallelism` workers (maxParallelism 128), each restored from checkpoint 1
     * of one backend that wrote `writeState` for `keys` keys; `compact`: each worker compacts every
     * column family first (dropping what clipping hid, every key then at sequence number 0).
     */
    async workersCheckpoint(parallelism: number, clock: ManualClock, { keys = 600, compact = false } = {}): Promise<KeyedStateHandle[]> {
      const whole = await this.backend({ maxParallelism: 128, clock })
      writeState(whole, clock, keys)
      const first = await whole.snapshot(1)
      await this.close(whole)
      const handles: KeyedStateHandle[] = []
      for (let i = 0; i < parallelism; i++) {
        const worker = await this.backend({ maxParallelism: 128, range: KeyGroupRange.forOperator(128, parallelism, i), restoreFrom: [first], clock })
        if (compact) for (const cf of worker.db.columnFamilies()) await worker.db.compactRange(cf)
        handles.push(await worker.snapshot(2))
        await this.close(worker)
      }
      return handles
    },
    async close(backend: KeyedStateBackend<string>): Promise<void> {
      open.splice(open.indexOf(backend), 1)
      await backend.close()
    },
  }
}
