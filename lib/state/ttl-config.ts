import { checkOptionNames } from '../option-names'

/**
 * Per-state time-to-live with Flink's semantics, in whole seconds of the database's clock.
 * Every value, map entry and list element records the time it was written; it is expired once
 * write time + `seconds` <= now (Flink's rule). Value, reducing and aggregating state expire per
 * entry, map state per user key, list state per element. Expired data is removed by RocksDB
 * compaction (plus periodic compaction, once per TTL), which follows DBWithTTL's rule (write
 * time + `seconds` < now, one second later); `neverReturnExpired` hides it before that.
 */
export interface StateTtlConfig {
  /** Entries expire this many seconds after their last write (or read, see `update`). */
  seconds: number
  /** What refreshes an entry's expiry: writes only (default), or reads as well. */
  update?: 'onCreateAndWrite' | 'onReadAndWrite'
  /**
   * Whether reads may return an expired entry that is not cleaned up yet (default: never, as
   * in Flink). Either way a read that meets an expired entry clears it.
   */
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
  visibility: 'neverReturnExpired',
})

const MAX_TTL_SECONDS = 0x7fffffff
const TTL_OPTION_NAMES: ReadonlySet<string> = new Set(['seconds', 'update', 'visibility'] satisfies (keyof StateTtlConfig)[])

/** Checks a TTL configuration (unknown keys are a TypeError, as every option) and fills in the defaults. */
export function resolveTtl(config: StateTtlConfig | undefined): ResolvedTtl {
  if (config === undefined) return NO_TTL
  if (typeof config !== 'object' || config === null) throw new TypeError('ttl must be an object like { seconds: 3600 }')
  checkOptionNames(config, TTL_OPTION_NAMES, 'ttl')
  const { seconds, update = 'onCreateAndWrite', visibility = 'neverReturnExpired' } = config
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

/**
 * Flink's rule (TtlUtils.expired), for values, map entries and list elements alike: expired once
 * writeTime + ttl <= now. Compaction applies DBWithTTL's rule (writeTime + ttl < now), so it drops
 * an entry one second after reads stopped showing it, at the earliest.
 */
export function isExpired(writeTimeSeconds: number, ttl: ResolvedTtl, nowSeconds: number): boolean {
  return ttl.seconds > 0 && writeTimeSeconds + ttl.seconds <= nowSeconds
}
