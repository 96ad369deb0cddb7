import type { NativeWriteBatch } from './binding'
import type { ColumnFamily } from './column-family'
import { checkRange, toBytes, type Bytes } from './bytes'

/**
 * Writes collected in JS and applied atomically by `db.write(batch)` in one native call.
 * A batch can be written, cleared and reused; values get their TTL write time when added.
 */
export class WriteBatch {
  /** @internal */
  readonly native: NativeWriteBatch

  /** @internal */
  constructor(native: NativeWriteBatch) {
    this.native = native
  }

  put(cf: ColumnFamily, key: Bytes, value: Bytes): this {
    this.native.put(cf.id, toBytes(key), toBytes(value))
    return this
  }

  /** Adds a value that already ends with its 4-byte TTL write time (see `ColumnFamily.putRaw`). */
  putRaw(cf: ColumnFamily, key: Bytes, rawValue: Uint8Array): this {
    this.native.putRaw(cf.id, toBytes(key), rawValue)
    return this
  }

  merge(cf: ColumnFamily, key: Bytes, value: Bytes): this {
    this.native.merge(cf.id, toBytes(key), toBytes(value))
    return this
  }

  delete(cf: ColumnFamily, key: Bytes): this {
    this.native.delete(cf.id, toBytes(key))
    return this
  }

  /** Deletes every key in [begin, end). begin after end is a RangeError; begin == end adds nothing. */
  deleteRange(cf: ColumnFamily, begin: Bytes, end: Bytes): this {
    const [from, to] = [toBytes(begin), toBytes(end)]
    if (checkRange(from, to, 'deleteRange')) this.native.deleteRange(cf.id, from, to)
    return this
  }

  clear(): this {
    this.native.clear()
    return this
  }

  /** Number of operations in the batch. */
  get count(): number {
    return this.native.count()
  }

  /** Size of the batch's encoded operations in bytes. */
  get byteSize(): number {
    return this.native.byteSize()
  }

  /** Frees the native batch now (GC or closing the database would, later). */
  close(): void {
    this.native.close()
  }
}
