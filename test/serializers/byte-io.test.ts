import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptDataError } from '../../lib/errors'
import { ByteReader, ByteWriter } from '../../lib/serializers'

describe('ByteWriter', () => {
  it('grows, keeping what was written, and reuses its buffer after reset', () => {
    const out = new ByteWriter(16)
    for (let i = 0; i < 100; i++) {
      const at = out.reserve(1)
      out.buf[at] = i
    }
    expect([...out.view()]).toEqual(Array.from({ length: 100 }, (_, i) => i))
    const grown = out.buf
    out.reset()
    expect(out.view().length).toBe(0)
    out.reserve(50)
    expect(out.buf).toBe(grown)
  })

  it('hands out one view object while the length and buffer stay the same', () => {
    const out = new ByteWriter(16)
    out.reserve(4)
    const first = out.view()
    out.reset()
    out.reserve(4)
    expect(out.view()).toBe(first)
    out.reserve(1)
    const longer = out.view()
    expect(longer).not.toBe(first)
    expect(longer.length).toBe(5)
    out.ensure(100) // same length, but a new buffer: a new view
    expect(out.view()).not.toBe(longer)
    expect(out.view().length).toBe(5)
  })

  it('writes LEB128 varints', () => {
    const vectors: [number, number[]][] = [
      [0, [0]],
      [1, [1]],
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [300, [0xac, 0x02]],
      [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x08]],
      [2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ]
    for (const [value, bytes] of vectors) {
      const out = new ByteWriter()
      out.writeVarUint(value)
      expect([...out.view()], String(value)).toEqual(bytes)
      expect(new ByteReader(out.view()).readVarUint()).toBe(value)
    }
  })

  it('varints round trip', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 })), (values) => {
        const out = new ByteWriter(1)
        for (const v of values) out.writeVarUint(v)
        const input = new ByteReader(out.view())
        expect(values.map(() => input.readVarUint())).toEqual(values)
        expect(input.remaining).toBe(0)
      }),
    )
  })
})

describe('ByteReader', () => {
  it('take() stays within [pos, end) and reports truncation clearly', () => {
    const input = new ByteReader(Buffer.from([1, 2, 3, 4, 5]), 1, 4)
    expect(input.take(2)).toBe(1)
    expect(input.remaining).toBe(1)
    expect(() => input.take(2)).toThrow(new CorruptDataError('truncated input: needs 2 byte(s) at offset 3, only 1 left'))
    expect(input.take(1)).toBe(3)
    expect(() => input.take(1)).toThrow(CorruptDataError)
  })

  it('rejects malformed varints', () => {
    const read = (bytes: number[]) => () => new ByteReader(Buffer.from(bytes)).readVarUint()
    expect(read([])).toThrow(CorruptDataError) // empty
    expect(read([0x80])).toThrow(/truncated input/) // continuation, then nothing
    expect(read([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toThrow(/malformed varint/) // more than 5 bytes
    expect(read([0xff, 0xff, 0xff, 0xff, 0x1f])).toThrow(/malformed varint/) // above 2^32 - 1
  })

  it('reset() reuses one reader for many buffers, within their bounds', () => {
    const input = new ByteReader()
    expect(input.remaining).toBe(0)
    expect(input.reset(Buffer.from([7, 8]), 1).take(1)).toBe(1)
    expect(input.remaining).toBe(0)
    expect(() => input.reset(Buffer.alloc(2), 0, 3)).toThrow(RangeError)
    expect(() => new ByteReader(Buffer.alloc(2), 2, 1)).toThrow(RangeError)
    expect(() => new ByteReader(Buffer.alloc(2), -1)).toThrow(RangeError)
  })
})
