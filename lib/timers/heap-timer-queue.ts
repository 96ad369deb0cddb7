import { IndexedHeap } from './indexed-heap'
import type { Timer } from './timer'
import { TimerCodec, type TimerCodecOptions } from './timer-key'
import type { TimerQueue } from './timer-queue'

class HeapTimer<K, N> implements Timer<K, N> {
  heapIndex = -1

  constructor(
    readonly timestamp: number,
    readonly key: K,
    readonly namespace: N,
    /** The order key (timer-key.ts): identity in the key group's map and tie-breaker in the heap. */
    readonly id: string,
    readonly keyGroup: number,
  ) {}
}

function precedes(a: HeapTimer<unknown, unknown>, b: HeapTimer<unknown, unknown>): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.id < b.id)
}

/**
 * Timers in memory: one binary heap over all timers, plus a map per key group from order key to
 * timer for deduplication, O(log n) removal and per-key-group snapshots (as Flink's
 * HeapPriorityQueueSet).
 */
export class HeapTimerQueue<K, N> implements TimerQueue<K, N> {
  private readonly codec: TimerCodec<K, N>
  private readonly heap = new IndexedHeap<HeapTimer<K, N>>(precedes)
  /** Indexed by key group - range start; created on first use. */
  private readonly byKeyGroup: (Map<string, HeapTimer<K, N>> | undefined)[] = []

  constructor(options: TimerCodecOptions<K, N>) {
    this.codec = new TimerCodec(options)
  }

  get size(): number {
    return this.heap.size
  }

  get isEmpty(): boolean {
    return this.heap.size === 0
  }

  add(timestamp: number, key: K, namespace: N): boolean {
    const keyGroup = this.codec.keyGroupOf(key)
    const id = this.codec.orderKey(this.codec.encode(keyGroup, timestamp, key, namespace))
    const index = keyGroup - this.codec.keyGroupRange.start
    const timers = (this.byKeyGroup[index] ??= new Map())
    if (timers.has(id)) return false
    const timer = new HeapTimer(timestamp, key, namespace, id, keyGroup)
    timers.set(id, timer)
    this.heap.push(timer)
    return true
  }

  remove(timestamp: number, key: K, namespace: N): boolean {
    const keyGroup = this.codec.keyGroupOf(key)
    const id = this.codec.orderKey(this.codec.encode(keyGroup, timestamp, key, namespace))
    const timers = this.byKeyGroup[keyGroup - this.codec.keyGroupRange.start]
    const timer = timers?.get(id)
    if (timer === undefined) return false
    timers!.delete(id)
    this.heap.remove(timer)
    return true
  }

  peek(): Timer<K, N> | undefined {
    return this.heap.peek()
  }

  poll(): Timer<K, N> | undefined {
    const timer = this.heap.pop()
    if (timer !== undefined) this.byKeyGroup[timer.keyGroup - this.codec.keyGroupRange.start]!.delete(timer.id)
    return timer
  }

  addAll(timers: Iterable<Timer<K, N>>): number {
    let added = 0
    for (const timer of timers) if (this.add(timer.timestamp, timer.key, timer.namespace)) added++
    return added
  }

  *timersInKeyGroup(keyGroup: number): IterableIterator<Timer<K, N>> {
    const timers = this.byKeyGroup[this.codec.keyGroupRange.indexOf(keyGroup)]
    if (timers !== undefined) yield* [...timers.values()].sort((a, b) => (precedes(a, b) ? -1 : 1))
  }

  *[Symbol.iterator](): IterableIterator<Timer<K, N>> {
    for (const keyGroup of this.codec.keyGroupRange) yield* this.timersInKeyGroup(keyGroup)
  }
}
