import { CorruptDataError } from '../errors'
import { READ_SKIP_EXPIRED } from '../native/binding'
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
}
import type { ResolvedTtl } from './ttl-config'

/**
 * What every keyed state has: a column family, the current namespace, and the key of
 * (current key, current namespace). Reads honour the state's TTL visibility, and with
 * `update: 'onReadAndWrite'` a read refreshes the entry's expiry by writing it again.
 */
export abstract class KeyedState<N> {
  readonly meta: StateMeta
  /** @internal */
  protected readonly context: StateContext<unknown>
  /** @internal */
  protected readonly cf: ColumnFamily
  /** @internal */
  protected readonly namespaceSerializer: Serializer<N>
  private namespace: N
  /** @internal */
  protected readonly readFlags: number
  /** @internal */
  protected readonly refreshOnRead: boolean

  /** @internal */
  constructor({ context, meta, cf, namespaceSerializer, defaultNamespace }: StateBinding<N>) {
    this.context = context
    this.meta = meta
    this.cf = cf
    this.namespaceSerializer = namespaceSerializer
    this.namespace = defaultNamespace
    this.readFlags = meta.ttl.visibility === 'neverReturnExpired' ? READ_SKIP_EXPIRED : 0
    this.refreshOnRead = meta.ttl.seconds > 0 && meta.ttl.update === 'onReadAndWrite'
  }

  get name(): string {
    return this.meta.name
  }

  get ttl(): ResolvedTtl {
    return this.meta.ttl
  }

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
    const bytes = this.cf.getWithFlags(key, this.readFlags)
    if (bytes !== undefined && this.refreshOnRead) this.cf.put(key, bytes)
    return bytes
  }

  /** @internal Serializes into the shared scratch writer; the view is valid until the next encode. */
  protected encode<T>(serializer: Serializer<T>, value: T): Buffer {
    const out = this.context.valueWriter
    out.reset()
    serializer.write(value, out)
    return out.view()
  }

  /** @internal Deserializes exactly one value. */
  protected decode<T>(serializer: Serializer<T>, bytes: Buffer): T {
    const input = this.context.valueReader.reset(bytes)
    const value = serializer.read(input)
    if (input.remaining !== 0) {
      throw new CorruptDataError(`state '${this.name}': ${input.remaining} trailing byte(s) after a '${serializer.id}' value`)
    }
    return value
  }
}
