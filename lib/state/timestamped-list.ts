import { CorruptDataError } from '../errors'
import type { ByteWriter } from '../serializers/byte-writer'
import type { Serializer } from '../serializers/serializer'

/**
 * The value format of list state: element records, concatenated with nothing before, between
 * or after them (the list column family's merge operator concatenates operands):
 *
 *   uint32 BE  payload length
 *   payload    the element as its serializer writes it (may be empty)
 *   int32 BE   the element's write time, seconds of the database's clock
 *
 * Every element carries its own write time, so list TTL is per element, as Flink's
 * TtlListState, while `add` stays one merge with no read. native/list_ttl_compaction_filter.h
 * reads the same layout to drop expired elements in compaction.
 */
const LENGTH_BYTES = 4
const WRITE_TIME_BYTES = 4

/** Appends one record of `value`, written at `writeTime`. */
export function writeElement<V>(out: ByteWriter, serializer: Serializer<V>, value: V, writeTime: number): void {
  const lengthAt = out.reserve(LENGTH_BYTES)
  serializer.write(value, out)
  const writeTimeAt = out.reserve(WRITE_TIME_BYTES)
  // `reserve` may have replaced the buffer: read `out.buf` only now.
  out.buf.writeUInt32BE(writeTimeAt - lengthAt - LENGTH_BYTES, lengthAt)
  out.buf.writeInt32BE(writeTime, writeTimeAt)
}

/** Appends the record `cursor` is on, with another write time, without decoding its payload. */
export function writeRestamped(out: ByteWriter, cursor: ElementCursor, writeTime: number): void {
  const recordStart = cursor.payloadStart - LENGTH_BYTES
  const at = out.reserve(cursor.payloadEnd - recordStart + WRITE_TIME_BYTES)
  cursor.bytes.copy(out.buf, at, recordStart, cursor.payloadEnd)
  out.buf.writeInt32BE(writeTime, at + cursor.payloadEnd - recordStart)
}

/** Walks the records of a list value; a reusable cursor, so reading a list allocates no record objects. */
export class ElementCursor {
  bytes: Buffer = Buffer.alloc(0)
  payloadStart = 0
  payloadEnd = 0
  writeTime = 0
  private next = 0
  private what = ''

  /** Starts before the first record of `bytes`; `what` names the state in errors. */
  reset(bytes: Buffer, what: string): this {
    this.bytes = bytes
    this.next = 0
    this.what = what
    return this
  }

  /** Moves to the next record; false after the last. Throws CorruptDataError for a record that runs past the end. */
  advance(): boolean {
    const { bytes, next: at } = this
    if (at === bytes.length) return false
    if (bytes.length - at < LENGTH_BYTES + WRITE_TIME_BYTES) {
      throw new CorruptDataError(`${this.what}: list record at offset ${at} is truncated (${bytes.length - at} byte(s) left)`)
    }
    const length = bytes.readUInt32BE(at)
    if (length > bytes.length - at - LENGTH_BYTES - WRITE_TIME_BYTES) {
      throw new CorruptDataError(`${this.what}: list element at offset ${at} claims ${length} byte(s), more than the value holds`)
    }
    this.payloadStart = at + LENGTH_BYTES
    this.payloadEnd = this.payloadStart + length
    this.writeTime = bytes.readInt32BE(this.payloadEnd)
    this.next = this.payloadEnd + WRITE_TIME_BYTES
    return true
  }
}
