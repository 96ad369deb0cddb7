import { CorruptDataError } from '../errors'
import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'
import { prefixSuccessor } from './prefix-range'

/**
 * A map per (key, namespace), one RocksDB entry per user key (`prefix | key | namespace |
 * user key`), so reading or writing one entry never touches the others. Iteration scans
 * only the current key and namespace, in the order of the serialized user keys.
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

  get(userKey: UK): UV | undefined {
    const bytes = this.readBytes(this.entryKey(userKey))
    return bytes === undefined ? undefined : this.decode(this.valueSerializer, bytes)
  }

  contains(userKey: UK): boolean {
    return this.cf.getWithFlags(this.entryKey(userKey), this.readFlags) !== undefined
  }

  put(userKey: UK, value: UV): void {
    const key = this.entryKey(userKey)
    this.cf.put(key, this.encode(this.valueSerializer, value))
  }

  putAll(entries: Iterable<readonly [UK, UV]> | Map<UK, UV>): void {
    for (const [userKey, value] of entries) this.put(userKey, value)
  }

  remove(userKey: UK): void {
    this.cf.delete(this.entryKey(userKey))
  }

  isEmpty(): boolean {
    const iterator = this.prefixIterator(Buffer.from(this.currentKey()))
    try {
      return iterator.nextBatch(1).count === 0
    } finally {
      iterator.close()
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
    const prefix = Buffer.from(this.currentKey())
    for (const [key, value] of this.prefixIterator(prefix)) {
      if (this.refreshOnRead) this.cf.put(key, value)
      yield [this.decodeUserKey(key, prefix.length), this.decode(this.valueSerializer, value)]
    }
  }

  *keys(): Generator<UK> {
    for (const [userKey] of this.entries()) yield userKey
  }

  *values(): Generator<UV> {
    for (const [, value] of this.entries()) yield value
  }

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
    return this.cf.iterator({ gte: prefix, lt: prefixSuccessor(prefix), skipExpired: this.readFlags !== 0 })
  }

  /** @internal */
  private decodeUserKey(key: Buffer, prefixLength: number): UK {
    const input = this.context.valueReader.reset(key, prefixLength)
    const userKey = this.userKeySerializer.read(input)
    if (input.remaining !== 0) throw new CorruptDataError(`state '${this.name}': trailing bytes after a user key`)
    return userKey
  }
}
