import { randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { ClosedError, IncompatibleStateError, KeyGroupOutOfRangeError, KeyedStateError } from './errors'
import { restoreFull, type RestoreProgress } from './restore/full-restore'
import { parseKeyedStateHandle, type KeyedStateHandle } from './snapshot/keyed-state-handle'
import { startFullSnapshot, type FullSnapshotSource, type SnapshotOptions } from './snapshot/full-snapshot'
import type { SnapshotStateMeta } from './snapshot/state-snapshot-meta'
import type { CheckpointStorage } from './storage/checkpoint-storage'
import { checkCheckpointId } from './storage/layout'
import { murmurHash, checkMaxParallelism } from './keygroups/assignment'
import { CompositeKeyBuilder } from './keygroups/composite-key'
import { keyGroupPrefixBytes, type KeyGroupPrefixBytes } from './keygroups/key-group-prefix'
import { KeyGroupRange } from './keygroups/key-group-range'
import type { ManualClock } from './native/clock'
import type { ColumnFamily } from './native/column-family'
import { RocksDB } from './native/rocksdb'
import { ByteReader } from './serializers/byte-reader'
import { ByteWriter } from './serializers/byte-writer'
import { voidNamespace } from './serializers/primitives'
import type { Serializer } from './serializers/serializer'
import { AggregatingState, type AggregateFunction } from './state/aggregating-state'
import { isAmbiguousKeyPossible, readLength } from './keygroups/composite-key'
import type { StateBinding } from './state/keyed-state'
import { ListState } from './state/list-state'
import { MapState } from './state/map-state'
import { ReducingState } from './state/reducing-state'
import type { StateContext } from './state/state-context'
import { incompatibility, type StateKind, type StateMeta } from './state/state-meta'
import { resolveTtl, type StateTtlConfig } from './state/ttl-config'
import { ValueState } from './state/value-state'
import { NO_TTL } from './state/ttl-config'
import { TimerCodec } from './timers/timer-key'
import { TimerService, createTimerService, timerColumnFamilyName, type TimerServiceOptions } from './timers/timer-service'
import type { TimerQueue } from './timers/timer-queue'

const TIMER_PREFIX = '_timer_'
const DOMAINS = ['event', 'processing'] as const

export interface KeyedStateBackendOptions<K> {
  /** The RocksDB instance directory; this backend owns it (its contents are replaced on open). */
  path: string
  keySerializer: Serializer<K>
  /** Number of key groups, fixed for the life of the job (1 to 32768). */
  maxParallelism: number
  /** The key groups this backend holds, e.g. `KeyGroupRange.forOperator(128, 3, 1)`. */
  keyGroupRange: KeyGroupRange
  /** A test clock for every TTL decision. */
  clock?: ManualClock
  /**
   * Handles (as `snapshot()` returned them, or parsed from JSON) to restore from: any number,
   * with any key-group ranges; only the key groups of `keyGroupRange` are taken. [] or absent
   * for a fresh start.
   */
  restoreFrom?: readonly unknown[]
  /** Where `restoreFrom`'s files are; required when restoring. */
  storage?: CheckpointStorage
  /** Cancels a restore. */
  signal?: AbortSignal
  onRestoreProgress?: (progress: RestoreProgress) => void
}

export interface StateOptions<N> {
  ttl?: StateTtlConfig
  /** Serializer of the state's namespaces (windows, timer namespaces); default: no namespace. */
  namespaceSerializer?: Serializer<N>
  /** The namespace a state starts in; default undefined (the "void" namespace). */
  defaultNamespace?: N
}

interface RegisteredState {
  meta: StateMeta
  cf: ColumnFamily
  /** Undefined for a state restored from a snapshot and not registered again yet. */
  namespaceSerializer?: Serializer<unknown>
}

interface RunningSnapshot {
  checkpointId: number
  controller: AbortController
  done: Promise<unknown>
}

const STATE_NAME = /^[\w.\-:]{1,200}$/

/**
 * Keyed state on RocksDB: states are scoped to the current key (`setCurrentKey`) and to a
 * namespace, each state lives in its own column family with its own TTL, and keys are laid
 * out by key group, as Flink's RocksDB backend does, so that state can be checkpointed and
 * redistributed by key-group ranges.
 */
export class KeyedStateBackend<K> implements StateContext<K> {
  readonly keySerializer: Serializer<K>
  readonly maxParallelism: number
  readonly keyGroupRange: KeyGroupRange
  readonly keyGroupPrefixBytes: KeyGroupPrefixBytes
  /** @internal */
  readonly keyBuilder: CompositeKeyBuilder<K>
  /** @internal */
  readonly valueWriter = new ByteWriter(256)
  /** @internal */
  readonly valueReader = new ByteReader()
  /** @internal */
  readonly db: RocksDB
  /** @internal Registered states in registration order (their kvStateId in snapshots). */
  readonly states = new Map<string, RegisteredState>()
  /** Identifies this backend's files in checkpoint storage. */
  readonly backendId = randomUUID()
  /** @internal Local scratch space beside the instance directory (snapshot streams, downloads). */
  readonly workDirectory: string
  private key: K | undefined
  private keyGroup = -1
  private closed = false
  private readonly running = new Set<RunningSnapshot>()
  private readonly timerServices = new Map<string, TimerService<K, unknown>>()
  /** Timer column families (restored, or of 'rocksdb' services) with their snapshot metadata. */
  private readonly timerMetas = new Map<string, StateMeta>()
  private lastCompletedCheckpoint = -1

  private constructor(db: RocksDB, options: KeyedStateBackendOptions<K>) {
    this.db = db
    this.workDirectory = `${options.path}.work`
    this.keySerializer = options.keySerializer
    this.maxParallelism = options.maxParallelism
    this.keyGroupRange = options.keyGroupRange
    this.keyGroupPrefixBytes = keyGroupPrefixBytes(options.maxParallelism)
    this.keyBuilder = new CompositeKeyBuilder(options.keySerializer, this.keyGroupPrefixBytes)
  }

  static async open<K>(options: KeyedStateBackendOptions<K>): Promise<KeyedStateBackend<K>> {
    validateOptions(options)
    // No WAL: the backend's durability is its checkpoint, and it starts from one (or from
    // nothing) on every open, so a log of writes since would only cost time.
    const db = await RocksDB.open(options.path, { clock: options.clock, wal: false })
    try {
      // A backend starts from nothing (or from what it restores): state left in the
      // directory by an earlier run is not part of any checkpoint. Dropped under RocksDB's
      // lock, so a directory another backend holds is refused (LockedError) untouched.
      for (const cf of db.columnFamilies()) {
        if (cf.name !== 'default') await db.dropColumnFamily(cf)
      }
      const backend = new KeyedStateBackend(db, options)
      await rm(backend.workDirectory, { recursive: true, force: true })
      await backend.restore(options)
      return backend
    } catch (error) {
      // Never leave a half-restored instance behind.
      await db.close()
      await rm(options.path, { recursive: true, force: true })
      await rm(`${options.path}.work`, { recursive: true, force: true })
      throw error
    }
  }

  private async restore(options: KeyedStateBackendOptions<K>): Promise<void> {
    const handles = (options.restoreFrom ?? []).map(parseKeyedStateHandle)
    if (handles.length === 0) return
    if (options.storage === undefined) throw new TypeError('restoreFrom needs the storage its files are in (option storage)')
    await mkdir(this.workDirectory, { recursive: true })
    try {
      await restoreFull(
        {
          db: this.db,
          keySerializer: this.keySerializer.id,
          maxParallelism: this.maxParallelism,
          keyGroupRange: this.keyGroupRange,
          restoreState: (meta) => this.restoreState(meta),
          workDirectory: this.workDirectory,
        },
        handles,
        options.storage,
        { signal: options.signal, onProgress: options.onRestoreProgress },
      )
    } finally {
      await rm(this.workDirectory, { recursive: true, force: true })
    }
  }

  /** A state recorded in a snapshot: registered with its recorded layout and TTL, serializers bound later. */
  private restoreState(recorded: SnapshotStateMeta): ColumnFamily {
    const { kvStateId: _, ...meta } = recorded
    if (meta.kind === 'timers') return this.restoreTimers(meta)
    const existing = this.states.get(meta.name)
    if (existing !== undefined) {
      const problem = incompatibility(existing.meta, meta)
      if (problem !== undefined) throw new IncompatibleStateError(`snapshots disagree about state '${meta.name}': ${problem}`)
      return existing.cf
    }
    checkStateName(meta.name)
    const ttl = resolveTtl(meta.ttl.seconds > 0 ? meta.ttl : undefined)
    const cf = this.db.createColumnFamilySync(meta.name, { ttlSeconds: ttl.seconds })
    this.states.set(meta.name, { meta: { ...meta, ttl }, cf })
    return cf
  }

  /** Timers recorded in a snapshot go to their column family; a service created later takes them over. */
  private restoreTimers(meta: StateMeta): ColumnFamily {
    if (!meta.name.startsWith(TIMER_PREFIX) || meta.name.length > 200) {
      throw new IncompatibleStateError(`the snapshot records timers under an invalid name '${meta.name}'`)
    }
    this.timerMetas.set(meta.name, { ...meta, ttl: NO_TTL })
    return this.db.hasColumnFamily(meta.name) ? this.db.columnFamily(meta.name) : this.db.createColumnFamilySync(meta.name)
  }

  // ---------------------------------------------------------------------------------------
  // timers

  /**
   * A timer service for this backend's keys (see TimerService). With `queue: 'heap'` timers
   * live in memory and are copied into snapshots; with 'rocksdb' they live in two column
   * families. Either way a restored backend gets its timers back when it creates the service
   * of the same name again, whatever its queue kind.
   */
  timerService<N>(options: TimerServiceOptions<K, N>): TimerService<K, N> {
    const metas = DOMAINS.map((domain) => timerMeta(String(options?.name), domain, String(options?.namespaceSerializer?.id)))
    for (const meta of metas) {
      const restored = this.timerMetas.get(meta.name)
      if (restored !== undefined && restored.namespaceSerializer !== meta.namespaceSerializer) {
        throw new IncompatibleStateError(
          `timer service '${options.name}' was restored with namespace serializer '${restored.namespaceSerializer}', requested '${meta.namespaceSerializer}'`,
        )
      }
    }
    const service = createTimerService(this, options)
    const queues = [service.eventTimeQueue, service.processingTimeQueue]
    metas.forEach((meta, i) => {
      if (service.queueKind === 'heap') {
        if (this.db.hasColumnFamily(meta.name)) this.moveTimersIntoHeap(this.db.columnFamily(meta.name), queues[i], options)
        this.timerMetas.delete(meta.name)
      } else {
        this.timerMetas.set(meta.name, meta)
      }
    })
    this.timerServices.set(service.name, service as TimerService<K, unknown>)
    return service
  }

  /** @internal */
  hasTimerService(name: string): boolean {
    return this.timerServices.has(name)
  }

  private moveTimersIntoHeap<N>(cf: ColumnFamily, queue: TimerQueue<K, N>, options: TimerServiceOptions<K, N>): void {
    const codec = this.timerCodec(options.namespaceSerializer)
    for (const [key] of cf.iterator()) {
      const timer = codec.decode(key)
      queue.add(timer.timestamp, timer.key, timer.namespace)
    }
    // Key-group prefixes never have the top bit set: [0x00, 0xff) covers every timer.
    cf.deleteRange(Buffer.from([0x00]), Buffer.from([0xff]))
  }

  private timerCodec<N>(namespaceSerializer: Serializer<N>): TimerCodec<K, N> {
    return new TimerCodec({
      keySerializer: this.keySerializer,
      namespaceSerializer,
      maxParallelism: this.maxParallelism,
      keyGroupRange: this.keyGroupRange,
    })
  }

  /** What a snapshot records: every state, every timer column family, and heap timers copied now. */
  private snapshotStates(): FullSnapshotSource['states'] {
    const states: FullSnapshotSource['states'] = [...this.states.values()].map(({ meta, cf }) => ({ meta, cf }))
    for (const [name, meta] of this.timerMetas) states.push({ meta, cf: this.db.columnFamily(name) })
    const writeTime = Buffer.alloc(4)
    writeTime.writeInt32LE(this.db.nowSeconds())
    for (const service of this.timerServices.values()) {
      if (service.queueKind !== 'heap') continue
      const codec = this.timerCodec(service.namespaceSerializer)
      for (const domain of DOMAINS) {
        const queue = domain === 'event' ? service.eventTimeQueue : service.processingTimeQueue
        const entries: [Buffer, Buffer][] = []
        // The queue iterates key group by key group in timer order: the encoded keys' byte order.
        for (const timer of queue) {
          entries.push([Buffer.from(codec.encode(codec.keyGroupOf(timer.key), timer.timestamp, timer.key, timer.namespace)), writeTime])
        }
        states.push({ meta: timerMeta(service.name, domain, service.namespaceSerializer.id), entries })
      }
    }
    return states
  }

  // ---------------------------------------------------------------------------------------
  // checkpoints

  /**
   * Takes a full snapshot of every state: the RocksDB snapshot is taken now (synchronously),
   * the stream is written and uploaded in the background while the service keeps writing.
   * Several snapshots may run at once; `close()` aborts the running ones.
   */
  snapshot(checkpointId: number, storage: CheckpointStorage, options: SnapshotOptions = {}): Promise<KeyedStateHandle> {
    if (this.closed) return Promise.reject(this.closedError())
    checkCheckpointId(checkpointId)
    const controller = new AbortController()
    const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal])
    const states = this.snapshotStates()
    const done = startFullSnapshot(
      {
        db: this.db,
        backendId: this.backendId,
        keySerializer: this.keySerializer.id,
        maxParallelism: this.maxParallelism,
        keyGroupPrefixBytes: this.keyGroupPrefixBytes,
        keyGroupRange: this.keyGroupRange,
        states,
        workDirectory: this.workDirectory,
      },
      checkpointId,
      storage,
      { ...options, signal },
    )
    const entry: RunningSnapshot = { checkpointId, controller, done }
    this.running.add(entry)
    return done.finally(() => this.running.delete(entry))
  }

  /** The checkpoint `checkpointId` completed (every worker's snapshot is in). */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    checkCheckpointId(checkpointId)
    this.lastCompletedCheckpoint = Math.max(this.lastCompletedCheckpoint, checkpointId)
  }

  /** The checkpoint `checkpointId` will not complete: a snapshot of it still running is aborted. */
  async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    checkCheckpointId(checkpointId)
    const aborted = [...this.running].filter((snapshot) => snapshot.checkpointId === checkpointId)
    for (const snapshot of aborted) snapshot.controller.abort(new KeyedStateError('Aborted', `checkpoint ${checkpointId} was aborted`))
    await Promise.allSettled(aborted.map((snapshot) => snapshot.done))
  }

  /** The newest checkpoint reported complete; -1 before the first. */
  get lastCompletedCheckpointId(): number {
    return this.lastCompletedCheckpoint
  }

  // ---------------------------------------------------------------------------------------
  // current key

  /** Makes `key` the key every state reads and writes. Throws KeyGroupOutOfRangeError for a key this backend does not hold. */
  setCurrentKey(key: K): void {
    const keyGroup = murmurHash(this.keySerializer.hashCode(key)) % this.maxParallelism
    if (keyGroup < this.keyGroupRange.start || keyGroup > this.keyGroupRange.end) {
      throw new KeyGroupOutOfRangeError(
        `key ${describeKey(key)} belongs to key group ${keyGroup}, outside this backend's range ${this.keyGroupRange}`,
      )
    }
    this.keyBuilder.setKeyAndKeyGroup(key, keyGroup)
    this.key = key
    this.keyGroup = keyGroup
  }

  get currentKey(): K | undefined {
    return this.key
  }

  get currentKeyGroup(): number {
    return this.keyGroup
  }

  /** @internal */
  checkCurrentKey(): void {
    if (this.keyGroup < 0) throw new KeyedStateError('NoCurrentKey', 'no current key: call setCurrentKey first')
    if (this.closed) throw this.closedError()
  }

  // ---------------------------------------------------------------------------------------
  // states

  valueState<V, N = undefined>(name: string, valueSerializer: Serializer<V>, options: StateOptions<N> = {}): ValueState<V, N> {
    const binding = this.register(name, 'value', valueSerializer, undefined, options)
    return new ValueState(binding, valueSerializer)
  }

  listState<V, N = undefined>(name: string, elementSerializer: Serializer<V>, options: StateOptions<N> = {}): ListState<V, N> {
    const binding = this.register(name, 'list', elementSerializer, undefined, options)
    return new ListState(binding, elementSerializer)
  }

  mapState<UK, UV, N = undefined>(
    name: string,
    userKeySerializer: Serializer<UK>,
    valueSerializer: Serializer<UV>,
    options: StateOptions<N> = {},
  ): MapState<UK, UV, N> {
    const binding = this.register(name, 'map', valueSerializer, userKeySerializer, options)
    return new MapState(binding, userKeySerializer, valueSerializer)
  }

  reducingState<V, N = undefined>(
    name: string,
    valueSerializer: Serializer<V>,
    reduce: (accumulated: V, value: V) => V,
    options: StateOptions<N> = {},
  ): ReducingState<V, N> {
    if (typeof reduce !== 'function') throw new TypeError('reduce must be a function')
    const binding = this.register(name, 'reducing', valueSerializer, undefined, options)
    return new ReducingState(binding, valueSerializer, reduce)
  }

  aggregatingState<IN, ACC, OUT, N = undefined>(
    name: string,
    accumulatorSerializer: Serializer<ACC>,
    aggregate: AggregateFunction<IN, ACC, OUT>,
    options: StateOptions<N> = {},
  ): AggregatingState<IN, ACC, OUT, N> {
    for (const method of ['createAccumulator', 'add', 'getResult'] as const) {
      if (typeof aggregate?.[method] !== 'function') throw new TypeError(`aggregate.${method} must be a function`)
    }
    const binding = this.register(name, 'aggregating', accumulatorSerializer, undefined, options)
    return new AggregatingState(binding, accumulatorSerializer, aggregate)
  }

  /** The registered states' descriptions, in registration order. */
  registeredStates(): StateMeta[] {
    return [...this.states.values()].map((state) => state.meta)
  }

  // ---------------------------------------------------------------------------------------
  // all keys

  /**
   * The keys that have `stateName` state in `namespace`, lazily, in key-group order. Safe to
   * write state while iterating (the scan reads a consistent view taken when it starts).
   */
  *getKeys<N = undefined>(stateName: string, namespace?: N): Generator<K> {
    const state = this.registered(stateName)
    if (state.namespaceSerializer === undefined) {
      throw new KeyedStateError('UnknownState', `state '${stateName}' was restored but is not registered yet: register it to read its keys`)
    }
    const namespaceBytes = new ByteWriter(32)
    const ambiguous = isAmbiguousKeyPossible(this.keySerializer, state.namespaceSerializer)
    state.namespaceSerializer.write(namespace, namespaceBytes)
    const expectedNamespace = Buffer.from(namespaceBytes.view())
    const reader = new ByteReader()
    const exact = state.meta.kind !== 'map'
    let previous: Buffer | undefined
    for (const [rocksKey] of state.cf.iterator()) {
      reader.reset(rocksKey, this.keyGroupPrefixBytes)
      const key = this.keySerializer.read(reader)
      const keyEnd = reader.pos
      if (ambiguous) readLength(keyEnd - this.keyGroupPrefixBytes, reader, 'key')
      const namespaceStart = reader.pos
      const namespaceEnd = namespaceStart + expectedNamespace.length
      if (namespaceEnd > rocksKey.length || !rocksKey.subarray(namespaceStart, namespaceEnd).equals(expectedNamespace)) continue
      if (ambiguous) {
        reader.pos = namespaceEnd
        readLength(expectedNamespace.length, reader, 'namespace')
        if (exact && reader.pos !== rocksKey.length) continue
      } else if (exact && namespaceEnd !== rocksKey.length) {
        continue
      }
      // Map state has an entry per user key: report each key once.
      const keyBytes = rocksKey.subarray(0, keyEnd)
      if (previous !== undefined && previous.equals(keyBytes)) continue
      previous = Buffer.from(keyBytes)
      yield key
    }
  }

  /** Calls `fn` for every key with `stateName` state in `namespace`, with that key set as current. */
  applyToAllKeys<N = undefined>(stateName: string, namespace: N, fn: (key: K) => void): void {
    const previousKey = this.key
    try {
      for (const key of this.getKeys(stateName, namespace)) {
        this.setCurrentKey(key)
        fn(key)
      }
    } finally {
      if (previousKey !== undefined) this.setCurrentKey(previousKey)
    }
  }

  /** Number of RocksDB entries of one state, or of all states (map state counts one per user key). */
  numEntries(stateName?: string): number {
    const states = stateName === undefined ? [...this.states.values()] : [this.registered(stateName)]
    let count = 0
    for (const state of states) {
      const iterator = state.cf.iterator()
      try {
        while (!iterator.ended) count += iterator.nextBatch(10_000, 64 << 20).count
      } finally {
        iterator.close()
      }
    }
    return count
  }

  // ---------------------------------------------------------------------------------------
  // lifetime

  get isClosed(): boolean {
    return this.closed
  }

  /** Aborts running snapshots, then closes the RocksDB instance; states used afterwards throw ClosedError. */
  async close(): Promise<void> {
    this.closed = true
    for (const snapshot of this.running) snapshot.controller.abort(new ClosedError('the keyed state backend closed during the snapshot'))
    await Promise.allSettled([...this.running].map((snapshot) => snapshot.done))
    await this.db.close()
    await rm(this.workDirectory, { recursive: true, force: true })
  }

  private closedError(): ClosedError {
    return new ClosedError('the keyed state backend is closed')
  }

  private context(): StateContext<unknown> {
    return this as StateContext<unknown>
  }

  private registered(stateName: string): RegisteredState {
    const state = this.states.get(stateName)
    if (state === undefined) throw new KeyedStateError('UnknownState', `no state named '${stateName}' is registered`)
    return state
  }

  private register<N>(
    name: string,
    kind: StateKind,
    valueSerializer: Serializer<unknown>,
    userKeySerializer: Serializer<unknown> | undefined,
    options: StateOptions<N>,
  ): StateBinding<N> {
    if (this.closed) throw this.closedError()
    checkStateName(name)
    checkSerializer(valueSerializer, 'value serializer')
    if (userKeySerializer !== undefined) checkSerializer(userKeySerializer, 'user key serializer')
    const namespaceSerializer = (options.namespaceSerializer ?? voidNamespace) as Serializer<N>
    checkSerializer(namespaceSerializer as Serializer<unknown>, 'namespace serializer')
    const meta: StateMeta = {
      name,
      kind,
      namespaceSerializer: namespaceSerializer.id,
      valueSerializer: valueSerializer.id,
      userKeySerializer: userKeySerializer?.id,
      ttl: resolveTtl(options.ttl),
    }
    let registered = this.states.get(name)
    if (registered === undefined) {
      registered = { meta, cf: this.db.createColumnFamilySync(name, { ttlSeconds: meta.ttl.seconds }) }
      this.states.set(name, registered)
    } else {
      const problem = incompatibility(registered.meta, meta)
      if (problem !== undefined) throw new IncompatibleStateError(`state '${name}' is registered with another layout: ${problem}`)
      if (registered.meta.ttl.seconds !== meta.ttl.seconds) registered.cf.setTtl(meta.ttl.seconds)
    }
    registered.meta = meta
    registered.namespaceSerializer = namespaceSerializer as Serializer<unknown>
    return { context: this.context(), meta, cf: registered.cf, namespaceSerializer, defaultNamespace: options.defaultNamespace as N }
  }
}

/** How a timer queue is recorded in snapshots: a 'timers' state named after its column family. */
function timerMeta(service: string, domain: 'event' | 'processing', namespaceSerializer: string): StateMeta {
  return { name: timerColumnFamilyName(service, domain), kind: 'timers', namespaceSerializer, valueSerializer: 'timer', ttl: NO_TTL }
}

function checkStateName(name: string): void {
  if (typeof name !== 'string' || !STATE_NAME.test(name) || name === 'default' || name.startsWith('_')) {
    throw new TypeError(
      `state name must be 1-200 characters of letters, digits, '_', '.', '-', ':', not start with '_' (reserved) and not be 'default', got '${String(name)}'`,
    )
  }
}

function checkSerializer(serializer: Serializer<unknown>, what: string): void {
  if (typeof serializer?.write !== 'function' || typeof serializer.read !== 'function' || typeof serializer.id !== 'string') {
    throw new TypeError(`${what} must be a Serializer (id, write, read, hashCode)`)
  }
}

function validateOptions<K>(options: KeyedStateBackendOptions<K>): void {
  if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('path must be a non-empty string')
  checkSerializer(options.keySerializer as Serializer<unknown>, 'keySerializer')
  if (typeof options.keySerializer.hashCode !== 'function') throw new TypeError('keySerializer must have hashCode')
  checkMaxParallelism(options.maxParallelism)
  if (!(options.keyGroupRange instanceof KeyGroupRange)) throw new TypeError('keyGroupRange must be a KeyGroupRange')
  if (options.keyGroupRange.isEmpty || options.keyGroupRange.end >= options.maxParallelism) {
    throw new RangeError(`keyGroupRange ${options.keyGroupRange} must be non-empty and within 0..${options.maxParallelism - 1}`)
  }
}

function describeKey(key: unknown): string {
  const text = typeof key === 'bigint' ? `${key}n` : JSON.stringify(key) ?? String(key)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
