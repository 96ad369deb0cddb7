import { CorruptDataError } from '../errors'
import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'
import { prefixSuccessor } from './prefix-range'

/**
 * A map per (key, namespace), one RocksDB entry per user key (`prefix | key | namespace |
 * user key`), so reading or writing one entry never touches the others. Iteration scans
 * only the current key and namespace, in the order of the serialized user keys. With TTL,
 * each user key expires on its own; every read (`get`, `contains`, iteration, `isEmpty`)
 * treats the entries it meets as `KeyedState` describes.
 */
export class MapState<UK, UV, N = undefined> extends KeyedState<N> {
  /** @internal */
  constructor(
    binding: StateBinding<N>,
    private readonly userKeySerializer: Serializer<UK>,
    private readonly valueSerializer: Serializer<UV>,
  ) {
    super(binding)
  }

  /** The value of `userKey` in the current key's map, or undefined when it has none. */
  get(userKey: UK): UV | undefined {
    const bytes = this.readBytes(this.entryKey(userKey))
    return bytes === undefined ? undefined : this.decode(this.valueSerializer, bytes)
  }

  /** Whether the entry is there: a read like `get` (it refreshes under `onReadAndWrite`, as Flink's). */
  contains(userKey: UK): boolean {
    return this.readBytes(this.entryKey(userKey)) !== undefined
  }

  /** Sets `userKey`'s value (its TTL counts from now); no read. */
  put(userKey: UK, value: UV): void {
    const key = this.entryKey(userKey)
    this.cf.put(key, this.encode(this.valueSerializer, value))
  }

  /** `put` of every entry. */
  putAll(entries: Iterable<readonly [UK, UV]> | Map<UK, UV>): void {
    for (const [userKey, value] of entries) this.put(userKey, value)
  }

  /** Deletes `userKey`'s entry; no read. */
  remove(userKey: UK): void {
    this.cf.delete(this.entryKey(userKey))
  }

  /** Whether no entry is visible: reads up to the first one (clearing expired ones on the way). */
  isEmpty(): boolean {
    const entries = this.storedEntries()
    try {
      return entries.next().done === true
    } finally {
      entries.return(undefined)
    }
  }

  /** Removes every entry of the current key and namespace. */
  override clear(): void {
    const prefix = Buffer.from(this.currentKey())
    const end = prefixSuccessor(prefix)
    if (end !== undefined) {
      this.cf.deleteRange(prefix, end)
    } else {
      for (const [key] of this.prefixIterator(prefix)) this.cf.delete(key)
    }
  }

  /** The entries of the current key and namespace, read lazily in batches. */
  *entries(): Generator<[UK, UV]> {
    for (const [key, value, prefixLength] of this.storedEntries()) {
      yield [this.decodeUserKey(key, prefixLength), this.decode(this.valueSerializer, value)]
    }
  }

  /** The user keys of `entries()`. */
  *keys(): Generator<UK> {
    for (const [userKey] of this.entries()) yield userKey
  }

  /** The values of `entries()`. */
  *values(): Generator<UV> {
    for (const [, value] of this.entries()) yield value
  }

  /** `entries()`. */
  [Symbol.iterator](): Generator<[UK, UV]> {
    return this.entries()
  }

  /** @internal */
  private entryKey(userKey: UK): Buffer {
    this.context.checkCurrentKey()
    return this.context.keyBuilder.buildCompositeKeyNamespaceUserKey(
      this.currentNamespace,
      this.namespaceSerializer,
      userKey,
      this.userKeySerializer,
    )
  }

  /** @internal Entries whose keys start with `prefix` (a copy: the key builder's view changes). */
  private prefixIterator(prefix: Buffer) {
    // The current key's entries: a state read, whose blocks belong in the cache.
    return this.cf.iterator({ gte: prefix, lt: prefixSuccessor(prefix), raw: this.meta.ttl.seconds > 0, fillCache: true })
  }

  /** @internal The visible entries of the current key and namespace: RocksDB key, value bytes, prefix length. */
  private *storedEntries(): Generator<[Buffer, Buffer, number]> {
    const prefix = Buffer.from(this.currentKey())
    const stamped = this.meta.ttl.seconds > 0
    for (const [key, stored] of this.prefixIterator(prefix)) {
      const value = stamped ? this.readStamped(key, stored) : stored
      if (value !== undefined) yield [key, value, prefix.length]
    }
  }

  /** @internal */
  private decodeUserKey(key: Buffer, prefixLength: number): UK {
    const input = this.context.valueReader.reset(key, prefixLength)
    const userKey = this.userKeySerializer.read(input)
    if (input.remaining !== 0) throw new CorruptDataError(`state '${this.name}': trailing bytes after a user key`)
    return userKey
  }
}
