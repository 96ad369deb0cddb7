import { READ_RAW, READ_SKIP_EXPIRED, type NativeColumnFamilyInfo, type NativeDatabase, type NativeSnapshot } from './binding'
import { checkRange, toBytes, type Bytes } from './bytes'
import { Iterator } from './iterator'
import type { ReadPool } from './read-pool'
import { Snapshot } from './snapshot'
import { checkOptionNames } from '../option-names'

/** Options of `get` and `getMany`: any other key, or a `raw`/`skipExpired` that is not a boolean, is a TypeError. */
export interface ReadOptions {
  /** Read as of this snapshot. */
  snapshot?: Snapshot
  /** Return the stored value with its 4-byte little-endian TTL write time (seconds) appended. */
  raw?: boolean
  /**
   * Hide an entry whose TTL has passed even if compaction has not removed it yet: its
   * DBWithTTL write time + the column family's TTL < now. For a put that is when it was
   * written. A key with merge operands is combined by the read itself, and the result is
   * stamped with the time of that read (RocksDB's TTL merge operator), so it is never hidden;
   * a value a compaction combined carries that compaction's time. A `timestampedList` column
   * family has no whole-value TTL: skipExpired never hides its entries (its elements expire
   * one by one: merges leave expired ones out and compaction drops them).
   */
  skipExpired?: boolean
}

/** Options of `iterator`: any other key is a TypeError. */
export interface IteratorOptions extends ReadOptions {
  gt?: Bytes
  gte?: Bytes
  lt?: Bytes
  lte?: Bytes
  reverse?: boolean
  /**
   * Whether the blocks this iterator reads from disk stay in the block cache (default false,
   * abstract-level's default). Off, a scan reads through the cache without adding to it: a
   * full scan (a snapshot, `getKeys`, counting entries) does not evict the blocks that point
   * reads keep using, nor fill the memory budget's cache with blocks read once. Set it for a
   * short range read again and again (map state's entries of the current key, timers of a key
   * group), whose blocks are the working set.
   */
  fillCache?: boolean
}

const READ_OPTION_NAMES: ReadonlySet<string> = new Set(['snapshot', 'raw', 'skipExpired'] satisfies (keyof ReadOptions)[])
const ITERATOR_OPTION_NAMES: ReadonlySet<string> = new Set([
  'snapshot',
  'raw',
  'skipExpired',
  'gt',
  'gte',
  'lt',
  'lte',
  'reverse',
  'fillCache',
] satisfies (keyof IteratorOptions)[])

/** The native read flags of `options`, checked (keyed state's hot path uses `getWithFlags` and never comes here). */
function readFlags(options: ReadOptions): number {
  checkOptionNames(options, READ_OPTION_NAMES)
  const { raw = false, skipExpired = false } = options
  if (typeof raw !== 'boolean') throw new TypeError("option 'raw' must be a boolean")
  if (typeof skipExpired !== 'boolean') throw new TypeError("option 'skipExpired' must be a boolean")
  return (raw ? READ_RAW : 0) | (skipExpired ? READ_SKIP_EXPIRED : 0)
}

function nativeSnapshot(options: ReadOptions): NativeSnapshot | undefined {
  if (options.snapshot === undefined) return undefined
  if (!(options.snapshot instanceof Snapshot)) throw new TypeError('snapshot must be a Snapshot')
  return options.snapshot.native
}

function optionalBytes(value: Bytes | undefined): Uint8Array | undefined {
  return value === undefined ? undefined : toBytes(value)
}

const MISSING = 0xffffffff

/**
 * The values of a getMany, packed natively into one Buffer (one allocation instead of one per
 * value): u32 count, a u32 length per key (MISSING: no value), then the values. Each value is
 * a view of that Buffer.
 */
function unpackValues(packed: Buffer): (Buffer | undefined)[] {
  const count = packed.readUInt32LE(0)
  // Pushed, not assigned into `new Array(count)`: a missing value is an undefined element, never
  // a hole that map, forEach and filter would skip.
  const values: (Buffer | undefined)[] = []
  let at = 4 + 4 * count
  for (let i = 0; i < count; i++) {
    const length = packed.readUInt32LE(4 + 4 * i)
    if (length === MISSING) {
      values.push(undefined)
      continue
    }
    values.push(packed.subarray(at, at + length))
    at += length
  }
  return values
}

/**
 * One column family of a RocksDB instance, with its own TTL. Point operations are
 * synchronous: they are the hot path, and a RocksDB read from memtable or block cache
 * costs less than a hop through the thread pool.
 */
export class ColumnFamily {
  /** @internal */
  readonly db: NativeDatabase

  readonly name: string
  /** The native handle id, stable while the database is open. */
  readonly id: number
  /** Values are lists of timestamped elements, each expiring on its own (see `ColumnFamilyOptions`). */
  readonly timestampedList: boolean
  /** @internal Set when the family is dropped: batches refuse it at once. */
  dropped = false
  private ttl: number
  private readonly reads: ReadPool

  /** @internal */
  constructor(db: NativeDatabase, reads: ReadPool, { name, id, ttlSeconds, timestampedList }: NativeColumnFamilyInfo) {
    this.db = db
    this.reads = reads
    this.name = name
    this.id = id
    this.ttl = ttlSeconds
    this.timestampedList = timestampedList
  }

  /** Entries (of a timestamped list: elements) older than this many seconds expire (0 = never). */
  get ttlSeconds(): number {
    return this.ttl
  }

  /** Changes the TTL; it applies to reads and compactions from now on, also to existing entries. */
  setTtl(seconds: number): void {
    this.db.setTtl(this.id, seconds)
    this.ttl = seconds
  }

  /**
   * A value up to 4 KiB is a view of a shared 8 KiB chunk (like a small `Buffer.allocUnsafe`):
   * one kept alive keeps its chunk alive. Larger values are Buffers of their own. Read a value
   * through its own `byteOffset` and `length`: its `.buffer` is the chunk, which holds the values
   * of other reads too (`Buffer.from(value.buffer)` is not the value, and hands them out with it).
   */
  get(key: Bytes, options?: ReadOptions): Buffer | undefined {
    if (options === undefined) return this.reads.get(this.id, toBytes(key))
    return this.reads.get(this.id, toBytes(key), nativeSnapshot(options), readFlags(options))
  }

  /** @internal The hot path of keyed state: no options object, flags precomputed. */
  getWithFlags(key: Uint8Array, flags: number): Buffer | undefined {
    return this.reads.get(this.id, key, undefined, flags)
  }

  /** `get` that never returns an entry whose TTL has passed. */
  getFresh(key: Bytes): Buffer | undefined {
    return this.reads.get(this.id, toBytes(key), undefined, READ_SKIP_EXPIRED)
  }

  /**
   * The values of `keys` in their order, `undefined` for a missing one. They are views of one
   * Buffer per call: one kept alive keeps them all, and a value's `.buffer` holds the others.
   */
  getMany(keys: Bytes[], options: ReadOptions = {}): (Buffer | undefined)[] {
    return unpackValues(this.db.getMany(this.id, keys.map(toBytes), nativeSnapshot(options), readFlags(options)))
  }

  put(key: Bytes, value: Bytes): void {
    this.db.put(this.id, toBytes(key), toBytes(value))
  }

  /**
   * Stores a value that already ends with its TTL write time (as `get(key, { raw: true })`
   * returns it), so the entry keeps its original expiry. Used by restore paths.
   */
  putRaw(key: Bytes, rawValue: Uint8Array): void {
    this.db.putRaw(this.id, toBytes(key), rawValue)
  }

  /**
   * Appends `value` to the stored value, joined by the database's merge delimiter (in a
   * timestamped list, with no delimiter: `value` is one or more element records).
   */
  merge(key: Bytes, value: Bytes): void {
    this.db.merge(this.id, toBytes(key), toBytes(value))
  }

  delete(key: Bytes): void {
    this.db.delete(this.id, toBytes(key))
  }

  /** Deletes every key in [begin, end). begin after end is a RangeError; begin == end deletes nothing. */
  deleteRange(begin: Bytes, end: Bytes): void {
    const [from, to] = [toBytes(begin), toBytes(end)]
    if (checkRange(from, to, 'deleteRange')) this.db.deleteRange(this.id, from, to)
  }

  iterator(options: IteratorOptions = {}): Iterator {
    // The values' types are checked natively.
    checkOptionNames(options, ITERATOR_OPTION_NAMES)
    return new Iterator(
      this.db.iterator(this.id, {
        gt: optionalBytes(options.gt),
        gte: optionalBytes(options.gte),
        lt: optionalBytes(options.lt),
        lte: optionalBytes(options.lte),
        reverse: options.reverse,
        snapshot: nativeSnapshot(options),
        raw: options.raw,
        skipExpired: options.skipExpired,
        fillCache: options.fillCache,
      }),
    )
  }
}
