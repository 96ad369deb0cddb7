import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptDataError } from '../../lib/errors'
import { CompositeKeyBuilder, CompositeKeyParser, isAmbiguousKeyPossible, type KeyGroupPrefixBytes } from '../../lib/keygroups'
import { Serializers as S, type Serializer } from '../../lib/serializers'

/** A serializer and values for it from a small domain, so that generated tuples often nearly collide. */
interface Kind {
  name: string
  serializer: Serializer<unknown>
  values: fc.Arbitrary<unknown>
}

const tinyString = fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '\u0001', ',', '\u00e9', '\u{1f600}'), maxLength: 4 })
const tinyBytes = fc.uint8Array({ min: 0, max: 3, maxLength: 4 }).map((a) => Buffer.from(a))

const keyKinds: Kind[] = [
  { name: 'int32 (fixed)', serializer: S.int32, values: fc.constantFrom(0, 1, -1, 0x2c, 256, 0x01020304) },
  { name: 'string (variable)', serializer: S.string, values: tinyString },
  { name: 'bytes (variable)', serializer: S.bytes, values: tinyBytes },
  { name: 'tuple(string,int32) (variable)', serializer: S.tuple(S.string, S.int32), values: fc.tuple(tinyString, fc.constantFrom(0, 1)) },
]
const namespaceKinds: Kind[] = [
  { name: 'void (fixed, 0 bytes)', serializer: S.void, values: fc.constant(undefined) },
  { name: 'int64 (fixed)', serializer: S.int64, values: fc.bigInt({ min: -2n, max: 2n }) },
  { name: 'string (variable)', serializer: S.string, values: tinyString },
  { name: 'bytes (variable)', serializer: S.bytes, values: tinyBytes },
]
const userKeyKinds: (Kind | undefined)[] = [
  undefined,
  { name: 'int32 (fixed)', serializer: S.int32, values: fc.constantFrom(0, 1, 2) },
  { name: 'string (variable)', serializer: S.string, values: tinyString },
]
const keyGroupsFor: Record<KeyGroupPrefixBytes, fc.Arbitrary<number>> = {
  1: fc.constantFrom(0, 1, 2, 127),
  2: fc.constantFrom(0, 1, 255, 256, 32767),
}

interface Entry {
  keyGroup: number
  key: unknown
  namespace: unknown
  userKey: unknown
}

/** A string that is equal for equal tuples and distinct for distinct ones. */
const identity = (...parts: unknown[]): string =>
  JSON.stringify(parts, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v === undefined ? '<void>' : v))

const copy = (view: Buffer): Buffer => Buffer.from(view)

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix)
}

for (const prefixBytes of [1, 2] as const) {
  for (const keyKind of keyKinds) {
    for (const namespaceKind of namespaceKinds) {
      for (const userKeyKind of userKeyKinds) {
        const layout = `prefix ${prefixBytes} B | key ${keyKind.name} | namespace ${namespaceKind.name}${userKeyKind ? ` | user key ${userKeyKind.name}` : ''}`
        describe(`composite keys: ${layout}`, () => {
          const builder = new CompositeKeyBuilder(keyKind.serializer, prefixBytes)
          const parser = new CompositeKeyParser(keyKind.serializer, namespaceKind.serializer, prefixBytes, userKeyKind?.serializer)
          const entry: fc.Arbitrary<Entry> = fc.record({
            keyGroup: keyGroupsFor[prefixBytes],
            key: keyKind.values,
            namespace: namespaceKind.values,
            userKey: userKeyKind ? userKeyKind.values : fc.constant(undefined),
          })

          /** Builds the full key of an entry and the key without its user key (map state's prefix). */
          function build(e: Entry): { full: Buffer; withoutUserKey: Buffer } {
            builder.setKeyAndKeyGroup(e.key, e.keyGroup)
            const withoutUserKey = copy(builder.buildCompositeKeyNamespace(e.namespace, namespaceKind.serializer))
            if (!userKeyKind) return { full: withoutUserKey, withoutUserKey }
            const full = copy(builder.buildCompositeKeyUserKey(e.userKey, userKeyKind.serializer))
            builder.setKeyAndKeyGroup(e.key, e.keyGroup)
            const direct = builder.buildCompositeKeyNamespaceUserKey(e.namespace, namespaceKind.serializer, e.userKey, userKeyKind.serializer)
            expect(direct.equals(full)).toBe(true)
            return { full, withoutUserKey }
          }

          it('the parser inverts the builder', () => {
            fc.assert(
              fc.property(entry, (e) => {
                parser.parse(build(e).full)
                expect(parser.keyGroup).toBe(e.keyGroup)
                expect(parser.key).toEqual(e.key)
                expect(parser.namespace).toEqual(e.namespace)
                expect(parser.userKey).toEqual(e.userKey)
              }),
              { numRuns: 60 },
            )
          })

          it('distinct tuples never share bytes, and no key-namespace prefix reaches into another tuple', () => {
            fc.assert(
              fc.property(fc.array(entry, { minLength: 2, maxLength: 25 }), (entries) => {
                const built = entries.map((e) => ({
                  tuple: identity(e.keyGroup, e.key, e.namespace, e.userKey),
                  keyAndNamespace: identity(e.keyGroup, e.key, e.namespace),
                  ...build(e),
                }))
                const violations: string[] = []
                for (const a of built) {
                  for (const b of built) {
                    if (a.full.equals(b.full) !== (a.tuple === b.tuple)) violations.push(`${a.tuple} vs ${b.tuple}`)
                    // map state scans a (key, namespace) by this prefix: it must not match other keys/namespaces
                    if (startsWith(b.full, a.withoutUserKey) !== (a.keyAndNamespace === b.keyAndNamespace)) {
                      violations.push(`prefix of ${a.keyAndNamespace} in ${b.tuple}`)
                    }
                  }
                }
                expect(violations).toEqual([])
              }),
              { numRuns: 40 },
            )
          })
        })
      }
    }
  }
}

describe('composite key layout', () => {
  it('appends key and namespace lengths only when both serializers are variable-length', () => {
    expect(isAmbiguousKeyPossible(S.string, S.string)).toBe(true)
    expect(isAmbiguousKeyPossible(S.string, S.void)).toBe(false)
    expect(isAmbiguousKeyPossible(S.int64, S.string)).toBe(false)

    const strings = new CompositeKeyBuilder(S.string, 1)
    strings.setKeyAndKeyGroup('a', 5)
    // prefix 5 | key (varint 1, 'a') | key length 2 | namespace (varint 2, 'b', 'c') | namespace length 3
    expect([...strings.buildCompositeKeyNamespace('bc', S.string)]).toEqual([5, 1, 0x61, 2, 2, 0x62, 0x63, 3])
    // a fixed-length namespace: no lengths
    expect([...strings.buildCompositeKeyNamespace(7, S.int32)]).toEqual([5, 1, 0x61, 0, 0, 0, 7])
    expect([...strings.buildCompositeKeyNamespace(undefined, S.void)]).toEqual([5, 1, 0x61])

    const ints = new CompositeKeyBuilder(S.int32, 2)
    ints.setKeyAndKeyGroup(-1, 0x1234)
    expect([...ints.buildCompositeKeyNamespace('x', S.string)]).toEqual([0x12, 0x34, 0xff, 0xff, 0xff, 0xff, 1, 0x78])
    expect([...ints.buildCompositeKeyNamespaceUserKey('x', S.string, 'y', S.string)]).toEqual([0x12, 0x34, 0xff, 0xff, 0xff, 0xff, 1, 0x78, 1, 0x79])
  })

  it('writes lengths of 256 bytes and more in several little-endian bytes', () => {
    const builder = new CompositeKeyBuilder(S.string, 2)
    const key = 'k'.repeat(300) // 2-byte varint + 300 bytes = 302 = 0x012e
    builder.setKeyAndKeyGroup(key, 1)
    const bytes = builder.buildCompositeKeyNamespace('', S.string)
    expect([...bytes.subarray(2 + 302, 2 + 302 + 2)]).toEqual([0x2e, 0x01])
    expect([...bytes.subarray(2 + 302 + 2)]).toEqual([0, 1]) // empty namespace: varint 0, its length 1
    const parser = new CompositeKeyParser(S.string, S.string, 2)
    parser.parse(bytes)
    expect([parser.keyGroup, parser.key, parser.namespace]).toEqual([1, key, ''])
  })

  it('reuses one buffer across builds (returned keys are views, valid until the next call)', () => {
    const builder = new CompositeKeyBuilder(S.string, 1)
    builder.setKeyAndKeyGroup('some-key', 3)
    const first = builder.buildCompositeKeyNamespace('ns-1', S.string)
    const saved = copy(first)
    const second = builder.buildCompositeKeyNamespace('ns-2', S.string)
    expect(second.buffer).toBe(first.buffer)
    expect(first.equals(saved)).toBe(false) // overwritten in place
    builder.setKeyAndKeyGroup('x'.repeat(1000), 3) // grows once
    expect(builder.buildCompositeKeyNamespace('ns', S.string).length).toBeGreaterThan(1000)
  })
})

describe('composite key errors', () => {
  const builder = new CompositeKeyBuilder(S.string, 1)
  builder.setKeyAndKeyGroup('key', 9)
  const full = copy(builder.buildCompositeKeyNamespaceUserKey('ns', S.string, 12, S.int32))
  const parser = new CompositeKeyParser(S.string, S.string, 1, S.int32)

  it('every truncation of a composite key is a CorruptDataError', () => {
    for (let length = 0; length < full.length; length++) {
      expect(() => parser.parse(full.subarray(0, length)), `length ${length}`).toThrow(CorruptDataError)
    }
  })

  it('trailing bytes and wrong lengths are CorruptDataErrors', () => {
    expect(() => parser.parse(Buffer.concat([full, Buffer.from([0])]))).toThrow(/trailing byte/)
    const wrongKeyLength = copy(full)
    wrongKeyLength[1 + 4] = 9 // the key length after 1 + 3 key bytes
    expect(() => parser.parse(wrongKeyLength)).toThrow(/key length/)
    // the same bytes read without user key: 4 trailing bytes
    expect(() => new CompositeKeyParser(S.string, S.string, 1).parse(full)).toThrow(CorruptDataError)
  })

  it('builder misuse is reported', () => {
    const fresh = new CompositeKeyBuilder(S.string, 2)
    expect(() => fresh.buildCompositeKeyNamespace('ns', S.string)).toThrow(/setKeyAndKeyGroup/)
    fresh.setKeyAndKeyGroup('k', 1)
    expect(() => fresh.buildCompositeKeyUserKey(1, S.int32)).toThrow(/no namespace/)
    expect(() => fresh.setKeyAndKeyGroup(42 as unknown as string, 1)).toThrow(TypeError)
    // a failed key write leaves no current key, rather than a half-written one
    expect(() => fresh.buildCompositeKeyNamespace('ns', S.string)).toThrow(/setKeyAndKeyGroup/)
    expect(() => fresh.setKeyAndKeyGroup('k', 65536)).toThrow(RangeError)
    expect(() => new CompositeKeyBuilder(S.string, 3 as KeyGroupPrefixBytes)).toThrow(RangeError)
  })
})
