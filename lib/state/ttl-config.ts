/**
 * Per-state time-to-live, carried by the state's column family TTL in RocksDB. Expired
 * entries are dropped by compaction; `neverReturnExpired` also hides them before that.
 */
export interface StateTtlConfig {
  /** Entries expire this many seconds after their last write (or read, see `update`). */
  seconds: number
  /** What refreshes an entry's expiry: writes only (default), or reads as well. */
  update?: 'onCreateAndWrite' | 'onReadAndWrite'
  /** Whether reads may return an expired entry that compaction has not removed yet (default: they may). */
  visibility?: 'returnExpiredIfNotCleanedUp' | 'neverReturnExpired'
}

/** A validated TTL configuration, with the defaults filled in. */
export interface ResolvedTtl {
  seconds: number
  update: 'onCreateAndWrite' | 'onReadAndWrite'
  visibility: 'returnExpiredIfNotCleanedUp' | 'neverReturnExpired'
}

export const NO_TTL: ResolvedTtl = Object.freeze({
  seconds: 0,
  update: 'onCreateAndWrite',
  visibility: 'returnExpiredIfNotCleanedUp',
})

const MAX_TTL_SECONDS = 0x7fffffff

export function resolveTtl(config: StateTtlConfig | undefined): ResolvedTtl {
  if (config === undefined) return NO_TTL
  if (typeof config !== 'object' || config === null) throw new TypeError('ttl must be an object like { seconds: 3600 }')
  const { seconds, update = 'onCreateAndWrite', visibility = 'returnExpiredIfNotCleanedUp' } = config
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new RangeError(`ttl.seconds must be an integer from 1 to ${MAX_TTL_SECONDS}, got ${seconds}`)
  }
  if (update !== 'onCreateAndWrite' && update !== 'onReadAndWrite') {
    throw new TypeError(`ttl.update must be 'onCreateAndWrite' or 'onReadAndWrite', got '${String(update)}'`)
  }
  if (visibility !== 'returnExpiredIfNotCleanedUp' && visibility !== 'neverReturnExpired') {
    throw new TypeError(`ttl.visibility must be 'returnExpiredIfNotCleanedUp' or 'neverReturnExpired', got '${String(visibility)}'`)
  }
  return { seconds, update, visibility }
}
