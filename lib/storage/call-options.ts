import { checkOptionNames } from '../option-names'
import type { DownloadOptions, GarbageOptions, TransferOptions } from './checkpoint-storage'

const TRANSFER_OPTION_NAMES: ReadonlySet<string> = new Set(['signal', 'onProgress'] satisfies (keyof TransferOptions)[])
const DOWNLOAD_OPTION_NAMES: ReadonlySet<string> = new Set(['signal', 'onProgress', 'link'] satisfies (keyof DownloadOptions)[])
const GARBAGE_OPTION_NAMES: ReadonlySet<string> = new Set(['olderThanMs', 'unreferencedOlderThanMs'] satisfies (keyof GarbageOptions)[])
const DEFAULT_TEMP_AGE_MS = 60 * 60 * 1000

/**
 * Checks the options of a storage call before it touches anything: unknown names and wrong types
 * are a TypeError. The cost is nothing beside the file transfer each call makes.
 */
export function checkTransferOptions<T extends TransferOptions>(options: T, download = false): T {
  checkOptionNames(options, download ? DOWNLOAD_OPTION_NAMES : TRANSFER_OPTION_NAMES)
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw new TypeError("option 'signal' must be an AbortSignal")
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new TypeError("option 'onProgress' must be a function")
  const { link } = options as DownloadOptions
  if (link !== undefined && typeof link !== 'boolean') throw new TypeError("option 'link' must be a boolean")
  return options
}

/** `collectGarbage`'s options, checked before anything is removed, with the default age of temporary files filled in. */
export function checkGarbageOptions(options: GarbageOptions): { olderThanMs: number; unreferencedOlderThanMs: number | undefined } {
  checkOptionNames(options, GARBAGE_OPTION_NAMES)
  const { olderThanMs = DEFAULT_TEMP_AGE_MS, unreferencedOlderThanMs } = options
  return {
    olderThanMs: checkAge(olderThanMs, 'olderThanMs'),
    unreferencedOlderThanMs: unreferencedOlderThanMs === undefined ? undefined : checkAge(unreferencedOlderThanMs, 'unreferencedOlderThanMs'),
  }
}

/** A negative age is allowed: it counts files written up to that long from now as old (tests use it). */
function checkAge(ms: number, name: string): number {
  if (typeof ms !== 'number') throw new TypeError(`option '${name}' must be a number of milliseconds, got ${typeof ms}`)
  if (Number.isNaN(ms)) throw new RangeError(`option '${name}' must be a number of milliseconds, got NaN`)
  return ms
}
