import { CorruptDataError } from '../errors'
import { writeKeyGroupPrefix } from '../keygroups/key-group-prefix'
import type { ColumnFamily } from '../native/column-family'
import { IndexedHeap } from './indexed-heap'
import type { Timer } from './timer'
import { TimerCodec, type TimerCodecOptions } from './timer-key'
import type { TimerQueue } from './timer-queue'

/** Timers kept in memory per key group by default, as the original's DEFAULT_CACHES_SIZE. */
export const DEFAULT_TIMER_CACHE_SIZE = 128

/** The cache size to use: `cacheSize` or the default; anything but a positive integer is a RangeError. */
export function resolveTimerCacheSize(cacheSize: number | undefined): number {
  const size = cacheSize ?? DEFAULT_TIMER_CACHE_SIZE
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`cacheSize must be a positive integer, got ${size}`)
  return size
}

export interface RocksDBTimerQueueOptions<K, N> extends TimerCodecOptions<K, N> {
  /** The column family holding the timers; timers already in it (a restore) are taken over. */
  columnFamily: ColumnFamily
  /** Timers cached per key group (default 128): memory is at most this × key groups order keys. */
  cacheSize?: number
}

/**
 * One key group's timers: all of them in RocksDB, the first few also in `cache`.
 *
 * Invariant: `cache` holds the `cache.length` smallest order keys of the key group, in
 * descending order (the head is last, so polling pops), and is empty only when the key group is.
 * Hence every timer that is only in RocksDB sorts after every cached one.
 */
interface Partition {
  readonly keyGroup: number
  readonly cache: string[]
  /** Timers of this key group in RocksDB. */
  size: number
  heapIndex: number
}

function precedes(a: Partition, b: Partition): boolean {
  const aHead = a.cache[a.cache.length - 1]
  if (aHead === undefined) return false
  const bHead = b.cache[b.cache.length - 1]
  return bHead === undefined || aHead < bHead
}

/** Where `orderKey` is or would go in a descending array: the number of entries greater than it. */
function searchDescending(cache: string[], orderKey: string): number {
  let low = 0
  let high = cache.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (cache[middle]! > orderKey) low = middle + 1
    else high = middle
  }
  return low
}

const EMPTY = Buffer.alloc(0)
const SCAN_BYTES = 1 << 20

/**
 * Timers in a column family, keyed `prefix | timestamp | key | namespace` with empty values
 * (timer-key.ts), so RocksDB keeps every key group in timer order: the original's
 * RocksDBCachingPriorityQueueSet under a KeyGroupPartitionedPriorityQueue.
 *
 * Each key group caches its first timers; a heap over the key groups' cached heads gives the
 * overall first timer without touching RocksDB. Writes go straight to RocksDB (so a RocksDB
 * snapshot sees exactly the queue); a new timer enters the cache when it sorts before the cache's
 * largest entry (or the cache holds the whole key group and has room), evicting the largest when
 * full, and a scan of the key group refills the cache when polls or removals empty it. Memory
 * stays at most `cacheSize` order keys per key group, whatever the number of timers. Knowing each
 * key group's count keeps the set exact: a timer sorting after the cache is looked up in RocksDB
 * only when the cache does not hold the whole key group.
 */
export class RocksDBTimerQueue<K, N> implements TimerQueue<K, N> {
  readonly columnFamily: ColumnFamily
  private readonly codec: TimerCodec<K, N>
  private readonly cacheSize: number
  private readonly partitions: Partition[] = []
  private readonly heads = new IndexedHeap<Partition>(precedes)
  private count = 0
  /** The decoded first timer, until the first key group's head changes. */
  private head: Timer<K, N> | undefined = undefined

  constructor(options: RocksDBTimerQueueOptions<K, N>) {
    const cacheSize = resolveTimerCacheSize(options.cacheSize)
    this.columnFamily = options.columnFamily
    this.codec = new TimerCodec(options)
    this.cacheSize = cacheSize
    for (const keyGroup of this.codec.keyGroupRange) this.partitions.push({ keyGroup, cache: [], size: 0, heapIndex: -1 })
    this.load()
    for (const partition of this.partitions) this.heads.push(partition)
  }

  get size(): number {
    return this.count
  }

  get isEmpty(): boolean {
    return this.count === 0
  }

  /** Order keys held in memory now (at most cacheSize × key groups). */
  get cachedTimers(): number {
    let cached = 0
    for (const partition of this.partitions) cached += partition.cache.length
    return cached
  }

  /** A timer's RocksDB key, order key, key-group partition and position in that partition's cache. */
  private locate(timestamp: number, key: K, namespace: N) {
    const keyGroup = this.codec.keyGroupOf(key)
    const rocksKey = this.codec.encode(keyGroup, timestamp, key, namespace)
    const orderKey = this.codec.orderKey(rocksKey)
    const partition = this.partitions[keyGroup - this.codec.keyGroupRange.start]!
    return { rocksKey, orderKey, partition, at: searchDescending(partition.cache, orderKey) }
  }

  add(timestamp: number, key: K, namespace: N): boolean {
    const { rocksKey, orderKey, partition, at } = this.locate(timestamp, key, namespace)
    const cache = partition.cache
    if (cache[at] === orderKey) return false
    const complete = cache.length === partition.size
    if (at === 0 && (!complete || cache.length >= this.cacheSize)) {
      // sorts after everything cached: RocksDB alone, which may already hold it unless the cache is complete
      if (!complete && this.columnFamily.get(rocksKey) !== undefined) return false
      this.store(partition, rocksKey)
      return true
    }
    this.store(partition, rocksKey)
    const isHead = at === cache.length
    cache.splice(at, 0, orderKey)
    // the largest cached entry makes room; it stays in RocksDB
    if (cache.length > this.cacheSize) cache.shift()
    if (isHead) this.headChanged(partition)
    return true
  }

  remove(timestamp: number, key: K, namespace: N): boolean {
    const { rocksKey, orderKey, partition, at } = this.locate(timestamp, key, namespace)
    const cache = partition.cache
    if (cache[at] === orderKey) {
      this.delete(partition, rocksKey)
      cache.splice(at, 1)
      if (at === cache.length) this.headRemoved(partition, orderKey)
      return true
    }
    // a timer sorting before a cached one, or any timer of a complete cache, would be cached
    if (at > 0 || cache.length === partition.size || this.columnFamily.get(rocksKey) === undefined) return false
    this.delete(partition, rocksKey)
    return true
  }

  peek(): Timer<K, N> | undefined {
    if (this.head === undefined) {
      const cache = this.heads.peek()?.cache
      if (cache === undefined || cache.length === 0) return undefined
      this.head = this.codec.decodeOrderKey(cache[cache.length - 1]!)
    }
    return this.head
  }

  poll(): Timer<K, N> | undefined {
    const timer = this.peek()
    if (timer === undefined) return undefined
    const partition = this.heads.peek()!
    const orderKey = partition.cache[partition.cache.length - 1]!
    this.delete(partition, this.codec.encodeOrderKey(partition.keyGroup, orderKey))
    partition.cache.pop()
    this.headRemoved(partition, orderKey)
    return timer
  }

  addAll(timers: Iterable<Timer<K, N>>): number {
    let added = 0
    for (const timer of timers) if (this.add(timer.timestamp, timer.key, timer.namespace)) added++
    return added
  }

  *timersInKeyGroup(keyGroup: number): IterableIterator<Timer<K, N>> {
    const partition = this.partitions[this.codec.keyGroupRange.indexOf(keyGroup)]!
    if (partition.size > 0) yield* this.scan(keyGroup, keyGroup + 1)
  }

  [Symbol.iterator](): IterableIterator<Timer<K, N>> {
    return this.scan(this.codec.keyGroupRange.start, this.codec.keyGroupRange.end + 1)
  }

  /** Timers of key groups [from, to), read from a RocksDB iterator (a consistent view). */
  private *scan(from: number, to: number): IterableIterator<Timer<K, N>> {
    const iterator = this.columnFamily.iterator({ gte: this.prefix(from), lt: this.prefix(to) })
    try {
      while (!iterator.ended) {
        const timers: Timer<K, N>[] = []
        iterator.nextBatch(1000, SCAN_BYTES).forEachKey((rocksKey) => timers.push(this.codec.decode(rocksKey)))
        yield* timers
      }
    } finally {
      iterator.close()
    }
  }

  private store(partition: Partition, rocksKey: Buffer): void {
    this.columnFamily.put(rocksKey, EMPTY)
    partition.size++
    this.count++
  }

  private delete(partition: Partition, rocksKey: Buffer): void {
    this.columnFamily.delete(rocksKey)
    partition.size--
    this.count--
  }

  /** After the cache's head `removed` left it: refill an emptied cache and reposition the key group. */
  private headRemoved(partition: Partition, removed: string): void {
    if (partition.cache.length === 0 && partition.size > 0) this.refill(partition, removed)
    this.headChanged(partition)
  }

  private headChanged(partition: Partition): void {
    this.heads.update(partition)
    this.head = undefined
  }

  /**
   * Reads the key group's next timers into its empty cache. Everything left in RocksDB sorts
   * after `removed` (the last cached entry), so the scan starts there, skipping the tombstones
   * of the timers polled before it.
   */
  private refill(partition: Partition, removed: string): void {
    const cache = partition.cache
    // The key group's next timers, read as they come due: the working set, kept in the cache.
    const iterator = this.columnFamily.iterator({
      gt: this.codec.encodeOrderKey(partition.keyGroup, removed),
      lt: this.prefix(partition.keyGroup + 1),
      fillCache: true,
    })
    try {
      const batch = iterator.nextBatch(Math.min(this.cacheSize, partition.size), SCAN_BYTES)
      batch.forEachKey((rocksKey) => cache.push(this.codec.orderKey(rocksKey)))
    } finally {
      iterator.close()
    }
    if (cache.length === 0) throw new CorruptDataError(`timer column family '${this.columnFamily.name}' lost the timers of key group ${partition.keyGroup}`)
    cache.reverse()
  }

  /** Counts the timers already in the column family and caches each key group's first ones. */
  private load(): void {
    const { start, end } = this.codec.keyGroupRange
    const iterator = this.columnFamily.iterator({ gte: this.prefix(start), lt: this.prefix(end + 1) })
    try {
      while (!iterator.ended) {
        iterator.nextBatch(10_000, SCAN_BYTES).forEachKey((rocksKey) => {
          const partition = this.partitions[this.codec.keyGroupOfEncoded(rocksKey) - start]!
          if (partition.cache.length < this.cacheSize) partition.cache.push(this.codec.orderKey(rocksKey))
          partition.size++
          this.count++
        })
      }
    } finally {
      iterator.close()
    }
    for (const partition of this.partitions) partition.cache.reverse()
  }

  private prefix(keyGroup: number): Buffer {
    const prefix = Buffer.allocUnsafe(this.codec.prefixBytes)
    writeKeyGroupPrefix(keyGroup, this.codec.prefixBytes, prefix, 0)
    return prefix
  }
}
