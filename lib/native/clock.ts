import { binding, type NativeManualClock } from './binding'

/**
 * A wall clock set by hand, for tests of TTL behaviour: pass it as `clock` to
 * `RocksDB.open` and every TTL decision of that database (write timestamps, expiry in
 * compaction, `skipExpired` reads) uses its time instead of the system's.
 */
export class ManualClock {
  /** @internal */
  readonly native: NativeManualClock

  constructor(seconds: number = Math.floor(Date.now() / 1000)) {
    if (!Number.isSafeInteger(seconds)) throw new TypeError('seconds must be an integer')
    this.native = new binding.ManualClock(seconds)
  }

  /** Current time in whole seconds since the Unix epoch. */
  now(): number {
    return this.native.now()
  }

  set(seconds: number): void {
    if (!Number.isSafeInteger(seconds)) throw new TypeError('seconds must be an integer')
    this.native.set(seconds)
  }

  advance(seconds: number): void {
    this.set(this.now() + seconds)
  }
}
