import { describe, expect, it } from 'vitest'
import { CorruptDataError } from '../../lib/errors'
import { keyGroupPrefixBytes, readKeyGroupPrefix, writeKeyGroupPrefix } from '../../lib/keygroups'

describe('key-group prefix', () => {
  it('is 1 byte up to 128 key groups, 2 bytes above', () => {
    expect(keyGroupPrefixBytes(1)).toBe(1)
    expect(keyGroupPrefixBytes(128)).toBe(1)
    expect(keyGroupPrefixBytes(129)).toBe(2)
    expect(keyGroupPrefixBytes(32768)).toBe(2)
    expect(() => keyGroupPrefixBytes(0)).toThrow(RangeError)
    expect(() => keyGroupPrefixBytes(32769)).toThrow(RangeError)
  })

  for (const maxParallelism of [128, 32768]) {
    const width = keyGroupPrefixBytes(maxParallelism)
    it(`round trips every key group of ${maxParallelism} in ${width} byte(s), big-endian, top bit 0, in key-group order`, () => {
      const buf = Buffer.alloc(width + 3, 0xaa)
      const wrong: number[] = []
      let previous: Buffer | undefined
      for (let keyGroup = 0; keyGroup < maxParallelism; keyGroup++) {
        const after = writeKeyGroupPrefix(keyGroup, width, buf, 2)
        const prefix = Buffer.from(buf.subarray(2, 2 + width))
        const ok =
          after === 2 + width &&
          readKeyGroupPrefix(buf, 2, width) === keyGroup &&
          (buf[2]! & 0x80) === 0 &&
          prefix.readUIntBE(0, width) === keyGroup &&
          // bytewise order (RocksDB's) is key-group order, so a key group is one contiguous key range
          (previous === undefined || Buffer.compare(previous, prefix) === -1)
        if (!ok) wrong.push(keyGroup)
        previous = prefix
      }
      expect(wrong).toEqual([])
      // bytes around the prefix are untouched: the write allocates nothing and stays in place
      expect([buf[0], buf[1], buf[2 + width]]).toEqual([0xaa, 0xaa, 0xaa])
    })
  }

  it('accepts any value the width holds (exclusive upper bounds such as end + 1)', () => {
    const buf = Buffer.alloc(2)
    writeKeyGroupPrefix(128, 1, buf, 0)
    expect(buf[0]).toBe(0x80)
    writeKeyGroupPrefix(32768, 2, buf, 0)
    expect([...buf]).toEqual([0x80, 0x00])
  })

  it('rejects values that do not fit and writes past the buffer', () => {
    const buf = Buffer.alloc(2)
    expect(() => writeKeyGroupPrefix(256, 1, buf, 0)).toThrow(RangeError)
    expect(() => writeKeyGroupPrefix(65536, 2, buf, 0)).toThrow(RangeError)
    expect(() => writeKeyGroupPrefix(-1, 2, buf, 0)).toThrow(RangeError)
    expect(() => writeKeyGroupPrefix(1.5, 2, buf, 0)).toThrow(RangeError)
    expect(() => writeKeyGroupPrefix(1, 2, buf, 1)).toThrow(/no room/)
    expect(() => writeKeyGroupPrefix(1, 1, buf, -1)).toThrow(/no room/)
  })

  it('reading a truncated prefix throws CorruptDataError', () => {
    expect(() => readKeyGroupPrefix(Buffer.alloc(1), 0, 2)).toThrow(CorruptDataError)
    expect(() => readKeyGroupPrefix(Buffer.alloc(0), 0, 1)).toThrow(CorruptDataError)
    expect(() => readKeyGroupPrefix(Buffer.alloc(2), 2, 1)).toThrow(/truncated key/)
  })
})
