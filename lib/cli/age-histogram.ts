/** Buckets of a TTL state's ages, each a tenth of its TTL. */
export const AGE_BUCKETS = 10

/**
 * How old a state's entries (list elements, for list state) are, from the write times stored with
 * them, as fractions of the state's TTL at one `now`: bucket i holds ages in [i/10, (i+1)/10) of
 * the TTL. `expired` are past their TTL (write time + TTL <= now, the rule keyed state reads apply,
 * Flink's) but not yet compacted away; `future` were written by a clock ahead of `now`.
 */
export interface AgeHistogram {
  ttlSeconds: number
  now: number
  buckets: number[]
  expired: number
  future: number
  oldestWriteTime?: number
  newestWriteTime?: number
}

export function emptyAgeHistogram(ttlSeconds: number, now: number): AgeHistogram {
  return { ttlSeconds, now, buckets: new Array<number>(AGE_BUCKETS).fill(0), expired: 0, future: 0 }
}

export function addWriteTime(histogram: AgeHistogram, writeTime: number): void {
  const { ttlSeconds, now } = histogram
  if (histogram.oldestWriteTime === undefined || writeTime < histogram.oldestWriteTime) histogram.oldestWriteTime = writeTime
  if (histogram.newestWriteTime === undefined || writeTime > histogram.newestWriteTime) histogram.newestWriteTime = writeTime
  const age = now - writeTime
  if (age < 0) histogram.future++
  else if (writeTime + ttlSeconds <= now) histogram.expired++
  else histogram.buckets[Math.floor((age * AGE_BUCKETS) / ttlSeconds)]!++
}
