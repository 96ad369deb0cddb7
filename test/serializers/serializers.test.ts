import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptDataError } from '../../lib/errors'
import { ByteReader, ByteWriter, deserialize, serialize, Serializers as S, type Serializer } from '../../lib/serializers'

interface Case {
  serializer: Serializer<unknown>
  values: fc.Arbitrary<unknown>
  /** What a value reads back as, when that differs from the value (json). */
  expected?: (value: unknown) => unknown
}

const anyString = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', minLength: 40, maxLength: 400 }))
const anyBytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))

const cases: Case[] = [
  { serializer: S.string, values: anyString },
  { serializer: S.int32, values: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  { serializer: S.int64, values: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) },
  { serializer: S.float64, values: fc.double() },
  { serializer: S.boolean, values: fc.boolean() },
  { serializer: S.bytes, values: anyBytes },
  { serializer: S.json, values: fc.jsonValue(), expected: (v) => JSON.parse(JSON.stringify(v)) },
  { serializer: S.void, values: fc.constant(undefined) },
  { serializer: S.tuple(S.string, S.int64, S.boolean), values: fc.tuple(anyString, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.boolean()) },
  { serializer: S.tuple(S.int32, S.float64), values: fc.tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double()) },
  {
    serializer: S.struct({ name: S.string, count: S.int32, extra: S.tuple(S.bytes, S.void) }),
    values: fc.record({ name: anyString, count: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), extra: fc.tuple(anyBytes, fc.constant(undefined)) }),
  },
]

/** Elements joined by ',' (0x2C), as RocksDB's string-append merge joins list-state elements. */
function joinList(serializer: Serializer<unknown>, values: unknown[]): Buffer {
  const out = new ByteWriter(8)
  values.forEach((value, i) => {
    if (i > 0) {
      const at = out.reserve(1) // before reading out.buf: reserving may replace it
      out.buf[at] = 0x2c
    }
    serializer.write(value, out)
  })
  return out.view()
}

/** Reads a merged list value back: element, then either the end or a ',' and the next element. */
function splitList(serializer: Serializer<unknown>, merged: Buffer): unknown[] {
  const input = new ByteReader(merged)
  const values: unknown[] = []
  while (input.remaining > 0) {
    values.push(serializer.read(input))
    if (input.remaining > 0 && input.buf[input.take(1)] !== 0x2c) throw new Error('expected the , delimiter')
  }
  return values
}

describe.each(cases)('serializer $serializer.id', ({ serializer, values, expected = (v) => v }) => {
  it('round trips, canonically, with a consistent hashCode and its fixed length', () => {
    fc.assert(
      fc.property(values, (value) => {
        const bytes = serialize(serializer, value)
        const back = deserialize(serializer, bytes)
        expect(back).toEqual(expected(value))
        expect(serialize(serializer, back).equals(bytes)).toBe(true)
        expect(serializer.hashCode(back)).toBe(serializer.hashCode(value))
        if (serializer.fixedLength !== undefined) expect(bytes.length).toBe(serializer.fixedLength)
      }),
    )
  })

  it('throws CorruptDataError for every truncation, never reading past the end', () => {
    fc.assert(
      fc.property(values, (value) => {
        const bytes = serialize(serializer, value)
        // the truncated bytes sit inside a larger buffer: a reader bounded only by the buffer would go on reading
        const padded = Buffer.concat([bytes, Buffer.alloc(16, 0x01)])
        const silent: number[] = []
        for (let length = 0; length < bytes.length; length++) {
          try {
            serializer.read(new ByteReader(padded, 0, length))
            silent.push(length)
          } catch (err) {
            if (!(err instanceof CorruptDataError)) throw err
          }
        }
        expect(silent).toEqual([])
      }),
      { numRuns: 40 },
    )
  })
})

// a zero-byte element type cannot mark a list's length; void is a namespace, never a list element
describe.each(cases.filter((c) => c.serializer.fixedLength !== 0))('list state of $serializer.id', ({ serializer, values, expected = (v) => v }) => {
  it('is self-delimiting: list elements joined by "," split back exactly', () => {
    fc.assert(
      fc.property(fc.array(values, { maxLength: 8 }), (list) => {
        expect(splitList(serializer, joinList(serializer, list))).toEqual(list.map(expected))
      }),
      { numRuns: 50 },
    )
  })
})

describe('built-in ids and lengths', () => {
  it('have stable ids for snapshot metadata', () => {
    expect([S.string, S.int32, S.int64, S.float64, S.boolean, S.bytes, S.json, S.void].map((s) => s.id)).toEqual([
      'string', 'int32', 'int64', 'float64', 'boolean', 'bytes', 'json', 'void',
    ])
    expect(S.tuple(S.string, S.int32).id).toBe('tuple(string,int32)')
    expect(S.tuple(S.tuple(S.int64), S.bytes).id).toBe('tuple(tuple(int64),bytes)')
    expect(S.struct({ a: S.string, b_2: S.int32 }).id).toBe('struct(a:string,b_2:int32)')
    expect(S.struct({ 'odd name': S.boolean, 'x,y': S.int64 }).id).toBe('struct("odd name":boolean,"x,y":int64)')
  })

  it('know their fixed length, or that they have none', () => {
    expect([S.int32, S.int64, S.float64, S.boolean, S.void].map((s) => s.fixedLength)).toEqual([4, 8, 8, 1, 0])
    expect([S.string, S.bytes, S.json].map((s) => s.fixedLength)).toEqual([undefined, undefined, undefined])
    expect(S.tuple(S.int32, S.int64, S.void).fixedLength).toBe(12)
    expect(S.tuple(S.int32, S.string).fixedLength).toBeUndefined()
    expect(S.struct({ a: S.float64, b: S.boolean }).fixedLength).toBe(9)
  })
})

describe('encodings', () => {
  it('are big-endian and length-prefixed as documented', () => {
    expect([...serialize(S.int32, -2)]).toEqual([0xff, 0xff, 0xff, 0xfe])
    expect([...serialize(S.int64, 258n)]).toEqual([0, 0, 0, 0, 0, 0, 1, 2])
    expect([...serialize(S.float64, 1)]).toEqual([0x3f, 0xf0, 0, 0, 0, 0, 0, 0])
    expect([...serialize(S.boolean, true)]).toEqual([1])
    expect([...serialize(S.string, 'h\u00e9')]).toEqual([3, 0x68, 0xc3, 0xa9])
    expect([...serialize(S.bytes, new Uint8Array([9, 8]))]).toEqual([2, 9, 8])
    expect(serialize(S.json, { a: 1 }).toString('latin1')).toBe('\u0007{"a":1}')
    expect(serialize(S.void, undefined).length).toBe(0)
  })

  it('writes every NaN as the canonical NaN (equal values, equal bytes)', () => {
    const payloadNaN = Buffer.from('7ff8dead00000001', 'hex').readDoubleBE(0)
    expect(serialize(S.float64, payloadNaN).toString('hex')).toBe('7ff8000000000000')
    expect(serialize(S.float64, -0).toString('hex')).toBe('8000000000000000')
  })

  it('takes a 2-byte varint length from 128 bytes on, also for short strings of multi-byte characters', () => {
    const text = '\u{1f600}'.repeat(32) // 64 UTF-16 units, 128 UTF-8 bytes
    expect([...serialize(S.string, text).subarray(0, 2)]).toEqual([0x80, 0x01])
    expect(deserialize(S.string, serialize(S.string, text))).toBe(text)
    expect([...serialize(S.string, 'a'.repeat(127)).subarray(0, 1)]).toEqual([127])
  })

  it('reads bytes as a copy, independent of the buffer read from', () => {
    const source = serialize(S.bytes, Buffer.from([1, 2, 3]))
    const value = deserialize(S.bytes, source) as Buffer
    source.fill(0)
    expect([...value]).toEqual([1, 2, 3])
  })
})

describe('invalid values are refused on write', () => {
  const refuse = (serializer: Serializer<unknown>, value: unknown, error: typeof TypeError | typeof RangeError = TypeError) =>
    expect(() => serialize(serializer, value), `${serializer.id} ${String(value)}`).toThrow(error)

  it('with a TypeError naming the serializer and the value', () => {
    for (const bad of [1.5, Number.NaN, 2 ** 31, -(2 ** 31) - 1, '1', undefined, 1n]) refuse(S.int32, bad)
    for (const bad of [1, '1', undefined]) refuse(S.int64, bad)
    for (const bad of ['1', 1n, null]) refuse(S.float64, bad)
    for (const bad of [0, 'true', null]) refuse(S.boolean, bad)
    for (const bad of [5, null, ['a']]) refuse(S.string, bad)
    for (const bad of [[1, 2], 'ab', null]) refuse(S.bytes, bad)
    for (const bad of [undefined, () => 1, Symbol('s'), 1n]) refuse(S.json, bad)
    for (const bad of [null, 0, '']) refuse(S.void, bad)
    for (const bad of [['a'], ['a', 1, 2], 'a1', null]) refuse(S.tuple(S.string, S.int32), bad)
    for (const bad of [null, 'x', 5]) refuse(S.struct({ a: S.int32 }), bad)
    refuse(S.struct({ a: S.int32 }), { a: 'not an int' })
    expect(() => serialize(S.int32, 1.5)).toThrow("serializer 'int32' expects an integer in [-2^31, 2^31), got number 1.5")
  })

  it('int64 outside [-2^63, 2^63) is a RangeError', () => {
    refuse(S.int64, 2n ** 63n, RangeError)
    refuse(S.int64, -(2n ** 63n) - 1n, RangeError)
  })

  it('strings with a lone surrogate, which UTF-8 cannot hold', () => {
    for (const bad of ['\ud800', 'a\udc00', '\udbffx', '\ud83d\ude00\ud83d']) refuse(S.string, bad)
    expect(() => serialize(S.string, '\ud800')).toThrow(/lone surrogates/)
  })

  it("struct fields named '__proto__'", () => {
    // a computed key makes an own '__proto__' property (a plain one would set the prototype)
    expect(() => S.struct({ ['__proto__']: S.int32 })).toThrow("struct field name '__proto__' is not supported")
  })
})

describe('corrupt bytes are a CorruptDataError', () => {
  it('invalid boolean bytes', () => {
    expect(() => deserialize(S.boolean, Buffer.from([2]))).toThrow(CorruptDataError)
    expect(() => deserialize(S.boolean, Buffer.from([0xff]))).toThrow('invalid boolean byte 0xff at offset 0')
  })

  it('invalid JSON text', () => {
    expect(() => deserialize(S.json, Buffer.from('\u0003{a}', 'latin1'))).toThrow(/invalid JSON at offset 0/)
  })

  it('trailing bytes after a whole value', () => {
    expect(() => deserialize(S.int32, Buffer.alloc(5))).toThrow("1 trailing byte(s) after a 'int32' value")
  })

  it('a length running past the end, without allocating for it', () => {
    const bogus = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]) // claims 4 GiB
    expect(() => deserialize(S.bytes, bogus)).toThrow(/truncated input: needs 4294967295 byte\(s\) at offset 5, only 2 left/)
    expect(() => deserialize(S.string, bogus)).toThrow(CorruptDataError)
  })
})
