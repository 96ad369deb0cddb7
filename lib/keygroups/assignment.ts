import type { Serializer } from '../serializers/serializer'

// Flink's KeyGroupRangeAssignment and MathUtils.murmurHash, in int32 arithmetic, so that a key
// lands in the same key group (and on the same operator index) as in a Flink job.

/** The largest allowed max parallelism (number of key groups): key groups fit 15 bits. */
export const UPPER_BOUND_MAX_PARALLELISM = 32768
/** The smallest max parallelism `defaultMaxParallelism` picks, to leave room to scale up. */
export const DEFAULT_LOWER_BOUND_MAX_PARALLELISM = 128

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max
}

/** Throws `RangeError` unless `maxParallelism` is an integer in [1, 32768]. */
export function checkMaxParallelism(maxParallelism: number): void {
  if (!isIntegerIn(maxParallelism, 1, UPPER_BOUND_MAX_PARALLELISM)) {
    throw new RangeError(`maxParallelism must be an integer in [1, ${UPPER_BOUND_MAX_PARALLELISM}], got ${maxParallelism}`)
  }
}

/** Throws `RangeError` unless `parallelism` is an integer in [1, maxParallelism] (maxParallelism checked too). */
export function checkParallelism(maxParallelism: number, parallelism: number): void {
  checkMaxParallelism(maxParallelism)
  if (!isIntegerIn(parallelism, 1, maxParallelism)) {
    throw new RangeError(`parallelism must be an integer in [1, maxParallelism = ${maxParallelism}], got ${parallelism}`)
  }
}

/** Flink's `MathUtils.murmurHash(int)`: Murmur3's mixing of one int, made non-negative. */
export function murmurHash(code: number): number {
  code = Math.imul(code, 0xcc9e2d51)
  code = (code << 15) | (code >>> 17)
  code = Math.imul(code, 0x1b873593)
  code = (code << 13) | (code >>> 19)
  code = (Math.imul(code, 5) + 0xe6546b64) | 0
  code ^= 4
  code ^= code >>> 16
  code = Math.imul(code, 0x85ebca6b)
  code ^= code >>> 13
  code = Math.imul(code, 0xc2b2ae35)
  code ^= code >>> 16
  // negate negatives; -2^31 has no positive twin in int32, Flink maps it to 0
  return code >= 0 ? code : code === -0x80000000 ? 0 : -code
}

/** The key group of a key whose (Java-semantics, int32) hash code is `keyHash`. */
export function computeKeyGroupForKeyHash(keyHash: number, maxParallelism: number): number {
  checkMaxParallelism(maxParallelism)
  return murmurHash(keyHash) % maxParallelism
}

/** The key group of `key`: `murmurHash(keySerializer.hashCode(key)) % maxParallelism`, as Flink. */
export function assignToKeyGroup<K>(key: K, maxParallelism: number, keySerializer: Serializer<K>): number {
  return computeKeyGroupForKeyHash(keySerializer.hashCode(key), maxParallelism)
}

/** The index of the operator (worker) that owns `keyGroup` at `parallelism`, as Flink. */
export function computeOperatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  checkParallelism(maxParallelism, parallelism)
  if (!isIntegerIn(keyGroup, 0, maxParallelism - 1)) {
    throw new RangeError(`keyGroup must be an integer in [0, ${maxParallelism - 1}], got ${keyGroup}`)
  }
  return Math.floor((keyGroup * parallelism) / maxParallelism)
}

/**
 * Flink's `computeDefaultMaxParallelism`: 1.5 × parallelism rounded up to a power of two,
 * clamped to [128, 32768]. Use it when no max parallelism was chosen: it cannot change later.
 */
export function defaultMaxParallelism(parallelism: number): number {
  checkParallelism(UPPER_BOUND_MAX_PARALLELISM, parallelism)
  const wanted = parallelism + Math.floor(parallelism / 2)
  const powerOfTwo = 1 << (32 - Math.clz32(wanted - 1))
  return Math.min(Math.max(powerOfTwo, DEFAULT_LOWER_BOUND_MAX_PARALLELISM), UPPER_BOUND_MAX_PARALLELISM)
}
