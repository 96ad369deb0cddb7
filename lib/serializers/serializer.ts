import { CorruptDataError } from '../errors'
import { ByteReader } from './byte-reader'
import { ByteWriter } from './byte-writer'

/**
 * Turns values of type `T` into bytes and back, for keys, namespaces, user keys and values.
 *
 * Contract (the built-ins keep it; custom serializers must too):
 * - **Self-delimiting.** `read` consumes exactly the bytes `write` produced, finding their end from
 *   the bytes themselves (a fixed length, or a length prefix), never from `input.end`. List state
 *   joins elements with a `,` byte through RocksDB merge, and composite keys concatenate key,
 *   namespace and user key; both are split back apart by reading element after element.
 * - **Canonical.** Equal values produce equal bytes and distinct values distinct bytes, so RocksDB
 *   key equality is value equality.
 * - **Consistent hash.** Values with equal bytes have equal `hashCode`s: it picks the key group.
 */
export interface Serializer<T> {
  /** Stable identity recorded in snapshot metadata, e.g. `'string'`, `'tuple(string,int32)'`. */
  readonly id: string
  /** Byte length of every value, when all values have the same length; `undefined` = variable. */
  readonly fixedLength?: number
  /** Appends `value` at `out.pos`. Throws `TypeError`/`RangeError` for values it cannot encode. */
  write(value: T, out: ByteWriter): void
  /** Reads one value at `input.pos` and advances past it; `CorruptDataError` on bad bytes. */
  read(input: ByteReader): T
  /** A 32-bit signed hash with Java's `hashCode` semantics, so key groups match Flink's. */
  hashCode(value: T): number
}

/** The value type of a serializer. */
export type ValueOf<S> = S extends Serializer<infer T> ? T : never

/** Serializes one value into a fresh buffer. For hot paths, reuse a `ByteWriter` instead. */
export function serialize<T>(serializer: Serializer<T>, value: T): Buffer {
  const out = new ByteWriter(serializer.fixedLength ?? 64)
  serializer.write(value, out)
  return out.view()
}

/** Deserializes a buffer that holds exactly one value; trailing bytes are an error. */
export function deserialize<T>(serializer: Serializer<T>, bytes: Buffer): T {
  const input = new ByteReader(bytes)
  const value = serializer.read(input)
  if (input.remaining !== 0) {
    throw new CorruptDataError(`${input.remaining} trailing byte(s) after a '${serializer.id}' value`)
  }
  return value
}

/** The error a built-in `write` throws for a value it cannot encode. */
export function invalidValue(serializerId: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value)
  return new TypeError(`serializer '${serializerId}' expects ${expected}, got ${typeof value} ${shown}`)
}
