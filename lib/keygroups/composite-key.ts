import { CorruptDataError } from '../errors'
import { ByteReader } from '../serializers/byte-reader'
import { ByteWriter } from '../serializers/byte-writer'
import type { Serializer } from '../serializers/serializer'
import { readKeyGroupPrefix, writeKeyGroupPrefix, type KeyGroupPrefixBytes } from './key-group-prefix'

/*
 * The RocksDB key of a keyed-state entry:
 *
 *   key-group prefix | key [| key length] | namespace [| namespace length] [| user key]
 *
 * The lengths are there only when key and namespace serializers are both variable-length, as in
 * the original (`ambiguousKeyPossible`), which added them so that ("a", "bc") and ("ab", "c") do not
 * alias. Our serializers are self-delimiting, which already rules that out; the lengths keep the
 * original's layout and let the parser check each part's size. Each length is the byte count of
 * the part before it, little-endian in as few bytes as it needs (at least one), as Flink's
 * `writeVariableIntBytes`. Map state appends the user key.
 */

/** Whether composite keys of this key and namespace serializer carry the two lengths. */
export function isAmbiguousKeyPossible(keySerializer: Serializer<unknown>, namespaceSerializer: Serializer<unknown>): boolean {
  return keySerializer.fixedLength === undefined && namespaceSerializer.fixedLength === undefined
}

function checkPrefixBytes(prefixBytes: number): void {
  if (prefixBytes !== 1 && prefixBytes !== 2) throw new RangeError(`keyGroupPrefixBytes must be 1 or 2, got ${prefixBytes}`)
}

function writeLength(length: number, out: ByteWriter): void {
  do {
    const at = out.reserve(1)
    out.buf[at] = length & 0xff
    length >>>= 8
  } while (length !== 0)
}

/** Consumes the length written after a part of `length` bytes, checking that it matches. */
export function readLength(length: number, input: ByteReader, part: string): void {
  const expected = length
  do {
    const at = input.take(1)
    if (input.buf[at] !== (length & 0xff)) {
      throw new CorruptDataError(`composite key: the ${part} length after ${expected} ${part} byte(s) does not match (offset ${at})`)
    }
    length >>>= 8
  } while (length !== 0)
}

/**
 * Builds composite keys into one reusable buffer: the key-group prefix and key are written once
 * per current key (`setKeyAndKeyGroup`), then each `build*` call rewrites only what follows.
 * Every returned `Buffer` is a view of the builder's buffer, valid until the next call on the
 * builder: pass it straight to RocksDB (which copies) or copy it.
 */
export class CompositeKeyBuilder<K> {
  private readonly out: ByteWriter
  /** End of `prefix | key`; -1 while no key is set. */
  private afterKey = -1
  /** End of the namespace part (with its length); -1 while no namespace is written for this key. */
  private afterNamespace = -1

  constructor(
    readonly keySerializer: Serializer<K>,
    readonly keyGroupPrefixBytes: KeyGroupPrefixBytes,
    initialCapacity = 128,
  ) {
    checkPrefixBytes(keyGroupPrefixBytes)
    this.out = new ByteWriter(initialCapacity)
  }

  /** Sets the current key and its key group (from `assignToKeyGroup`). */
  setKeyAndKeyGroup(key: K, keyGroup: number): void {
    const out = this.out
    this.afterKey = -1
    this.afterNamespace = -1
    out.reset()
    const at = out.reserve(this.keyGroupPrefixBytes)
    writeKeyGroupPrefix(keyGroup, this.keyGroupPrefixBytes, out.buf, at)
    this.keySerializer.write(key, out)
    this.afterKey = out.pos
  }

  /** `prefix | key | namespace`: the RocksDB key of value/list/reducing state, the prefix of map state. */
  buildCompositeKeyNamespace<N>(namespace: N, namespaceSerializer: Serializer<N>): Buffer {
    this.writeNamespace(namespace, namespaceSerializer)
    return this.out.view()
  }

  /** `prefix | key | namespace | user key`: the RocksDB key of one map-state entry. */
  buildCompositeKeyNamespaceUserKey<N, UK>(
    namespace: N,
    namespaceSerializer: Serializer<N>,
    userKey: UK,
    userKeySerializer: Serializer<UK>,
  ): Buffer {
    this.writeNamespace(namespace, namespaceSerializer)
    userKeySerializer.write(userKey, this.out)
    return this.out.view()
  }

  /** Like `buildCompositeKeyNamespaceUserKey`, reusing the namespace of the previous build for this key. */
  buildCompositeKeyUserKey<UK>(userKey: UK, userKeySerializer: Serializer<UK>): Buffer {
    if (this.afterNamespace < 0) throw new Error('buildCompositeKeyUserKey: no namespace written for the current key yet')
    this.out.pos = this.afterNamespace
    userKeySerializer.write(userKey, this.out)
    return this.out.view()
  }

  private writeNamespace<N>(namespace: N, namespaceSerializer: Serializer<N>): void {
    const afterKey = this.afterKey
    if (afterKey < 0) throw new Error('composite key: no current key (call setKeyAndKeyGroup first)')
    const out = this.out
    this.afterNamespace = -1
    out.pos = afterKey
    if (isAmbiguousKeyPossible(this.keySerializer, namespaceSerializer)) {
      writeLength(afterKey - this.keyGroupPrefixBytes, out)
      const namespaceStart = out.pos
      namespaceSerializer.write(namespace, out)
      writeLength(out.pos - namespaceStart, out)
    } else {
      namespaceSerializer.write(namespace, out)
    }
    this.afterNamespace = out.pos
  }
}

/**
 * Splits composite keys back into key group, key, namespace and (with a user-key serializer) user
 * key. One parser is reused for many keys: `parse` fills the fields in place. The bytes must match
 * the layout exactly; anything else (truncated, wrong lengths, trailing bytes) is a `CorruptDataError`.
 */
export class CompositeKeyParser<K, N, UK = undefined> {
  keyGroup = 0
  key!: K
  namespace!: N
  /** Stays `undefined` when the parser has no user-key serializer. */
  userKey: UK | undefined = undefined

  private readonly input = new ByteReader()
  private readonly ambiguousKeyPossible: boolean

  constructor(
    readonly keySerializer: Serializer<K>,
    readonly namespaceSerializer: Serializer<N>,
    readonly keyGroupPrefixBytes: KeyGroupPrefixBytes,
    readonly userKeySerializer?: Serializer<UK>,
  ) {
    checkPrefixBytes(keyGroupPrefixBytes)
    this.ambiguousKeyPossible = isAmbiguousKeyPossible(keySerializer, namespaceSerializer)
  }

  parse(compositeKey: Buffer): void {
    const input = this.input.reset(compositeKey)
    this.keyGroup = readKeyGroupPrefix(compositeKey, 0, this.keyGroupPrefixBytes)
    input.pos = this.keyGroupPrefixBytes
    const keyStart = input.pos
    this.key = this.keySerializer.read(input)
    if (this.ambiguousKeyPossible) readLength(input.pos - keyStart, input, 'key')
    const namespaceStart = input.pos
    this.namespace = this.namespaceSerializer.read(input)
    if (this.ambiguousKeyPossible) readLength(input.pos - namespaceStart, input, 'namespace')
    if (this.userKeySerializer !== undefined) this.userKey = this.userKeySerializer.read(input)
    if (input.remaining !== 0) {
      throw new CorruptDataError(`composite key: ${input.remaining} trailing byte(s) at offset ${input.pos}`)
    }
  }
}
