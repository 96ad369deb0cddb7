import type { Timer } from './timer'

/**
 * A priority queue SET of timers (Flink's KeyGroupedInternalPriorityQueue): a (timestamp, key,
 * namespace) is held at most once; timers come out by timestamp, ties by serialized key, then
 * serialized namespace (the bytes of timer-key.ts), so every implementation fires in one order.
 * Timers are grouped by key group for snapshots and restore.
 */
export interface TimerQueue<K, N> extends Iterable<Timer<K, N>> {
  readonly size: number
  readonly isEmpty: boolean
  /** Adds the timer; false when it was already there. KeyGroupOutOfRangeError for a key this queue does not hold. */
  add(timestamp: number, key: K, namespace: N): boolean
  /** Removes the timer; false when it was not there. */
  remove(timestamp: number, key: K, namespace: N): boolean
  /** The first timer, without removing it. */
  peek(): Timer<K, N> | undefined
  /** Removes and returns the first timer. */
  poll(): Timer<K, N> | undefined
  /** Adds every timer (restore); returns how many were new. */
  addAll(timers: Iterable<Timer<K, N>>): number
  /** The timers of one key group of the queue's range, in queue order. */
  timersInKeyGroup(keyGroup: number): IterableIterator<Timer<K, N>>
  /** Every timer, key group by key group, each in queue order (what a snapshot writes). */
  [Symbol.iterator](): IterableIterator<Timer<K, N>>
}
