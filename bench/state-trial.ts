/**
 * One keyed-state trial in its own process (started by bench/state.bench.ts, or by hand):
 *
 *   node --expose-gc --import tsx bench/state-trial.ts <workload> <driver> <keys> <dir>
 *
 * Workloads and drivers (STATE_WORKLOADS):
 *   value   state | ours | nxtedition   ValueState value()+update() per key / raw get+put of the same bytes
 *   list    state | ours | nxtedition   ListState add() per key (RocksDB merge), then get() per key
 *   map     state | ours | nxtedition   MapState put() of 4 user keys per key, then get() of each
 *   timers  heap | rocksdb              one event-time timer per key registered, then all fired
 *
 * `state` is the public KeyedStateBackend API on string keys (S.string, 16 ASCII characters)
 * with S.bytes values (100 bytes); `ours` is our own RocksDB ColumnFamily (a column family
 * created as the backend creates a state's) and `nxtedition` @nxtedition/rocksdb through its
 * sync entry points, both reading and writing exactly the bytes the state layer stores
 * (composite key `prefix | key`, value `varint length | bytes`). Prints one JSON line.
 */
import path from 'node:path'
import type { KeyedStateBackend } from '../lib/index'
import { KeyGroupRange } from '../lib/keygroups'
import { Serializers as S } from '../lib/serializers'
import { DEFAULT_SEED, generate, permutation, VALUE_BYTES } from './data'
import { describeNxtedition, openRocksLevel } from './drivers/nxtedition'
import { expectEqual, gc, rssMB, TrialClock, trialMain } from './harness'
import { compositeKey, compositeMapKey, encodedValue, MAX_PARALLELISM, stringKeys } from './keyed-data'

/*
 * Our addon (and so lib/index, which loads it) is imported only in trials that use it: with
 * Debian's librocksdb and @nxtedition/rocksdb's static RocksDB/zstd in one process, nxtedition's
 * flush thread crashes in ZSTD_decompress_usingDDict (seen at 1M keys). Each driver gets a
 * process of its own anyway; lib/keygroups and lib/serializers are plain TypeScript.
 */
let lib: typeof import('../lib/index')
let describeOurs: () => string
async function loadOurs(): Promise<void> {
  lib = await import('../lib/index')
  ;({ describeOurs } = await import('./drivers/ours'))
}

export const STATE_WORKLOADS = {
  value: ['state', 'ours', 'nxtedition'],
  list: ['state', 'ours', 'nxtedition'],
  map: ['state', 'ours', 'nxtedition'],
  timers: ['heap', 'rocksdb'],
} as const
export type StateWorkload = keyof typeof STATE_WORKLOADS

/** Entries per RocksDB write batch when loading (untimed). */
export const LOAD_BATCH = 1000
/** Map state: user keys (S.int32 0..3) per key. */
export const MAP_USER_KEYS = 4

export interface Timed {
  ops: number
  seconds: number
  cpuSeconds: number
  opsPerSecond: number
}

export interface StateTrialResult {
  workload: StateWorkload
  driver: string
  keys: number
  /** Each timed part of the trial (value: getPut; list: add, get; map: put, get; timers: register, fire). */
  timed: Record<string, Timed>
  describe: string
  notes: string[]
  rssMB: number
  phases: Record<string, number>
}

const clock = new TrialClock()

function timed(ops: number, start: bigint): Timed {
  const seconds = clock.stop(start)
  return { ops, seconds, cpuSeconds: clock.cpuSeconds, opsPerSecond: ops / seconds }
}

/** What the raw baselines do: sync point operations on one keyspace, and a batched load. */
interface RawStore {
  describe: string
  notes: string[]
  get(key: Buffer): Buffer | undefined
  put(key: Buffer, value: Buffer): void
  merge(key: Buffer, value: Buffer): void
  load(keys: Buffer[], values: Buffer[]): void
  close(): Promise<void>
}

async function openOurs(dir: string, name: string): Promise<RawStore> {
  // As KeyedStateBackend.open does (WAL off), one column family per state.
  const db = await lib.RocksDB.open(dir, { wal: false })
  const cf = db.createColumnFamilySync(name, { ttlSeconds: 0 })
  const batch = db.batch()
  return {
    describe: describeOurs(),
    notes: ['our ColumnFamily get/put/merge, WAL off (as the backend), a column family as the backend creates for a state'],
    get: (key) => cf.get(key),
    put: (key, value) => cf.put(key, value),
    merge: (key, value) => cf.merge(key, value),
    load(keys, values) {
      for (let s = 0; s < keys.length; s += LOAD_BATCH) {
        for (let i = s; i < Math.min(s + LOAD_BATCH, keys.length); i++) batch.put(cf, keys[i], values[i])
        db.write(batch)
        batch.clear()
      }
    },
    async close() {
      batch.close()
      await db.close()
    },
  }
}

async function openNxtedition(dir: string): Promise<RawStore> {
  // 'stringappend' joins merge operands with ',' as our list state's merge operator does.
  const db = await openRocksLevel(dir, { mergeOperator: 'stringappend' })
  const one = db.batch()
  const batch = db.batch()
  const single: Buffer[] = [Buffer.alloc(0)]
  const EMPTY = {}
  return {
    describe: describeNxtedition(),
    notes: ['@nxtedition/rocksdb sync: _getManySync([key]) for get, a reused chained batch + _writeSync for put/merge', 'WAL on (no option to disable it); mergeOperator stringappend'],
    get(key) {
      single[0] = key
      return db._getManySync(single, EMPTY)[0]
    },
    put(key, value) {
      one._put(key, value, EMPTY)
      one._writeSync(EMPTY)
      one._clear()
    },
    merge(key, value) {
      one._merge(key, value, EMPTY)
      one._writeSync(EMPTY)
      one._clear()
    },
    load(keys, values) {
      for (let s = 0; s < keys.length; s += LOAD_BATCH) {
        for (let i = s; i < Math.min(s + LOAD_BATCH, keys.length); i++) batch._put(keys[i], values[i], EMPTY)
        batch._writeSync(EMPTY)
        batch._clear()
      }
    },
    close: () => db.close(),
  }
}

async function openBackend(dir: string): Promise<KeyedStateBackend<string>> {
  return lib.KeyedStateBackend.open({
    path: dir,
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: KeyGroupRange.forOperator(MAX_PARALLELISM, 1, 0),
  })
}

const STATE_NOTES = ['KeyedStateBackend on string keys (S.string), S.bytes values, no TTL, default namespace; setCurrentKey per key']

function warmupCount(keys: number): number {
  return Math.min(10_000, Math.max(1, Math.floor(keys / 10)))
}

/** Sum of the first value byte + value length (decoded values: 100 bytes) over `order`. */
function expectedSum(values: Buffer[], order: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < order.length; i++) sum += values[order[i]][0] + VALUE_BYTES
  return sum
}

// ---------------------------------------------------------------------------------------------

async function valueTrial(driver: string, keys: number, dir: string): Promise<Omit<StateTrialResult, 'rssMB' | 'phases'>> {
  clock.phase('start')
  const { values } = generate(keys)
  const sk = stringKeys(keys)
  const ck = sk.map(compositeKey)
  const ev = values.map(encodedValue)
  const { values: next } = generate(keys, DEFAULT_SEED + 1)
  const nextEncoded = next.map(encodedValue)
  const order = permutation(keys)
  const warm = permutation(keys, DEFAULT_SEED + 2).subarray(0, warmupCount(keys))
  const expected = expectedSum(values, order)
  clock.phase('data')
  let sum = 0
  let result: Timed

  if (driver === 'state') {
    const backend = await openBackend(dir)
    const state = backend.valueState('value', S.bytes)
    clock.phase('open')
    new RawLoader(backend, 'value').load(ck, ev)
    clock.phase('load')
    // Warm-up writes the value it read back, so the timed reads still see the loaded values.
    for (const j of warm) {
      backend.setCurrentKey(sk[j])
      state.update(state.value()!)
    }
    gc()
    const start = clock.start()
    for (let i = 0; i < keys; i++) {
      const j = order[i]
      backend.setCurrentKey(sk[j])
      const value = state.value()!
      sum += value[0] + value.length
      state.update(next[j])
    }
    result = timed(keys, start)
    backend.setCurrentKey(sk[order[0]])
    if (!Buffer.from(state.value()!).equals(next[order[0]])) throw new Error('value state: update not visible')
    await backend.close()
    clock.phase('close')
    expectEqual('value checksum', sum, expected)
    return { workload: 'value', driver, keys, timed: { getPut: result }, describe: `${describeOurs()} via KeyedStateBackend`, notes: STATE_NOTES }
  }

  const store = driver === 'ours' ? await openOurs(dir, 'value') : await openNxtedition(dir)
  clock.phase('open')
  store.load(ck, ev)
  clock.phase('load')
  for (const j of warm) store.put(ck[j], store.get(ck[j])!)
  gc()
  const start = clock.start()
  for (let i = 0; i < keys; i++) {
    const j = order[i]
    const value = store.get(ck[j])!
    sum += value[1] + value.length - 1
    store.put(ck[j], nextEncoded[j])
  }
  result = timed(keys, start)
  await store.close()
  clock.phase('close')
  expectEqual('value checksum', sum, expected)
  return { workload: 'value', driver, keys, timed: { getPut: result }, describe: store.describe, notes: store.notes }
}

/** Loads a state's column family with the raw bytes in write batches, as the raw stores load theirs. */
class RawLoader {
  constructor(
    private readonly backend: KeyedStateBackend<string>,
    private readonly stateName: string,
  ) {}

  load(keys: Buffer[], values: Buffer[]): void {
    const db = this.backend.db
    const cf = db.columnFamily(this.stateName)
    const batch = db.batch()
    for (let s = 0; s < keys.length; s += LOAD_BATCH) {
      for (let i = s; i < Math.min(s + LOAD_BATCH, keys.length); i++) batch.put(cf, keys[i], values[i])
      db.write(batch)
      batch.clear()
    }
    batch.close()
  }
}

async function listTrial(driver: string, keys: number, dir: string): Promise<Omit<StateTrialResult, 'rssMB' | 'phases'>> {
  clock.phase('start')
  const { values } = generate(keys)
  const sk = stringKeys(keys)
  const ck = sk.map(compositeKey)
  const ev = values.map(encodedValue)
  const addOrder = permutation(keys)
  const getOrder = permutation(keys, DEFAULT_SEED + 4)
  const expected = expectedSum(values, getOrder)
  const warmKeys = stringKeys(warmupCount(keys), DEFAULT_SEED + 3)
  const warmComposite = warmKeys.map(compositeKey)
  clock.phase('data')
  let sum = 0
  let add: Timed
  let get: Timed

  if (driver === 'state') {
    const backend = await openBackend(dir)
    const state = backend.listState('list', S.bytes)
    clock.phase('open')
    for (let i = 0; i < warmKeys.length; i++) {
      backend.setCurrentKey(warmKeys[i])
      state.add(values[i])
      state.get()
    }
    gc()
    let start = clock.start()
    for (let i = 0; i < keys; i++) {
      const j = addOrder[i]
      backend.setCurrentKey(sk[j])
      state.add(values[j])
    }
    add = timed(keys, start)
    gc()
    start = clock.start()
    for (let i = 0; i < keys; i++) {
      const j = getOrder[i]
      backend.setCurrentKey(sk[j])
      const list = state.get()
      sum += list[0][0] + list[0].length * list.length
    }
    get = timed(keys, start)
    await backend.close()
    clock.phase('close')
    expectEqual('list checksum', sum, expected)
    return { workload: 'list', driver, keys, timed: { add, get }, describe: `${describeOurs()} via KeyedStateBackend`, notes: STATE_NOTES }
  }

  const store = driver === 'ours' ? await openOurs(dir, 'list') : await openNxtedition(dir)
  clock.phase('open')
  for (let i = 0; i < warmKeys.length; i++) {
    store.merge(warmComposite[i], ev[i])
    store.get(warmComposite[i])
  }
  gc()
  let start = clock.start()
  for (let i = 0; i < keys; i++) {
    const j = addOrder[i]
    store.merge(ck[j], ev[j])
  }
  add = timed(keys, start)
  gc()
  start = clock.start()
  for (let i = 0; i < keys; i++) {
    const value = store.get(ck[getOrder[i]])!
    sum += value[1] + value.length - 1
  }
  get = timed(keys, start)
  await store.close()
  clock.phase('close')
  expectEqual('list checksum', sum, expected)
  return { workload: 'list', driver, keys, timed: { add, get }, describe: store.describe, notes: store.notes }
}

async function mapTrial(driver: string, keys: number, dir: string): Promise<Omit<StateTrialResult, 'rssMB' | 'phases'>> {
  clock.phase('start')
  const U = MAP_USER_KEYS
  const mapKeys = Math.max(1, Math.floor(keys / U))
  const entries = mapKeys * U
  const { values } = generate(entries)
  const sk = stringKeys(mapKeys)
  const ck = new Array<Buffer>(entries)
  for (let k = 0; k < mapKeys; k++) for (let u = 0; u < U; u++) ck[k * U + u] = compositeMapKey(sk[k], u, S.int32)
  const ev = values.map(encodedValue)
  const putOrder = permutation(mapKeys)
  const getOrder = permutation(mapKeys, DEFAULT_SEED + 4)
  let expected = 0
  for (let i = 0; i < mapKeys; i++) for (let u = 0; u < U; u++) expected += values[getOrder[i] * U + u][0] + VALUE_BYTES
  const warmKeys = stringKeys(Math.max(1, Math.floor(warmupCount(keys) / U)), DEFAULT_SEED + 3)
  const warmComposite = warmKeys.flatMap((key) => Array.from({ length: U }, (_, u) => compositeMapKey(key, u, S.int32)))
  clock.phase('data')
  let sum = 0
  let put: Timed
  let get: Timed

  if (driver === 'state') {
    const backend = await openBackend(dir)
    const state = backend.mapState('map', S.int32, S.bytes)
    clock.phase('open')
    for (let i = 0; i < warmKeys.length; i++) {
      backend.setCurrentKey(warmKeys[i])
      for (let u = 0; u < U; u++) state.put(u, values[u])
      for (let u = 0; u < U; u++) state.get(u)
    }
    gc()
    let start = clock.start()
    for (let i = 0; i < mapKeys; i++) {
      const k = putOrder[i]
      backend.setCurrentKey(sk[k])
      for (let u = 0; u < U; u++) state.put(u, values[k * U + u])
    }
    put = timed(entries, start)
    gc()
    start = clock.start()
    for (let i = 0; i < mapKeys; i++) {
      const k = getOrder[i]
      backend.setCurrentKey(sk[k])
      for (let u = 0; u < U; u++) {
        const value = state.get(u)!
        sum += value[0] + value.length
      }
    }
    get = timed(entries, start)
    await backend.close()
    clock.phase('close')
    expectEqual('map checksum', sum, expected)
    return { workload: 'map', driver, keys, timed: { put, get }, describe: `${describeOurs()} via KeyedStateBackend`, notes: STATE_NOTES }
  }

  const store = driver === 'ours' ? await openOurs(dir, 'map') : await openNxtedition(dir)
  clock.phase('open')
  for (let i = 0; i < warmComposite.length; i++) {
    store.put(warmComposite[i], ev[i])
    store.get(warmComposite[i])
  }
  gc()
  let start = clock.start()
  for (let i = 0; i < mapKeys; i++) {
    const base = putOrder[i] * U
    for (let u = 0; u < U; u++) store.put(ck[base + u], ev[base + u])
  }
  put = timed(entries, start)
  gc()
  start = clock.start()
  for (let i = 0; i < mapKeys; i++) {
    const base = getOrder[i] * U
    for (let u = 0; u < U; u++) {
      const value = store.get(ck[base + u])!
      sum += value[1] + value.length - 1
    }
  }
  get = timed(entries, start)
  await store.close()
  clock.phase('close')
  expectEqual('map checksum', sum, expected)
  return { workload: 'map', driver, keys, timed: { put, get }, describe: store.describe, notes: store.notes }
}

async function timersTrial(queue: 'heap' | 'rocksdb', keys: number, dir: string): Promise<Omit<StateTrialResult, 'rssMB' | 'phases'>> {
  clock.phase('start')
  const sk = stringKeys(keys)
  // Timestamps 0..keys-1 in random order: one distinct timer per key.
  const timestamps = permutation(keys)
  const warmKeys = stringKeys(warmupCount(keys), DEFAULT_SEED + 3)
  clock.phase('data')
  const backend = await openBackend(dir)
  let fired = 0
  let timestampSum = 0
  const timers = backend.timerService<undefined>({
    name: 'bench',
    namespaceSerializer: S.void,
    queue,
    onTimer(timer) {
      fired++
      timestampSum += timer.timestamp
    },
  })
  clock.phase('open')
  // Warm-up: timers at negative times, fired before the timed ones.
  for (let i = 0; i < warmKeys.length; i++) {
    backend.setCurrentKey(warmKeys[i])
    timers.registerEventTimeTimer(undefined, i - warmKeys.length)
  }
  timers.advanceWatermark(-1)
  fired = 0
  timestampSum = 0
  gc()
  let start = clock.start()
  for (let i = 0; i < keys; i++) {
    backend.setCurrentKey(sk[i])
    timers.registerEventTimeTimer(undefined, timestamps[i])
  }
  const register = timed(keys, start)
  gc()
  start = clock.start()
  const count = timers.advanceWatermark(keys)
  const fire = timed(keys, start)
  await backend.close()
  clock.phase('close')
  expectEqual('timers fired', count, keys)
  expectEqual('timers fired (callbacks)', fired, keys)
  expectEqual('timer timestamps', timestampSum, (keys * (keys - 1)) / 2)
  return {
    workload: 'timers',
    driver: queue,
    keys,
    timed: { register, fire },
    describe: `${describeOurs()} via KeyedStateBackend`,
    notes: [`timerService queue '${queue}', namespace S.void; one event-time timer per key, timestamps a permutation of 0..N-1; fire = one advanceWatermark(N)`],
  }
}

export async function runStateTrial(workload: StateWorkload, driver: string, keys: number, dir: string): Promise<StateTrialResult> {
  if (driver !== 'nxtedition') await loadOurs()
  clock.resetMark()
  const db = path.join(dir, 'db')
  let result: Omit<StateTrialResult, 'rssMB' | 'phases'>
  switch (workload) {
    case 'value':
      result = await valueTrial(driver, keys, db)
      break
    case 'list':
      result = await listTrial(driver, keys, db)
      break
    case 'map':
      result = await mapTrial(driver, keys, db)
      break
    case 'timers':
      result = await timersTrial(driver as 'heap' | 'rocksdb', keys, db)
      break
  }
  return { ...result, rssMB: rssMB(), phases: clock.phases }
}

if (require.main === module) {
  trialMain(async () => {
    const [workload, driver, keysArg, dir] = process.argv.slice(2)
    const drivers = (STATE_WORKLOADS as Record<string, readonly string[]>)[workload]
    if (drivers === undefined || !drivers.includes(driver) || !/^\d+$/.test(keysArg ?? '') || !dir) {
      console.error(`usage: state-trial.ts <workload> <driver> <keys> <dir>; workloads/drivers: ${JSON.stringify(STATE_WORKLOADS)}`)
      process.exit(2)
    }
    return runStateTrial(workload as StateWorkload, driver, Number(keysArg), dir)
  })
}
