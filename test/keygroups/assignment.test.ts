import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  assignToKeyGroup,
  checkMaxParallelism,
  computeKeyGroupForKeyHash,
  computeOperatorIndexForKeyGroup,
  defaultMaxParallelism,
  murmurHash,
} from '../../lib/keygroups'
import { Serializers as S, type Serializer } from '../../lib/serializers'
import { doubleFromBits, golden, type GoldenKey } from '../fixtures/keygroup-golden'

/** Checks every golden key of one kind: murmur hash and key group per max parallelism (hashes: test/serializers). */
function checkGoldenKeys<J, K>(entries: GoldenKey<J>[], serializer: Serializer<K>, decode: (key: J) => K): number {
  let checked = 0
  for (const entry of entries) {
    const key = decode(entry.key)
    const context = `${serializer.id} key ${JSON.stringify(entry.key)}`
    expect(murmurHash(entry.hash), context).toBe(entry.murmur)
    golden.maxParallelisms.forEach((maxParallelism, i) => {
      expect(assignToKeyGroup(key, maxParallelism, serializer), `${context} at maxParallelism ${maxParallelism}`).toBe(entry.keyGroups[i])
      checked++
    })
  }
  return checked
}

// Each golden test asserts how many vectors it checked (keys × the 6 max parallelisms): an emptied
// or truncated fixture fails instead of passing with nothing checked.
describe('key-group assignment matches the JDK and Flink (golden vectors)', () => {
  it('has at least 1,000 string, int and long keys', () => {
    expect(golden.strings.length + golden.ints.length + golden.longs.length).toBeGreaterThanOrEqual(1000)
    expect(golden.maxParallelisms).toEqual([1, 7, 128, 129, 1000, 32768])
  })

  it('string keys (UTF-16 hashCode: non-ASCII, surrogate pairs, empty)', () => {
    expect(checkGoldenKeys(golden.strings, S.string, (k) => k)).toBe(1200 * 6)
  })

  it('int32 keys', () => {
    expect(checkGoldenKeys(golden.ints, S.int32, (k) => k)).toBe(600 * 6)
  })

  it('int64 keys', () => {
    expect(checkGoldenKeys(golden.longs, S.int64, (k) => BigInt(k))).toBe(600 * 6)
  })

  it('float64 keys (NaN, -0, infinities)', () => {
    expect(checkGoldenKeys(golden.doubles, S.float64, doubleFromBits)).toBe(200 * 6)
  })

  it('boolean keys', () => {
    expect(checkGoldenKeys(golden.booleans, S.boolean, (k) => k)).toBe(2 * 6)
  })

  it('bytes keys (Arrays.hashCode)', () => {
    expect(checkGoldenKeys(golden.bytes, S.bytes, (k) => Buffer.from(k, 'hex'))).toBe(200 * 6)
  })

  it("murmurHash maps the one input whose mix is Integer.MIN_VALUE to 0 (Flink's special case)", () => {
    expect(murmurHash(golden.murmurMinValueInput)).toBe(0)
  })

  it('computeOperatorIndexForKeyGroup', () => {
    let checked = 0
    for (const { maxParallelism, parallelism, keyGroups, operatorIndexes } of golden.operatorIndexes) {
      keyGroups.forEach((keyGroup, i) => {
        expect(computeOperatorIndexForKeyGroup(maxParallelism, parallelism, keyGroup)).toBe(operatorIndexes[i])
        checked++
      })
    }
    expect(checked).toBe(1942)
  })

  it('defaultMaxParallelism', () => {
    expect(golden.defaultMaxParallelism).toHaveLength(23)
    for (const [parallelism, expected] of golden.defaultMaxParallelism) {
      expect(defaultMaxParallelism(parallelism), `parallelism ${parallelism}`).toBe(expected)
    }
  })
})

describe('key-group assignment', () => {
  it('always yields a key group in [0, maxParallelism) and a non-negative murmur hash', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 32768 }), (hash, maxParallelism) => {
        expect(murmurHash(hash)).toBeGreaterThanOrEqual(0)
        const keyGroup = computeKeyGroupForKeyHash(hash, maxParallelism)
        expect(Number.isInteger(keyGroup) && keyGroup >= 0 && keyGroup < maxParallelism).toBe(true)
      }),
    )
  })

  it('uses the key serializer’s hashCode (a serializer may override it)', () => {
    const constantHash: Serializer<string> = { ...S.string, hashCode: () => 42 }
    expect(assignToKeyGroup('anything', 128, constantHash)).toBe(murmurHash(42) % 128)
  })

  it('rejects max parallelisms outside 1..32768', () => {
    for (const bad of [0, -1, 32769, 1.5, Number.NaN, Infinity]) {
      expect(() => checkMaxParallelism(bad)).toThrow(RangeError)
      expect(() => assignToKeyGroup('k', bad, S.string)).toThrow(/maxParallelism must be an integer in \[1, 32768\]/)
    }
    expect(() => checkMaxParallelism(1)).not.toThrow()
    expect(() => checkMaxParallelism(32768)).not.toThrow()
  })

  it('rejects bad parallelisms and key groups in computeOperatorIndexForKeyGroup', () => {
    expect(() => computeOperatorIndexForKeyGroup(128, 0, 0)).toThrow(RangeError)
    expect(() => computeOperatorIndexForKeyGroup(128, 129, 0)).toThrow(/parallelism must be an integer in \[1, maxParallelism = 128\]/)
    expect(() => computeOperatorIndexForKeyGroup(128, 4, 128)).toThrow(/keyGroup must be an integer in \[0, 127\]/)
    expect(() => computeOperatorIndexForKeyGroup(128, 4, -1)).toThrow(RangeError)
    expect(() => defaultMaxParallelism(0)).toThrow(RangeError)
    expect(() => defaultMaxParallelism(32769)).toThrow(RangeError)
  })
})
