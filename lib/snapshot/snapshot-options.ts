import { UnsupportedOptionError } from '../errors'
import { CODECS } from '../format/codecs'
import { checkOptionNames } from '../option-names'
import type { SnapshotOptions } from './full-snapshot'

const SNAPSHOT_OPTION_NAMES: ReadonlySet<string> = new Set(['type', 'compression', 'signal', 'onProgress'] satisfies (keyof SnapshotOptions)[])
const SNAPSHOT_TYPES: readonly string[] = ['full', 'savepoint'] satisfies NonNullable<SnapshotOptions['type']>[]
const COMPRESSIONS: readonly string[] = ['none', ...Object.keys(CODECS)]

/**
 * Checks `snapshot()`'s options before anything starts: unknown names and wrong types are a
 * TypeError, compression asked of an incremental checkpoint (`incremental`: the backend's
 * default is incremental) an UnsupportedOptionError. An option set to undefined is absent.
 */
export function checkSnapshotOptions(options: unknown, incremental: boolean): SnapshotOptions {
  checkOptionNames(options, SNAPSHOT_OPTION_NAMES)
  const { type, compression, signal, onProgress } = options as SnapshotOptions
  if (type !== undefined && !SNAPSHOT_TYPES.includes(type)) {
    throw new TypeError(
      `option 'type' must be 'full' or 'savepoint', got ${describe(type)} ` +
        `(leave it out for the backend's default: incremental on a backend opened with incremental: true, else full)`,
    )
  }
  if (compression !== undefined && !COMPRESSIONS.includes(compression)) {
    throw new TypeError(`option 'compression' must be one of ${COMPRESSIONS.map((name) => `'${name}'`).join(', ')}, got ${describe(compression)}`)
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("option 'signal' must be an AbortSignal")
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError("option 'onProgress' must be a function")
  if (compression !== undefined && incremental && type === undefined) {
    // Compressing the SST files again would gain little, and they must stay byte for byte what
    // RocksDB wrote: a restore installs them as they are, and later checkpoints reference them.
    throw new UnsupportedOptionError(
      "option 'compression' applies to full snapshots only: incremental checkpoints upload RocksDB's SST files as they are. " +
        "Take a full snapshot (type: 'full' or 'savepoint') to compress it",
    )
  }
  return options as SnapshotOptions
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value)
}
