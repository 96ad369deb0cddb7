/**
 * A timer: fires once for `key` and `namespace` when time reaches `timestamp` (milliseconds or any
 * unit the caller uses consistently; a safe integer, possibly negative). Timers are values: a
 * (timestamp, key, namespace) is registered at most once. Read-only once handed out.
 */
export interface Timer<K, N> {
  readonly timestamp: number
  readonly key: K
  readonly namespace: N
}

/** Which clock a timer follows: the watermark (event time) or the caller's processing time. */
export type TimeDomain = 'eventTime' | 'processingTime'
