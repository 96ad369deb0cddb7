import type { ColumnFamily } from '../native/column-family'
import type { Serializer } from '../serializers/serializer'
import { KeyedState } from './keyed-state'
import type { StateContext } from './state-context'
import type { StateMeta } from './state-meta'

/** One value per (key, namespace). */
export class ValueState<V, N = undefined> extends KeyedState<unknown, N> {
  /** @internal */
  constructor(
    context: StateContext<unknown>,
    meta: StateMeta,
    cf: ColumnFamily,
    namespaceSerializer: Serializer<N>,
    defaultNamespace: N,
    private readonly valueSerializer: Serializer<V>,
  ) {
    super(context, meta, cf, namespaceSerializer, defaultNamespace)
  }

  /** The current key's value, or undefined when it has none. */
  value(): V | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.decode(this.valueSerializer, bytes)
  }

  /** Sets the current key's value; undefined clears it. */
  update(value: V | undefined): void {
    if (value === undefined) return this.clear()
    const key = this.currentKey()
    this.cf.put(key, this.encode(this.valueSerializer, value))
  }
}
