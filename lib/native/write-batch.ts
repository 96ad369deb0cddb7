import { ClosedError, ColumnFamilyNotFoundError, TimestampOverflowError, errorFromNative } from '../errors'
import type { NativeDatabase } from './binding'
import { checkRange, toBytes, type Bytes } from './bytes'
import { ColumnFamily } from './column-family'

/** @internal What a batch needs of the database that made it. */
export interface BatchOwner {
  /** True from the moment `close()` is called. */
  readonly closing: boolean
  nowSeconds(): number
}

// Operation codes of the encoding native/write_batch.h decodes.
const PUT = 0
const PUT_RAW = 1
const MERGE = 2
const DELETE = 3
const DELETE_RANGE = 4

const INITIAL_BYTES = 4096
const INT32_MAX = 2 ** 31 - 1
const TIMESTAMP_BYTES = 4

function bytesArg(value: Bytes, name: string): Uint8Array {
  const bytes = toBytes(value)
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name} must be a Buffer or Uint8Array`)
  return bytes
}

/**
 * Writes collected in JS and applied atomically by `db.write(batch)`. The operations are
 * encoded into one growing buffer (native/write_batch.h), so the whole batch crosses into
 * native code once, at `write`; values get their TTL write time then. A batch can be
 * written, cleared and reused.
 */
export class WriteBatch {
  private readonly owner: BatchOwner
  /** @internal The database that made the batch; `write` on another one is refused. */
  readonly db: NativeDatabase
  private buffer: Buffer | undefined = Buffer.allocUnsafe(INITIAL_BYTES)
  private used = 0
  private operations = 0
  /** The database's clock when the batch got its first write since it was created, cleared or written. */
  private now: number | undefined

  /** @internal */
  constructor(owner: BatchOwner, db: NativeDatabase) {
    this.owner = owner
    this.db = db
  }

  put(cf: ColumnFamily, key: Bytes, value: Bytes): this {
    return this.addValue(PUT, cf, key, value)
  }

  /** Adds a value that already ends with its 4-byte TTL write time (see `ColumnFamily.putRaw`). */
  putRaw(cf: ColumnFamily, key: Bytes, rawValue: Uint8Array): this {
    return this.addValue(PUT_RAW, cf, key, rawValue)
  }

  merge(cf: ColumnFamily, key: Bytes, value: Bytes): this {
    return this.addValue(MERGE, cf, key, value)
  }

  delete(cf: ColumnFamily, key: Bytes): this {
    this.usable()
    this.family(cf)
    const k = bytesArg(key, 'key')
    this.append(DELETE, cf, k, undefined)
    return this
  }

  /** Deletes every key in [begin, end). begin after end is a RangeError; begin == end adds nothing. */
  deleteRange(cf: ColumnFamily, begin: Bytes, end: Bytes): this {
    this.usable()
    this.family(cf)
    const [from, to] = [bytesArg(begin, 'begin'), bytesArg(end, 'end')]
    if (checkRange(from, to, 'deleteRange')) this.append(DELETE_RANGE, cf, from, to)
    return this
  }

  clear(): this {
    this.usable()
    this.used = 0
    this.operations = 0
    this.now = undefined
    return this
  }

  /** Number of operations in the batch. */
  get count(): number {
    this.usable()
    return this.operations
  }

  /** Size of the batch's encoded operations in bytes. */
  get byteSize(): number {
    this.usable()
    return this.used
  }

  /** Frees the batch's buffer now; any later use throws ClosedError. */
  close(): void {
    this.buffer = undefined
  }

  /** @internal The encoded operations for `db.write` (a view, valid until the next change). */
  encoded(db: NativeDatabase): Uint8Array {
    const buffer = this.usable()
    if (db !== this.db) throw errorFromNative('InvalidArgument', 'the batch belongs to another database')
    return buffer.subarray(0, this.used)
  }

  /** @internal Called once the batch was written: later writes are stamped anew. */
  written(): void {
    this.now = undefined
  }

  private usable(): Buffer {
    if (this.buffer === undefined) throw new ClosedError('WriteBatch is closed')
    if (this.owner.closing) throw new ClosedError('Database is closed')
    return this.buffer
  }

  private family(cf: ColumnFamily): void {
    if (!(cf instanceof ColumnFamily)) throw new TypeError('expected a ColumnFamily')
    if (cf.db !== this.db) throw errorFromNative('InvalidArgument', `column family '${cf.name}' belongs to another database`)
    if (cf.dropped) throw new ColumnFamilyNotFoundError(`column family ${cf.id} does not exist`)
  }

  /**
   * Refuses a value now rather than at `write` when it cannot be stored: a raw value too short
   * for its timestamp, or a write time whose expiry does not fit DBWithTTL's int32 seconds
   * (native/database.cc WriteTime checks the same when the batch is written).
   */
  private addValue(op: number, cf: ColumnFamily, key: Bytes, value: Bytes): this {
    this.usable()
    this.family(cf)
    const k = bytesArg(key, 'key')
    const v = bytesArg(value, 'value')
    let time: number
    if (op === PUT_RAW) {
      if (v.length < TIMESTAMP_BYTES) throw errorFromNative('InvalidArgument', 'Invalid argument: a raw value must end with its 4-byte TTL timestamp')
      const at = v.length - TIMESTAMP_BYTES
      time = (v[at] | (v[at + 1] << 8) | (v[at + 2] << 16) | (v[at + 3] << 24)) >> 0
    } else {
      time = this.now ??= this.owner.nowSeconds()
    }
    const ttl = cf.timestampedList ? 0 : cf.ttlSeconds
    if (time + ttl > INT32_MAX) {
      throw new TimestampOverflowError(
        `refusing a write to column family '${cf.name}' at ${time} s with a TTL of ${ttl} s: ` +
          "DBWithTTL's int32 expiry time ends at 2038-01-19T03:14:07Z, and past it fresh entries would expire",
      )
    }
    this.append(op, cf, k, v)
    return this
  }

  /** u8 op | u32 cf | u32 length | first | (u32 length | second) */
  private append(op: number, cf: ColumnFamily, first: Uint8Array, second: Uint8Array | undefined): void {
    const needed = 9 + first.length + (second === undefined ? 0 : 4 + second.length)
    let buffer = this.buffer!
    let at = this.used
    if (buffer.length - at < needed) buffer = this.grow(at + needed)
    buffer[at] = op
    at = writeU32(buffer, at + 1, cf.id)
    at = writeBytes(buffer, at, first)
    if (second !== undefined) at = writeBytes(buffer, at, second)
    this.used = at
    this.operations++
  }

  private grow(needed: number): Buffer {
    let size = this.buffer!.length * 2
    while (size < needed) size *= 2
    const grown = Buffer.allocUnsafe(size)
    this.buffer!.copy(grown, 0, 0, this.used)
    this.buffer = grown
    return grown
  }
}

function writeU32(buffer: Buffer, at: number, value: number): number {
  buffer[at] = value
  buffer[at + 1] = value >>> 8
  buffer[at + 2] = value >>> 16
  buffer[at + 3] = value >>> 24
  return at + 4
}

function writeBytes(buffer: Buffer, at: number, bytes: Uint8Array): number {
  at = writeU32(buffer, at, bytes.length)
  buffer.set(bytes, at)
  return at + bytes.length
}
