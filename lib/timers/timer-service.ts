import type { KeyedStateBackend } from '../backend'
import { ClosedError, IncompatibleStateError, OperationInProgressError } from '../errors'
import type { Serializer } from '../serializers/serializer'
import { HeapTimerQueue } from './heap-timer-queue'
import { checkOptionNames } from '../option-names'
import { RocksDBTimerQueue, resolveTimerCacheSize } from './rocksdb-timer-queue'
import type { TimeDomain, Timer } from './timer'
import type { TimerQueue } from './timer-queue'

/** What `onTimer` gets besides the timer: which clock fired it and the service, to register more timers. */
export interface TimerContext<K, N> {
  readonly domain: TimeDomain
  readonly timerService: TimerService<K, N>
}

/** Options of `timerService`: any other key is a TypeError. */
export interface TimerServiceOptions<K, N> {
  /** Names the service's queues (and their column families); unique per backend. */
  name: string
  namespaceSerializer: Serializer<N>
  /** 'heap': timers in memory. 'rocksdb': timers in two column families, with a small cache per key group. */
  queue: 'heap' | 'rocksdb'
  /**
   * Called for each due timer with the timer's key as the backend's current key. It may read and
   * write state, and register or delete timers (a timer due in the current advance fires in it).
   */
  onTimer(timer: Timer<K, N>, ctx: TimerContext<K, N>): void
  /** 'rocksdb' queue only (a TypeError with 'heap'): timers cached per key group (default 128). */
  cacheSize?: number
}

const TIMER_SERVICE_OPTION_NAMES: ReadonlySet<string> = new Set([
  'name',
  'namespaceSerializer',
  'queue',
  'onTimer',
  'cacheSize',
] satisfies (keyof TimerServiceOptions<unknown, unknown>)[])

const SERVICE_NAME = /^[\w.\-:]{1,100}$/

/** The column family of a service's timers in one time domain (also their name in snapshots). */
export function timerColumnFamilyName(service: string, domain: 'event' | 'processing'): string {
  return `_timer_${service}_${domain}`
}


/**
 * Event-time and processing-time timers for the keys of one backend, as Flink's
 * InternalTimerService. Both clocks are driven by the caller: `advanceWatermark(t)` as watermarks
 * arrive, `advanceProcessingTime(t)` with the wall clock (e.g. `Date.now()` from an interval or
 * between records). Nothing is scheduled: no timer fires outside those calls.
 */
export class TimerService<K, N> {
  readonly name: string
  readonly queueKind: 'heap' | 'rocksdb'
  readonly namespaceSerializer: Serializer<N>
  /** @internal The queues, for snapshots and restore. */
  readonly eventTimeQueue: TimerQueue<K, N>
  /** @internal */
  readonly processingTimeQueue: TimerQueue<K, N>
  private readonly backend: KeyedStateBackend<K>
  private readonly onTimer: (timer: Timer<K, N>, ctx: TimerContext<K, N>) => void
  private readonly eventTimeContext: TimerContext<K, N>
  private readonly processingTimeContext: TimerContext<K, N>
  private watermark = -Infinity
  private processingTime = -Infinity
  private firing = false

  /** @internal Use `createTimerService`. */
  constructor(backend: KeyedStateBackend<K>, options: TimerServiceOptions<K, N>, eventTimeQueue: TimerQueue<K, N>, processingTimeQueue: TimerQueue<K, N>) {
    this.name = options.name
    this.queueKind = options.queue
    this.namespaceSerializer = options.namespaceSerializer
    this.backend = backend
    this.onTimer = options.onTimer
    this.eventTimeQueue = eventTimeQueue
    this.processingTimeQueue = processingTimeQueue
    this.eventTimeContext = Object.freeze({ domain: 'eventTime', timerService: this })
    this.processingTimeContext = Object.freeze({ domain: 'processingTime', timerService: this })
  }

  /** The last watermark passed to `advanceWatermark`; -Infinity before the first. */
  get currentWatermark(): number {
    return this.watermark
  }

  /** The last time passed to `advanceProcessingTime`; -Infinity before the first. */
  get currentProcessingTime(): number {
    return this.processingTime
  }

  /** Registers an event-time timer for the current key; registering it again changes nothing. */
  registerEventTimeTimer(namespace: N, timestamp: number): void {
    this.backend.checkCurrentKey()
    this.eventTimeQueue.add(timestamp, this.backend.currentKey as K, namespace)
  }

  /** Deletes the current key's event-time timer; false when there was none. */
  deleteEventTimeTimer(namespace: N, timestamp: number): boolean {
    this.backend.checkCurrentKey()
    return this.eventTimeQueue.remove(timestamp, this.backend.currentKey as K, namespace)
  }

  registerProcessingTimeTimer(namespace: N, timestamp: number): void {
    this.backend.checkCurrentKey()
    this.processingTimeQueue.add(timestamp, this.backend.currentKey as K, namespace)
  }

  deleteProcessingTimeTimer(namespace: N, timestamp: number): boolean {
    this.backend.checkCurrentKey()
    return this.processingTimeQueue.remove(timestamp, this.backend.currentKey as K, namespace)
  }

  numEventTimeTimers(): number {
    return this.eventTimeQueue.size
  }

  numProcessingTimeTimers(): number {
    return this.processingTimeQueue.size
  }

  /**
   * Sets the watermark to `watermark` and fires every event-time timer at or before it, in timer
   * order; returns how many fired. A watermark never goes back (RangeError). The current key is
   * restored afterwards (when there was one). If `onTimer` throws, its timer is gone, later ones
   * stay registered, and the error propagates.
   */
  advanceWatermark(watermark: number): number {
    this.checkAdvance(watermark, this.watermark, 'watermark')
    this.watermark = watermark
    return this.fire(this.eventTimeQueue, watermark, this.eventTimeContext)
  }

  /** `advanceWatermark` for processing time. */
  advanceProcessingTime(time: number): number {
    this.checkAdvance(time, this.processingTime, 'processing time')
    this.processingTime = time
    return this.fire(this.processingTimeQueue, time, this.processingTimeContext)
  }

  private checkAdvance(time: number, current: number, what: string): void {
    if (this.backend.isClosed) throw new ClosedError('the keyed state backend is closed')
    if (this.firing) throw new OperationInProgressError(`timer service '${this.name}': time cannot advance inside onTimer`)
    if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`${what} must be a number, got ${String(time)}`)
    if (time < current) throw new RangeError(`${what} cannot go back from ${current} to ${time}`)
  }

  private fire(queue: TimerQueue<K, N>, until: number, ctx: TimerContext<K, N>): number {
    const backend = this.backend
    this.firing = true
    const previousKey = backend.currentKey
    let fired = 0
    try {
      for (let timer = queue.peek(); timer !== undefined && timer.timestamp <= until; timer = queue.peek()) {
        queue.poll()
        backend.setCurrentKey(timer.key)
        fired++
        this.onTimer(timer, ctx)
      }
    } finally {
      this.firing = false
      if (fired > 0 && previousKey !== undefined) backend.setCurrentKey(previousKey)
    }
    return fired
  }
}

/**
 * Creates the timer service `options.name` on `backend`. A 'rocksdb' service keeps its timers in
 * the column families `_timer_<name>_event` and `_timer_<name>_processing`, taking over the
 * timers already in them (after a restore).
 */
export function createTimerService<K, N>(backend: KeyedStateBackend<K>, options: TimerServiceOptions<K, N>): TimerService<K, N> {
  checkOptionNames(options, TIMER_SERVICE_OPTION_NAMES)
  const { name, queue } = options
  if (typeof name !== 'string' || !SERVICE_NAME.test(name)) {
    throw new TypeError(`timer service name must be 1-100 characters of letters, digits, '_', '.', '-', ':', got '${String(name)}'`)
  }
  if (queue !== 'heap' && queue !== 'rocksdb') throw new TypeError(`queue must be 'heap' or 'rocksdb', got '${String(queue)}'`)
  if (queue === 'heap' && options.cacheSize !== undefined) throw new TypeError("option 'cacheSize' applies to queue 'rocksdb' only")
  // Before either column family is created: a refused call leaves nothing behind.
  const cacheSize = resolveTimerCacheSize(options.cacheSize)
  if (typeof options.onTimer !== 'function') throw new TypeError('onTimer must be a function')
  if (typeof options.namespaceSerializer?.write !== 'function' || typeof options.namespaceSerializer.read !== 'function') {
    throw new TypeError('namespaceSerializer must be a Serializer')
  }
  if (backend.isClosed) throw new ClosedError('the keyed state backend is closed')
  // Two services on one queue would corrupt each other's cache.
  if (backend.hasTimerService(name)) throw new IncompatibleStateError(`timer service '${name}' already exists on this backend`)
  const makeQueue = (domain: 'event' | 'processing'): TimerQueue<K, N> => {
    const queueOptions = {
      keySerializer: backend.keySerializer,
      namespaceSerializer: options.namespaceSerializer,
      maxParallelism: backend.maxParallelism,
      keyGroupRange: backend.keyGroupRange,
    }
    if (queue === 'heap') return new HeapTimerQueue(queueOptions)
    const columnFamilyName = timerColumnFamilyName(name, domain)
    if (backend.states.has(columnFamilyName)) throw new IncompatibleStateError(`a state named '${columnFamilyName}' exists`)
    const columnFamily = backend.db.hasColumnFamily(columnFamilyName)
      ? backend.db.columnFamily(columnFamilyName)
      : backend.db.createColumnFamilySync(columnFamilyName)
    return new RocksDBTimerQueue({ ...queueOptions, columnFamily, cacheSize })
  }
  const service = new TimerService(backend, options, makeQueue('event'), makeQueue('processing'))
  return service
}
