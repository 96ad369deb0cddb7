/**
 * The checksum bench/ceiling/data.h's DataChecksum() prints, over bench/data.ts's bytes: FNV-1a
 * (32-bit) of the key slab, the value slab and the read permutation as little-endian 32-bit
 * words. Equal checksums mean the ceiling ran on exactly the data the Node drivers use.
 */
import { KEY_BYTES, VALUE_BYTES, generate, permutation } from '../data'

export function dataChecksum(count: number): number {
  const { keys, values } = generate(count)
  let hash = 2166136261
  const mix = (word: number) => {
    hash = Math.imul(hash ^ word, 16777619) >>> 0
  }
  // generate() hands out views into two slabs: walk each slab once.
  for (const [first, length] of [
    [keys[0], count * KEY_BYTES],
    [values[0], count * VALUE_BYTES],
  ] as const) {
    if (count === 0) break
    const words = new DataView(first.buffer, first.byteOffset, length)
    for (let i = 0; i + 4 <= length; i += 4) mix(words.getUint32(i, true))
  }
  for (const index of permutation(count)) mix(index)
  return hash
}
