import { CorruptDataError } from '../errors'
import type { ByteReader } from './byte-reader'
import type { ByteWriter } from './byte-writer'
import { booleanHashCode, doubleHashCode, longHashCode } from './java-hash'
import { invalidValue, type Serializer } from './serializer'

// Fixed-length primitives, big-endian like Java's DataOutput, so they also sort numerically
// within one sign (RocksDB compares keys bytewise).

/** A 32-bit signed integer held in a `number`; 4 bytes. Hash: `Integer.hashCode`. */
export const int32: Serializer<number> = {
  id: 'int32',
  fixedLength: 4,
  write(value: number, out: ByteWriter): void {
    // one check rejects non-numbers, fractions, NaN and out-of-range values alike
    if ((value | 0) !== value) throw invalidValue('int32', 'an integer in [-2^31, 2^31)', value)
    const at = out.reserve(4)
    out.buf.writeInt32BE(value, at)
  },
  read(input: ByteReader): number {
    return input.buf.readInt32BE(input.take(4))
  },
  hashCode(value: number): number {
    return value | 0
  },
}

const MIN_INT64 = -(2n ** 63n)
const MAX_INT64 = 2n ** 63n - 1n

/** A 64-bit signed integer held in a `bigint`; 8 bytes. Hash: `Long.hashCode`. */
export const int64: Serializer<bigint> = {
  id: 'int64',
  fixedLength: 8,
  write(value: bigint, out: ByteWriter): void {
    if (typeof value !== 'bigint') throw invalidValue('int64', 'a bigint', value)
    if (value < MIN_INT64 || value > MAX_INT64) throw new RangeError(`serializer 'int64' expects a bigint in [-2^63, 2^63), got ${value}`)
    const at = out.reserve(8)
    out.buf.writeBigInt64BE(value, at)
  },
  read(input: ByteReader): bigint {
    return input.buf.readBigInt64BE(input.take(8))
  },
  hashCode: longHashCode,
}

/** An IEEE 754 double; 8 bytes, every NaN written as the one canonical NaN (as Java's `writeDouble`). Hash: `Double.hashCode`. */
export const float64: Serializer<number> = {
  id: 'float64',
  fixedLength: 8,
  write(value: number, out: ByteWriter): void {
    if (typeof value !== 'number') throw invalidValue('float64', 'a number', value)
    const at = out.reserve(8)
    if (value === value) {
      out.buf.writeDoubleBE(value, at)
    } else {
      out.buf.writeUInt32BE(0x7ff80000, at)
      out.buf.writeUInt32BE(0, at + 4)
    }
  },
  read(input: ByteReader): number {
    return input.buf.readDoubleBE(input.take(8))
  },
  hashCode: doubleHashCode,
}

/** `true`/`false` as one byte 1/0; any other byte is corrupt. Hash: `Boolean.hashCode`. */
export const boolean: Serializer<boolean> = {
  id: 'boolean',
  fixedLength: 1,
  write(value: boolean, out: ByteWriter): void {
    if (typeof value !== 'boolean') throw invalidValue('boolean', 'a boolean', value)
    const at = out.reserve(1)
    out.buf[at] = value ? 1 : 0
  },
  read(input: ByteReader): boolean {
    const at = input.take(1)
    const byte = input.buf[at]
    if (byte === 0 || byte === 1) return byte === 1
    throw new CorruptDataError(`invalid boolean byte 0x${byte!.toString(16)} at offset ${at}`)
  },
  hashCode: booleanHashCode,
}

/**
 * The "void" namespace: the only value is `undefined`, written as zero bytes. States that do not
 * use namespaces are keyed by it, so their RocksDB key is just `prefix | key`.
 */
export const voidNamespace: Serializer<undefined> = {
  id: 'void',
  fixedLength: 0,
  write(value: undefined): void {
    if (value !== undefined) throw invalidValue('void', 'undefined', value)
  },
  read(): undefined {
    return undefined
  },
  hashCode(): number {
    return 0
  },
}
