import { describe, expect, it } from 'vitest'
import { Serializers as S, stringHashCode, type Serializer } from '../../lib/serializers'
import { doubleFromBits, golden, type GoldenKey } from '../fixtures/keygroup-golden'

function expectJavaHashes<J, K>(entries: GoldenKey<J>[], serializer: Serializer<K>, decode: (key: J) => K): void {
  const wrong = entries.filter((e) => serializer.hashCode(decode(e.key)) !== e.hash).map((e) => e.key)
  expect(wrong).toEqual([])
  expect(entries.length).toBeGreaterThan(1)
}

describe('hashCode matches the JDK (golden vectors)', () => {
  it('string: String.hashCode over UTF-16 code units', () => expectJavaHashes(golden.strings, S.string, (k) => k))
  it('int32: Integer.hashCode', () => expectJavaHashes(golden.ints, S.int32, (k) => k))
  it('int64: Long.hashCode', () => expectJavaHashes(golden.longs, S.int64, (k) => BigInt(k)))
  it('float64: Double.hashCode (NaN, -0.0, infinities)', () => expectJavaHashes(golden.doubles, S.float64, doubleFromBits))
  it('boolean: Boolean.hashCode', () => expectJavaHashes(golden.booleans, S.boolean, (k) => k))
  it('bytes: Arrays.hashCode(byte[])', () => expectJavaHashes(golden.bytes, S.bytes, (k) => Buffer.from(k, 'hex')))
})

describe('hashCode of the other serializers', () => {
  it('float64 hashes every NaN alike and -0 apart from 0, as Java', () => {
    const otherNaN = Buffer.from('7ff0000000000001', 'hex').readDoubleBE(0)
    expect(S.float64.hashCode(otherNaN)).toBe(S.float64.hashCode(Number.NaN))
    expect(S.float64.hashCode(-0)).not.toBe(S.float64.hashCode(0))
  })

  it("tuple and struct combine field hashes like Flink's Tuple.hashCode (31 * h + field)", () => {
    const [a, b] = [S.string.hashCode('a'), S.int64.hashCode(1n << 40n)]
    expect(S.tuple(S.string, S.int64).hashCode(['a', 1n << 40n])).toBe((Math.imul(31, a) + b) | 0)
    expect(S.struct({ x: S.string, y: S.int64 }).hashCode({ x: 'a', y: 1n << 40n })).toBe((Math.imul(31, a) + b) | 0)
    expect(S.tuple(S.string).hashCode(['a'])).toBe(a)
  })

  it('json hashes its JSON text; void hashes to 0', () => {
    expect(S.json.hashCode({ a: [1, 'x'] })).toBe(stringHashCode('{"a":[1,"x"]}'))
    expect(S.void.hashCode(undefined)).toBe(0)
  })
})
