/**
 * Java's `hashCode` rules, in 32-bit signed int arithmetic (`Math.imul`, `| 0`), so that a key hashes
 * (and lands in a key group) exactly as it would in a Flink job.
 */

/** `String.hashCode()`: `31 * h + c` over the UTF-16 code units, as JavaScript strings hold them. */
export function stringHashCode(value: string): number {
  let h = 0
  for (let i = 0; i < value.length; i++) {
    h = (Math.imul(31, h) + value.charCodeAt(i)) | 0
  }
  return h
}

/** `Long.hashCode(long)`: the high 32 bits xor the low 32 bits. */
export function longHashCode(value: bigint): number {
  return Number(BigInt.asIntN(32, value ^ (value >> 32n)))
}

const doubleBits = Buffer.alloc(8)

/** `Double.hashCode(double)`: `Long.hashCode(doubleToLongBits(value))`, every NaN collapsed to one. */
export function doubleHashCode(value: number): number {
  doubleBits.writeDoubleBE(value === value ? value : NaN, 0)
  return doubleBits.readInt32BE(0) ^ doubleBits.readInt32BE(4)
}

/** `Boolean.hashCode(boolean)`. */
export function booleanHashCode(value: boolean): number {
  return value ? 1231 : 1237
}

/**
 * `java.util.Arrays.hashCode(byte[])`: `31 * h + b` over the bytes as signed values, from 1.
 * Our choice for bytes keys: a Java `byte[]`'s own `hashCode` is its identity (which is why Flink
 * refuses arrays as keys), so the content hash Java offers for arrays is the one to match.
 */
export function bytesHashCode(value: Uint8Array): number {
  let h = 1
  for (let i = 0; i < value.length; i++) {
    h = (Math.imul(31, h) + ((value[i]! << 24) >> 24)) | 0
  }
  return h
}

/** Folds one field's hash into a running one: Flink's `Tuple.hashCode` (`31 * h + field`, from 0). */
export function combineHashCodes(h: number, fieldHash: number): number {
  return (Math.imul(31, h) + fieldHash) | 0
}
