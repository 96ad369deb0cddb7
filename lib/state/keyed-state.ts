import { CorruptDataError } from '../errors'
import { READ_RAW } from '../native/binding'
import type { ColumnFamily } from '../native/column-family'
import type { Serializer } from '../serializers/serializer'
import type { StateContext } from './state-context'
import type { StateMeta } from './state-meta'

/** What binds a state object to its backend: shared context, registration and namespace. */
export interface StateBinding<N> {
  context: StateContext<unknown>
  meta: StateMeta
  cf: ColumnFamily
  namespaceSerializer: Serializer<N>
  defaultNamespace: N
  /** The database's clock (a test clock when one is set), which TTL decisions use. */
  clock: { nowSeconds(): number }
}
import { isExpired, type ResolvedTtl } from './ttl-config'

/** Bytes of the write time DBWithTTL appends to every stored value (little-endian seconds). */
const WRITE_TIME_BYTES = 4

/**
 * What every keyed state has: a column family, the current namespace, and the key of
 * (current key, current namespace). A read of a state with TTL follows Flink: an expired
 * entry is cleared (and returned once more only under `returnExpiredIfNotCleanedUp`), never
 * refreshed; a live one is written again under `update: 'onReadAndWrite'`, which restamps it.
 */
export abstract class KeyedState<N> {
  /** How the state is registered: name, kind, serializer ids and TTL, as snapshots record it. */
  readonly meta: StateMeta
  /** @internal */
  protected readonly context: StateContext<unknown>
  /** @internal */
  protected readonly cf: ColumnFamily
  /** @internal */
  protected readonly namespaceSerializer: Serializer<N>
  private namespace: N
  /** @internal */
  protected readonly refreshOnRead: boolean
  /** @internal */
  protected readonly clock: { nowSeconds(): number }

  /** @internal */
  constructor({ context, meta, cf, namespaceSerializer, defaultNamespace, clock }: StateBinding<N>) {
    this.context = context
    this.clock = clock
    this.meta = meta
    this.cf = cf
    this.namespaceSerializer = namespaceSerializer
    this.namespace = defaultNamespace
    this.refreshOnRead = meta.ttl.seconds > 0 && meta.ttl.update === 'onReadAndWrite'
  }

  /** The state's name (also its column family's). */
  get name(): string {
    return this.meta.name
  }

  /** The TTL settings in force, defaults filled in (`seconds: 0`: no TTL). */
  get ttl(): ResolvedTtl {
    return this.meta.ttl
  }

  /** The namespace set by `setCurrentNamespace`, else the state's `defaultNamespace`. */
  get currentNamespace(): N {
    return this.namespace
  }

  /** Scopes the state to a namespace (a window, a timer's namespace); the default is none. */
  setCurrentNamespace(namespace: N): void {
    this.namespace = namespace
  }

  /** Removes the state of the current key and namespace. */
  clear(): void {
    this.cf.delete(this.currentKey())
  }

  /** @internal `prefix | key | namespace`, a view valid until the next key is built. */
  protected currentKey(): Buffer {
    this.context.checkCurrentKey()
    return this.context.keyBuilder.buildCompositeKeyNamespace(this.namespace, this.namespaceSerializer)
  }

  /** @internal The stored bytes at `key`, as the TTL settings say to read them. */
  protected readBytes(key: Buffer): Buffer | undefined {
    if (this.meta.ttl.seconds === 0) return this.cf.getWithFlags(key, 0)
    const raw = this.cf.getWithFlags(key, READ_RAW)
    return raw === undefined ? undefined : this.readStamped(key, raw)
  }

  /**
   * @internal The accumulator `add` of reducing and aggregating state folds into: an expired one
   * is skipped under `neverReturnExpired` and used under `returnExpiredIfNotCleanedUp`, as Flink's
   * TTL reduce and aggregate functions do.
   */
  protected readAccumulator(key: Buffer): Buffer | undefined {
    const ttl = this.meta.ttl
    if (ttl.seconds === 0 || ttl.visibility === 'returnExpiredIfNotCleanedUp') return this.cf.getWithFlags(key, 0)
    const raw = this.cf.getWithFlags(key, READ_RAW)
    if (raw === undefined) return undefined
    const value = raw.subarray(0, raw.length - WRITE_TIME_BYTES)
    return isExpired(raw.readInt32LE(value.length), ttl, this.clock.nowSeconds()) ? undefined : value
  }

  /**
   * @internal A stored value with its write time (`raw`), read as Flink's TTL decorator does:
   * expired, it is cleared and returned only under `returnExpiredIfNotCleanedUp`; live, it is
   * refreshed under `onReadAndWrite`. Returns the value without its write time.
   */
  protected readStamped(key: Buffer, raw: Buffer): Buffer | undefined {
    const value = raw.subarray(0, raw.length - WRITE_TIME_BYTES)
    if (isExpired(raw.readInt32LE(value.length), this.meta.ttl, this.clock.nowSeconds())) {
      this.cf.delete(key)
      return this.meta.ttl.visibility === 'returnExpiredIfNotCleanedUp' ? value : undefined
    }
    if (this.refreshOnRead) this.cf.put(key, value)
    return value
  }

  /** @internal Serializes into the shared scratch writer; the view is valid until the next encode. */
  protected encode<T>(serializer: Serializer<T>, value: T): Buffer {
    const out = this.context.valueWriter
    out.reset()
    serializer.write(value, out)
    return out.view()
  }

  /** @internal Deserializes exactly one value, from `bytes[start, end)`. */
  protected decode<T>(serializer: Serializer<T>, bytes: Buffer, start = 0, end = bytes.length): T {
    const input = this.context.valueReader.reset(bytes, start, end)
    const value = serializer.read(input)
    if (input.remaining !== 0) {
      throw new CorruptDataError(`state '${this.name}': ${input.remaining} trailing byte(s) after a '${serializer.id}' value`)
    }
    return value
  }
}
