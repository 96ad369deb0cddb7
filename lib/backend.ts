import { createHash, randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { CheckpointIdNotIncreasingError, ClosedError, IncompatibleStateError, KeyGroupOutOfRangeError, InterruptedRestoreError, KeyedStateError, LockedError } from './errors'
import type { RestoreProgress, RestoreTarget } from './restore/full-restore'
import { applyHandleSet, chooseInstalledHandle, verifyHandleSet, type HandleSetOptions, type VerifiedHandleSet } from './restore/handle-set-restore'
import type { RescaleStrategy } from './restore/incremental-rescale-restore'
import { compactClippedRanges } from './restore/clip-compaction'
import { DEFAULT_RESCALE_OVERLAP_THRESHOLD, type ClippedRange } from './restore/rescale-base'
import { removeDatabaseFiles } from './restore/incremental-restore'
import { planRestore } from './restore/restore-plan'
import { parseKeyedStateHandle, type KeyedStateHandle } from './snapshot/keyed-state-handle'
import { startFullSnapshot, type FullSnapshotSource, type SnapshotOptions } from './snapshot/full-snapshot'
import { checkSnapshotOptions } from './snapshot/snapshot-options'
import { LocalCheckpoints } from './snapshot/incremental-local-checkpoints'
import { IncrementalSharedFiles } from './snapshot/incremental-shared-files'
import { startIncrementalSnapshot } from './snapshot/incremental-snapshot'
import type { SnapshotStateMeta } from './snapshot/state-snapshot-meta'
import type { CheckpointStorage } from './storage/checkpoint-storage'
import type { FileRef } from './storage/file-ref'
import { claimInstanceDirectory, INSTANCE_DATABASE_OPTIONS, interruptedDatabase, type ClaimedDirectory } from './storage/instance-directory'
import { lockInstance } from './storage/instance-lock'
import type { NativeFileLock } from './native/binding'
import { checkCheckpointId, checkJobId } from './storage/layout'
import { murmurHash, checkMaxParallelism } from './keygroups/assignment'
import { checkOptionNames } from './option-names'
import { CompositeKeyBuilder } from './keygroups/composite-key'
import { keyGroupPrefixBytes, type KeyGroupPrefixBytes } from './keygroups/key-group-prefix'
import { KeyGroupRange } from './keygroups/key-group-range'
import { ManualClock } from './native/clock'
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
import { incompatibility, stateColumnFamilyOptions, ttlDifference, type StateKind, type StateMeta } from './state/state-meta'
import { resolveTtl, type StateTtlConfig } from './state/ttl-config'
import { ValueState } from './state/value-state'
import { stateNameProblem } from './state/state-name'
import { NO_TTL } from './state/ttl-config'
import { TimerCodec } from './timers/timer-key'
import { TimerService, createTimerService, timerColumnFamilyName, type TimerServiceOptions } from './timers/timer-service'
import type { TimerQueue } from './timers/timer-queue'

/** The scratch directory's name inside the instance directory (RocksDB ignores it). */
const WORK_DIRECTORY = 'keyed-state-work'
const DOMAINS = ['event', 'processing'] as const

export interface KeyedStateBackendOptions<K> {
  /**
   * The instance directory: created when missing (an empty directory is taken too) and marked as
   * an instance of this library; an instance made by an earlier open is reused, its states
   * replaced. Any other directory is refused (NotAnInstanceError) and never modified.
   */
  path: string
  /** The keys' serializer: it must have `hashCode`, which decides each key's key group (as Flink's). */
  keySerializer: Serializer<K>
  /** Number of key groups, fixed for the life of the job (1 to 32768). */
  maxParallelism: number
  /** The key groups this backend holds, e.g. `KeyGroupRange.forOperator(128, 3, 1)`. */
  keyGroupRange: KeyGroupRange
  /** A test clock for every TTL decision. */
  clock?: ManualClock
  /**
   * Handles (as `snapshot()` returned them, or parsed from JSON) of one checkpoint to restore
   * from: any number, full and incremental alike, with any key-group ranges, that together cover `keyGroupRange` exactly once
   * (else InvalidHandleSetError); only the key groups of `keyGroupRange` are read. [] or absent
   * for a fresh start.
   */
  restoreFrom?: readonly unknown[]
  /** Where checkpoints go: required with `restoreFrom`, and the default storage of `snapshot()`. */
  storage?: CheckpointStorage
  /** The job this backend is part of: recorded in its handles, so a restore refuses handles of two jobs. */
  jobId?: string
  /**
   * Incremental checkpoints (Flink's `state.backend.incremental`): `snapshot(id)` uploads only the
   * SST files the last completed checkpoint did not have; savepoints stay full. Default false.
   */
  incremental?: boolean
  /** Cancels a restore; the failed open then leaves nothing it created behind. */
  signal?: AbortSignal
  /** Called as a restore brings in key groups (after the base and after each handle when rescaling). */
  onRestoreProgress?: (progress: RestoreProgress) => void
  /**
   * How a restore from incremental handles of other key-group ranges (rescaling) brings in their
   * key groups. `'ingest'` (default): the handle sharing the most key groups is installed as the
   * base and clipped to `keyGroupRange` (range deletes, whole files dropped); the others' key
   * groups are exported into SST files and ingested, or their files ingested as they are (and
   * clipped with the base) where RocksDB can (`RocksDB.canIngestDbGeneratedFiles`). `'copy'`: every handle's key groups are
   * written key by key (the original's per-key copy; the baseline). Both keep TTL write times.
   */
  rescaleStrategy?: RescaleStrategy
  /**
   * `'ingest'`: the least share of a handle's own key groups that must fall in `keyGroupRange`
   * for it to become the base (Flink's restore-overlap-fraction-threshold), 0 to 1; default 0
   * (always a base).
   */
  rescaleOverlapThreshold?: number
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  'path',
  'keySerializer',
  'maxParallelism',
  'keyGroupRange',
  'clock',
  'restoreFrom',
  'storage',
  'jobId',
  'incremental',
  'signal',
  'onRestoreProgress',
  'rescaleStrategy',
  'rescaleOverlapThreshold',
] satisfies (keyof KeyedStateBackendOptions<unknown>)[])

/** Options of `valueState`, `listState`, ...: any other key is a TypeError. */
export interface StateOptions<N> {
  /** Time-to-live of the state's entries (default: none); its unknown keys are a TypeError too. */
  ttl?: StateTtlConfig
  /** Serializer of the state's namespaces (windows, timer namespaces); default: no namespace. */
  namespaceSerializer?: Serializer<N>
  /** The namespace a state starts in; default undefined (the "void" namespace). */
  defaultNamespace?: N
}

const STATE_OPTION_NAMES: ReadonlySet<string> = new Set(['ttl', 'namespaceSerializer', 'defaultNamespace'] satisfies (keyof StateOptions<unknown>)[])

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
  /** @internal Local scratch space in the instance directory (snapshot streams, downloads). */
  readonly workDirectory: string
  /** The checkpoint this backend was restored from; undefined for a fresh start. */
  readonly restoredCheckpointId: number | undefined
  private readonly storage: CheckpointStorage | undefined
  private readonly jobId: string | undefined
  /** Files of finished snapshots per checkpoint id, until the checkpoint completes or is aborted. */
  private readonly uploaded = new Map<number, { storage: CheckpointStorage; keys: string[] }[]>()
  private readonly incremental: boolean
  private readonly localCheckpoints: LocalCheckpoints
  /** The keys of the shared files: the base the next incremental snapshot diffs against, and the keys running ones use. */
  private readonly sharedFiles: IncrementalSharedFiles
  /** Per heap timer column family: the digest of the timers an incremental snapshot last wrote into it. */
  private readonly heapTimersWritten = new Map<string, string>()
  private key: K | undefined
  private keyGroup = -1
  private closed = false
  private readonly running = new Set<RunningSnapshot>()
  private readonly timerServices = new Map<string, TimerService<K, unknown>>()
  /** Timer column families (restored, or of 'rocksdb' services) with their snapshot metadata. */
  private readonly timerMetas = new Map<string, StateMeta>()
  private lastCompletedCheckpoint: number
  /** The highest id given to `snapshot`; -1 before the first. */
  private lastSnapshotId = -1
  /** See `clipCompacted`. */
  private clipCompaction: Promise<void> = Promise.resolve()
  /** Set once a restore began replacing the instance's states: a failure then drops what it wrote. */
  private restoreStarted = false
  /** The instance lock, from the start of `open` to the end of `close`. */
  private readonly lock: NativeFileLock

  private constructor(db: RocksDB, lock: NativeFileLock, options: KeyedStateBackendOptions<K>, restoredCheckpointId: number | undefined) {
    this.db = db
    this.lock = lock
    // Inside the instance directory: an open never touches anything beside it.
    this.workDirectory = path.join(options.path, WORK_DIRECTORY)
    this.storage = options.storage
    this.jobId = options.jobId
    this.incremental = options.incremental === true
    this.localCheckpoints = new LocalCheckpoints(options.path)
    this.sharedFiles = new IncrementalSharedFiles(this.backendId)
    this.restoredCheckpointId = restoredCheckpointId
    this.lastCompletedCheckpoint = restoredCheckpointId ?? -1
    this.keySerializer = options.keySerializer
    this.maxParallelism = options.maxParallelism
    this.keyGroupRange = options.keyGroupRange
    this.keyGroupPrefixBytes = keyGroupPrefixBytes(options.maxParallelism)
    this.keyBuilder = new CompositeKeyBuilder(options.keySerializer, this.keyGroupPrefixBytes)
  }

  /**
   * Opens (creating it when missing) the instance directory and restores `restoreFrom` into it.
   * Every option and handle is checked before the disk is touched. A failed open removes exactly
   * what it created: a directory it made, or the states it restored into an existing instance.
   * An existing instance's earlier states (in no checkpoint) are replaced: dropped once every
   * handle's stream is verified, so a restore refused before that leaves them as they were. A
   * directory locked by another backend (LockedError) or that RocksDB reports corrupt is left
   * as it was.
   *
   * One writer of an instance directory at a time: the backend holds the instance lock (an OS
   * lock on `KEYED_STATE_LOCK` in the directory) from the start of `open`, once the directory is
   * claimed, through the restore and the swap of the restored files, until `close` finishes; a
   * failed open releases it, and so does the end of the process or worker thread holding it.
   * Another open of a locked directory (in this process or another, by any spelling of its path)
   * fails at once with LockedError and changes nothing.
   */
  static async open<K>(options: KeyedStateBackendOptions<K>): Promise<KeyedStateBackend<K>> {
    const handles = checkOptions(options)
    options.signal?.throwIfAborted()
    const directory = await claimInstanceDirectory(options.path)
    const lock = await lockClaimedDirectory(options.path, directory)
    try {
      return await KeyedStateBackend.openLocked(options, handles, directory, lock)
    } catch (error) {
      lock.release()
      throw error
    }
  }

  /** The rest of `open`, under the instance lock. */
  private static async openLocked<K>(
    options: KeyedStateBackendOptions<K>,
    handles: KeyedStateHandle[],
    directory: ClaimedDirectory,
    lock: NativeFileLock,
  ): Promise<KeyedStateBackend<K>> {
    const workDirectory = path.join(options.path, WORK_DIRECTORY)
    const setOptions: HandleSetOptions = {
      strategy: options.rescaleStrategy ?? 'ingest',
      overlapThreshold: options.rescaleOverlapThreshold ?? DEFAULT_RESCALE_OVERLAP_THRESHOLD,
      signal: options.signal,
      onProgress: options.onRestoreProgress,
      clock: options.clock,
    }
    // The handle installed as the database: the one of the same range, or when rescaling, the best one to clip.
    const installed = chooseInstalledHandle(handles, options.keyGroupRange, setOptions)
    // Undefined until the install for a directory this open created: an empty database there
    // would hold nothing worth guarding (the instance lock does) and only be created to be replaced.
    let db: RocksDB | undefined
    try {
      if (!(directory.created && installed !== undefined)) db = await openInstanceDatabase(options.path, options.clock, handles.length > 0)
    } catch (error) {
      // Locked (by a user of the database outside this library): the directory is not this open's to remove.
      if (!(error instanceof LockedError)) await directory.undo(async () => undefined)
      throw error
    }
    let verified: VerifiedHandleSet | undefined
    let backend: KeyedStateBackend<K> | undefined
    try {
      await rm(workDirectory, { recursive: true, force: true })
      if (handles.length > 0) {
        // Every handle is fetched and verified while the old database is still open and unchanged.
        const localDirectory = installed?.sameRange === true ? new LocalCheckpoints(options.path).directory(installed.handle.checkpointId) : undefined
        const instance = { path: options.path, workDirectory, localDirectory, clock: options.clock }
        const layout = { maxParallelism: options.maxParallelism, keySerializer: options.keySerializer.id, workDirectory }
        verified = await verifyHandleSet(instance, layout, handles, installed, options.storage!, setOptions)
      }
      if (verified?.base !== undefined) {
        await db?.close()
        db = await verified.base.staged.install()
      }
      backend = new KeyedStateBackend(db!, lock, options, handles[0]?.checkpointId)
      // Under RocksDB's lock: state left by an earlier run is not part of any checkpoint.
      let clipped: ClippedRange[] = []
      if (verified === undefined) await backend.dropStates()
      else clipped = await backend.applyRestore(verified, setOptions)
      // Local checkpoints of earlier runs belong to state this backend no longer holds; the one recovered from stays.
      const recovered = verified?.base?.sameRange === true && verified.base.staged.local ? verified.base.handle.checkpointId : undefined
      await backend.localCheckpoints.removeWhere((id) => id !== recovered)
      await verified?.close()
      await rm(workDirectory, { recursive: true, force: true })
      // Last, with no await after it: nothing of open waits for the compaction.
      backend.clipCompaction = compactClippedRanges(backend.db, clipped, () => backend!.closed)
      backend.clipCompaction.catch(() => undefined)
      return backend
    } catch (error) {
      await verified?.close().catch(() => undefined)
      // Never leave a half-restored instance behind, nor remove anything this open did not create.
      if (backend?.restoreStarted) await backend.dropStates().catch(() => undefined)
      await rm(workDirectory, { recursive: true, force: true })
      // After an install the database files are neither the old state nor the new one.
      await directory.undo(async () => {
        await db?.close().catch(() => undefined)
        if (verified?.base !== undefined) await removeDatabaseFiles(options.path)
      })
      throw error
    }
  }

  private async dropStates(): Promise<void> {
    for (const cf of this.db.columnFamilies()) {
      if (cf.name !== 'default') await this.db.dropColumnFamily(cf)
    }
  }

  /**
   * A restore's second phase (`applyHandleSet`), the installed base's states registered first. The
   * restored handles' shared files the database holds byte for byte (an installed base's, clipped
   * or not, and files ingested as they are) become the base of the next incremental checkpoint,
   * which references their keys (in the storage areas of the backends that wrote them) instead of
   * uploading them again. The storage keeps a key while any complete job checkpoint references it,
   * whichever backend's area it is in, so retention deletes such a file only once no retained
   * checkpoint of any worker uses it; one deleted before this backend's first checkpoint completed
   * (the restored checkpoint discarded meanwhile) is uploaded again.
   */
  private async applyRestore(verified: VerifiedHandleSet, options: HandleSetOptions): Promise<ClippedRange[]> {
    if (verified.base !== undefined) for (const state of verified.base.staged.metadata.states) this.restoreState(state)
    const { restoredSharedFiles, clipped } = await applyHandleSet(this.restoreTarget(), verified, options)
    this.sharedFiles.adopt(this.restoredCheckpointId!, restoredSharedFiles)
    return clipped
  }

  /**
   * Settles once the background compaction of the key ranges a rescaled restore clipped has
   * finished (at once when nothing was clipped): the range tombstones are then gone, and the disk
   * space the base's keys outside this backend's range held is back. It runs on RocksDB's threads
   * after `open` returned, never blocking it or the event loop; `close()` stops it before its next
   * range (and waits for the one running). Rejects with the error that stopped it: the tombstones
   * then stay, which costs disk space and reads, never correctness; nothing else observes it.
   */
  get clipCompacted(): Promise<void> {
    return this.clipCompaction
  }

  /** @internal What a restore writes into: this backend's database, range and state registry. */
  restoreTarget(): RestoreTarget {
    return {
      db: this.db,
      keySerializer: this.keySerializer.id,
      maxParallelism: this.maxParallelism,
      keyGroupRange: this.keyGroupRange,
      clear: async () => {
        this.restoreStarted = true
        await this.dropStates()
      },
      restoreState: (meta) => this.restoreState(meta),
      workDirectory: this.workDirectory,
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
    const cf = this.createStateColumnFamily(meta.name, meta.kind, ttl.seconds)
    this.states.set(meta.name, { meta: { ...meta, ttl }, cf })
    return cf
  }

  /** Timers recorded in a snapshot go to their column family; a service created later takes them over. */
  private restoreTimers(meta: StateMeta): ColumnFamily {
    this.timerMetas.set(meta.name, { ...meta, ttl: NO_TTL })
    return this.timerColumnFamily(meta.name)
  }

  private timerColumnFamily(name: string): ColumnFamily {
    return this.db.hasColumnFamily(name) ? this.db.columnFamily(name) : this.db.createColumnFamilySync(name)
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
   * Takes a snapshot of every state into `storage` (default: the storage given to `open`). What
   * it holds is fixed now, synchronously; the files are written and uploaded in the background
   * while the service keeps writing. Full: a RocksDB snapshot now, one stream file later. On a
   * backend opened with `incremental: true` (unless `type` is 'full' or 'savepoint'): a local
   * RocksDB checkpoint now, then only the SST files the last completed checkpoint (see
   * `notifyCheckpointComplete`) did not upload. Several snapshots may run at once; `close()`
   * aborts the running ones. Options are checked first (see SnapshotOptions): a refused snapshot
   * rejects before anything is written, and its checkpoint id stays free.
   */
  snapshot(checkpointId: number, options?: SnapshotOptions): Promise<KeyedStateHandle>
  snapshot(checkpointId: number, storage: CheckpointStorage | undefined, options?: SnapshotOptions): Promise<KeyedStateHandle>
  snapshot(checkpointId: number, storageOrOptions?: CheckpointStorage | SnapshotOptions, maybeOptions?: SnapshotOptions): Promise<KeyedStateHandle> {
    if (this.closed) return Promise.reject(this.closedError())
    const given = isCheckpointStorage(storageOrOptions) ? storageOrOptions : undefined
    const secondIsOptions = given === undefined && storageOrOptions !== undefined
    const optionsGiven = secondIsOptions ? storageOrOptions : maybeOptions
    const storage = given ?? this.storage
    if (storage === undefined) return Promise.reject(new TypeError('snapshot needs a storage: pass one, or open the backend with the storage option'))
    let options: SnapshotOptions
    try {
      if (secondIsOptions && maybeOptions !== undefined) throw new TypeError('snapshot takes one options object: the second argument is not a CheckpointStorage')
      // Before the id is taken: refused options start nothing and leave the id free.
      options = checkSnapshotOptions(optionsGiven ?? {}, this.incremental)
      this.checkIncreasing(checkCheckpointId(checkpointId))
    } catch (error) {
      return Promise.reject(error)
    }
    this.lastSnapshotId = checkpointId
    const controller = new AbortController()
    const signal = options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal])
    const done = this.incremental && options.type === undefined ? this.startIncremental(checkpointId, storage, signal, options) : this.startFull(checkpointId, storage, signal, options)
    const entry: RunningSnapshot = { checkpointId, controller, done }
    this.running.add(entry)
    return done.finally(() => this.running.delete(entry))
  }

  private async startFull(checkpointId: number, storage: CheckpointStorage, signal: AbortSignal, options: SnapshotOptions): Promise<KeyedStateHandle> {
    // Its checkpoint may complete and push the incremental base's files out of retention.
    if (this.incremental) this.sharedFiles.fullSnapshotTaken(checkpointId)
    const states = this.snapshotStates()
    const handle = await startFullSnapshot(
      {
        db: this.db,
        backendId: this.backendId,
        jobId: this.jobId,
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
    this.recordUpload(checkpointId, storage, [handle.stream])
    return handle
  }

  /**
   * The synchronous part is `startIncrementalSnapshot`'s local checkpoint. Heap timers live in
   * memory: the checkpoint reads them from their column family, which holds the set the last
   * snapshot wrote and is rewritten only when the set changed, so an idle checkpoint writes (and
   * uploads) no SST file for them. Nothing else reads those column families while the heap service exists.
   */
  private async startIncremental(checkpointId: number, storage: CheckpointStorage, signal: AbortSignal, options: SnapshotOptions): Promise<KeyedStateHandle> {
    const states = this.snapshotStates()
    const heapTimers = states.flatMap(({ meta, entries }) => (entries === undefined ? [] : [{ meta, entries }]))
    for (const { meta, entries } of heapTimers) {
      const digest = timersDigest(entries)
      if (this.heapTimersWritten.get(meta.name) === digest) continue
      const cf = this.timerColumnFamily(meta.name)
      // Key-group prefixes never have the top bit set: [0x00, 0xff) covers every timer.
      cf.deleteRange(Buffer.from([0x00]), Buffer.from([0xff]))
      const batch = this.db.batch()
      try {
        for (const [key, value] of entries) batch.putRaw(cf, key, value)
        this.db.write(batch)
      } finally {
        batch.close()
      }
      this.heapTimersWritten.set(meta.name, digest)
    }
    const { handle, uploaded } = await startIncrementalSnapshot(
      {
        db: this.db,
        backendId: this.backendId,
        jobId: this.jobId,
        keySerializer: this.keySerializer.id,
        maxParallelism: this.maxParallelism,
        keyGroupRange: this.keyGroupRange,
        states: states.map(({ meta }) => meta),
        localCheckpoints: this.localCheckpoints,
        sharedFiles: this.sharedFiles,
      },
      checkpointId,
      storage,
      { signal, onProgress: options.onProgress },
    )
    this.recordUpload(checkpointId, storage, uploaded)
    return handle
  }

  /** Checkpoint ids increase (as Flink's): an id at or below one already used is refused before anything is written. */
  private checkIncreasing(checkpointId: number): void {
    const last = Math.max(this.lastSnapshotId, this.lastCompletedCheckpoint)
    if (checkpointId > last) return
    throw new CheckpointIdNotIncreasingError(
      `checkpoint id ${checkpointId} is not above ${last}, the last id this backend snapshotted, completed or was restored from: ` +
        'checkpoint ids must increase',
      last,
    )
  }

  /** Remembers the files a finished snapshot wrote until its checkpoint completes or is aborted. */
  private recordUpload(checkpointId: number, storage: CheckpointStorage, files: readonly FileRef[]): void {
    if (checkpointId <= this.lastCompletedCheckpoint) return
    const records = this.uploaded.get(checkpointId) ?? []
    records.push({ storage, keys: files.map((file) => file.key) })
    this.uploaded.set(checkpointId, records)
  }

  /**
   * The checkpoint `checkpointId` completed: call it once `storage.completeCheckpoint` recorded it
   * (every worker's snapshot is in). An incremental snapshot of it becomes the base the next one
   * references, and older local checkpoint directories are removed. Files of earlier checkpoints
   * that never completed are left to `collectGarbage`: a notification may be lost, so an earlier
   * checkpoint may be complete and retained without this backend knowing.
   */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    checkCheckpointId(checkpointId)
    this.lastCompletedCheckpoint = Math.max(this.lastCompletedCheckpoint, checkpointId)
    this.sharedFiles.completed(checkpointId)
    for (const id of this.uploaded.keys()) if (id <= checkpointId) this.uploaded.delete(id)
    const running = new Set([...this.running].map((snapshot) => snapshot.checkpointId))
    // The base's directory stays even when `checkpointId` is not its (a savepoint): local recovery restores from it.
    const base = this.sharedFiles.baseCheckpointId
    await this.localCheckpoints.removeWhere((id) => id < checkpointId && id !== base && !running.has(id))
  }

  /**
   * The checkpoint `checkpointId` will not complete: a snapshot of it still running is aborted and
   * the files its snapshots uploaded are deleted (those a complete job checkpoint references stay).
   */
  async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    checkCheckpointId(checkpointId)
    const aborted = [...this.running].filter((snapshot) => snapshot.checkpointId === checkpointId)
    for (const snapshot of aborted) snapshot.controller.abort(new KeyedStateError('Aborted', `checkpoint ${checkpointId} was aborted`))
    await Promise.allSettled(aborted.map((snapshot) => snapshot.done))
    const records = this.uploaded.get(checkpointId) ?? []
    this.uploaded.delete(checkpointId)
    if (checkpointId !== this.sharedFiles.baseCheckpointId) await this.localCheckpoints.remove(checkpointId)
    await this.sharedFiles.discard(checkpointId, records)
  }

  /** The newest checkpoint reported complete, or the restored one; -1 before either. */
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

  /** The key set by `setCurrentKey` (a timer's key while `onTimer` runs); undefined before the first. */
  get currentKey(): K | undefined {
    return this.key
  }

  /** The current key's key group; -1 before the first `setCurrentKey`. */
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

  /**
   * Registers (or, with the same settings, gets again) the state `name`: one value per key and
   * namespace. A name is 1-200 characters of letters, digits, `_ . - :`, not starting with `_` and
   * not `default` (TypeError). Another kind, serializer, or TTL on or off than the state already has
   * is an IncompatibleStateError; so is another TTL setting for a state registered on this backend
   * (a restored one takes the new TTL). The same rules hold for every state below.
   */
  valueState<V, N = undefined>(name: string, valueSerializer: Serializer<V>, options: StateOptions<N> = {}): ValueState<V, N> {
    const binding = this.register(name, 'value', valueSerializer, undefined, options)
    return new ValueState(binding, valueSerializer)
  }

  /** A list per key and namespace; `add` is one RocksDB merge, no read. With TTL each element expires on its own. */
  listState<V, N = undefined>(name: string, elementSerializer: Serializer<V>, options: StateOptions<N> = {}): ListState<V, N> {
    const binding = this.register(name, 'list', elementSerializer, undefined, options)
    return new ListState(binding, elementSerializer)
  }

  /** A map per key and namespace, one RocksDB entry per user key (each with its own TTL). */
  mapState<UK, UV, N = undefined>(
    name: string,
    userKeySerializer: Serializer<UK>,
    valueSerializer: Serializer<UV>,
    options: StateOptions<N> = {},
  ): MapState<UK, UV, N> {
    const binding = this.register(name, 'map', valueSerializer, userKeySerializer, options)
    return new MapState(binding, userKeySerializer, valueSerializer)
  }

  /** One value per key and namespace that `add` folds new values into with `reduce(accumulated, value)`. */
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

  /** One accumulator per key and namespace (`accumulatorSerializer` stores it); `add` and `get` go through `aggregate`. */
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

  /** The states registered on this backend (by `valueState`, `listState`, ...), in registration order. */
  registeredStates(): StateMeta[] {
    return this.stateMetas(true)
  }

  /**
   * The states restored from a snapshot that are not registered again yet, as the snapshot
   * recorded them. Their data is kept (and goes into every snapshot) until they are.
   */
  restoredStates(): StateMeta[] {
    return this.stateMetas(false)
  }

  private stateMetas(registeredHere: boolean): StateMeta[] {
    return [...this.states.values()].filter((state) => (state.namespaceSerializer !== undefined) === registeredHere).map((state) => state.meta)
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

  /** True from the moment `close()` is called. */
  get isClosed(): boolean {
    return this.closed
  }

  /**
   * Aborts running snapshots, then closes the RocksDB instance; states used afterwards throw
   * ClosedError. Releases the instance lock last, once the database is closed.
   */
  async close(): Promise<void> {
    this.closed = true
    for (const snapshot of this.running) snapshot.controller.abort(new ClosedError('the keyed state backend closed during the snapshot'))
    await Promise.allSettled([...this.running].map((snapshot) => snapshot.done))
    await this.db.close()
    try {
      await rm(this.workDirectory, { recursive: true, force: true })
    } finally {
      this.lock.release()
    }
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
    checkOptionNames(options, STATE_OPTION_NAMES)
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
      registered = { meta, cf: this.createStateColumnFamily(name, kind, meta.ttl.seconds) }
      this.states.set(name, registered)
    } else {
      // A restored state takes the TTL it is registered with (Flink's rule: TTL settings are
      // not part of a checkpoint, except whether there is one); a state registered on this
      // backend keeps its TTL, so that every object of one state expires entries alike.
      const restored = registered.namespaceSerializer === undefined
      const problem = incompatibility(registered.meta, meta) ?? (restored ? undefined : ttlDifference(registered.meta, meta))
      if (problem !== undefined) throw new IncompatibleStateError(`state '${name}' is registered with another layout: ${problem}`)
      if (registered.meta.ttl.seconds !== meta.ttl.seconds) registered.cf.setTtl(meta.ttl.seconds)
    }
    registered.meta = meta
    registered.namespaceSerializer = namespaceSerializer as Serializer<unknown>
    return {
      context: this.context(),
      meta,
      cf: registered.cf,
      namespaceSerializer,
      defaultNamespace: options.defaultNamespace as N,
      clock: this.db,
    }
  }

  /** A state's column family (an installed checkpoint's already has it): list state's holds timestamped elements, each with its own expiry. */
  private createStateColumnFamily(name: string, kind: StateKind, ttlSeconds: number): ColumnFamily {
    if (this.db.hasColumnFamily(name)) return this.db.columnFamily(name)
    return this.db.createColumnFamilySync(name, stateColumnFamilyOptions(kind, ttlSeconds))
  }
}

/** How a timer queue is recorded in snapshots: a 'timers' state named after its column family. */
function timerMeta(service: string, domain: 'event' | 'processing', namespaceSerializer: string): StateMeta {
  return { name: timerColumnFamilyName(service, domain), kind: 'timers', namespaceSerializer, valueSerializer: 'timer', ttl: NO_TTL }
}

function checkStateName(name: string): void {
  const problem = stateNameProblem(name)
  if (problem !== undefined) throw new TypeError(problem)
}

function checkSerializer(serializer: Serializer<unknown>, what: string): void {
  if (typeof serializer?.write !== 'function' || typeof serializer.read !== 'function' || typeof serializer.id !== 'string') {
    throw new TypeError(`${what} must be a Serializer (id, write, read, hashCode)`)
  }
}

/**
 * Checks every option of `open`, and parses the handles to restore and checks that they cover
 * the range exactly once, all before anything touches the disk. Returns the handles to read.
 */
function checkOptions<K>(options: KeyedStateBackendOptions<K>): KeyedStateHandle[] {
  checkOptionNames(options, OPTION_NAMES)
  if (options.incremental !== undefined && typeof options.incremental !== 'boolean') throw new TypeError("option 'incremental' must be a boolean")
  if (typeof options.path !== 'string' || options.path === '') throw new TypeError('path must be a non-empty string')
  checkSerializer(options.keySerializer as Serializer<unknown>, 'keySerializer')
  if (typeof options.keySerializer.hashCode !== 'function') throw new TypeError('keySerializer must have hashCode')
  checkMaxParallelism(options.maxParallelism)
  if (!(options.keyGroupRange instanceof KeyGroupRange)) throw new TypeError('keyGroupRange must be a KeyGroupRange')
  if (options.keyGroupRange.isEmpty || options.keyGroupRange.end >= options.maxParallelism) {
    throw new RangeError(`keyGroupRange ${options.keyGroupRange} must be non-empty and within 0..${options.maxParallelism - 1}`)
  }
  if (options.clock !== undefined && !(options.clock instanceof ManualClock)) throw new TypeError('clock must be a ManualClock')
  if (options.storage !== undefined && !isCheckpointStorage(options.storage)) throw new TypeError('storage must be a CheckpointStorage')
  if (options.jobId !== undefined) checkJobId(options.jobId)
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError('signal must be an AbortSignal')
  if (options.onRestoreProgress !== undefined && typeof options.onRestoreProgress !== 'function') throw new TypeError('onRestoreProgress must be a function')
  if (options.rescaleStrategy !== undefined && options.rescaleStrategy !== 'ingest' && options.rescaleStrategy !== 'copy') {
    throw new TypeError("rescaleStrategy must be 'ingest' or 'copy'")
  }
  const threshold = options.rescaleOverlapThreshold
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) throw new TypeError('rescaleOverlapThreshold must be a number from 0 to 1')
  if (options.restoreFrom !== undefined && !Array.isArray(options.restoreFrom)) throw new TypeError('restoreFrom must be an array of handles')
  const handles = (options.restoreFrom ?? []).map(parseKeyedStateHandle)
  if (handles.length > 0 && options.storage === undefined) throw new TypeError("restoreFrom needs the storage its files are in (option 'storage')")
  return planRestore(handles, options.keyGroupRange)
}

function isCheckpointStorage(value: unknown): value is CheckpointStorage {
  const storage = value as CheckpointStorage | undefined
  return typeof storage?.downloadFile === 'function' && typeof storage.uploadFile === 'function'
}

function describeKey(key: unknown): string {
  const text = typeof key === 'bigint' ? `${key}n` : JSON.stringify(key) ?? String(key)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

/**
 * Takes the instance lock of the directory `claimInstanceDirectory` gave, before anything else
 * touches it. LockedError when another backend holds it (the directory, even one this open
 * created, is then that one's), or when the open that created it failed and removed it
 * meanwhile; any other failure undoes the claim.
 */
async function lockClaimedDirectory(instancePath: string, directory: ClaimedDirectory): Promise<NativeFileLock> {
  let lock: NativeFileLock
  try {
    lock = await lockInstance(instancePath)
  } catch (error) {
    if (error instanceof LockedError) throw error
    // The directory gone: its creator failed and removed it (a LockedError saying so).
    await directory.checkStillMarked()
    await directory.undo(async () => undefined)
    throw error
  }
  try {
    await directory.checkStillMarked()
    return lock
  } catch (error) {
    lock.release()
    throw error
  }
}

/**
 * Opens the instance's database. One whose files a killed restore was replacing (CURRENT names a
 * missing MANIFEST, or is missing beside RocksDB's files) holds nothing worth keeping, as every open replaces its states: with handles to
 * restore it is removed and opened anew; without, it is an InterruptedRestoreError saying how to recover.
 */
async function openInstanceDatabase(instancePath: string, clock: ManualClock | undefined, restoring: boolean): Promise<RocksDB> {
  const open = () => RocksDB.open(instancePath, { ...INSTANCE_DATABASE_OPTIONS, clock })
  try {
    return await open()
  } catch (error) {
    if (error instanceof LockedError) throw error
    const problem = await interruptedDatabase(instancePath, error)
    if (problem === undefined) throw error
    if (!restoring) {
      throw new InterruptedRestoreError(
        `the database in '${instancePath}' is incomplete: ${problem} (a restore was killed while it replaced the database files). ` +
          'Open it again with restoreFrom (the checkpoint to restore), or remove the directory',
      )
    }
    await removeDatabaseFiles(instancePath)
    return open()
  }
}

/** Identifies a set of heap timers by their encoded keys (their values are only the write time). */
function timersDigest(entries: readonly (readonly [Buffer, Buffer])[]): string {
  const hash = createHash('sha256')
  const length = Buffer.alloc(4)
  for (const [key] of entries) {
    length.writeUInt32LE(key.length)
    hash.update(length).update(key)
  }
  return hash.digest('hex')
}
