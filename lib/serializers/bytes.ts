import type { ByteReader } from './byte-reader'
import type { ByteWriter } from './byte-writer'
import { bytesHashCode } from './java-hash'
import { invalidValue, type Serializer } from './serializer'

/**
 * Raw bytes behind a varint length (self-delimiting). Writes any `Uint8Array`; reads a `Buffer`
 * that is a copy, so it stays valid when the buffer it was read from is reused.
 * Hash: `java.util.Arrays.hashCode(byte[])` (see `bytesHashCode`).
 */
export const bytes: Serializer<Uint8Array> = {
  id: 'bytes',
  write(value: Uint8Array, out: ByteWriter): void {
    if (!(value instanceof Uint8Array)) throw invalidValue('bytes', 'a Uint8Array or Buffer', value)
    out.writeVarUint(value.length)
    const at = out.reserve(value.length)
    out.buf.set(value, at)
  },
  read(input: ByteReader): Buffer {
    const length = input.readVarUint()
    const at = input.take(length)
    const copy = Buffer.allocUnsafe(length)
    input.buf.copy(copy, 0, at, at + length)
    return copy
  },
  hashCode: bytesHashCode,
}
