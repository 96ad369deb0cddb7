import type { ColumnFamily } from '../native/column-family'
import type { Serializer } from '../serializers/serializer'
import { KeyedState } from './keyed-state'
import type { StateContext } from './state-context'
import type { StateMeta } from './state-meta'

/** One value per (key, namespace) that `add` folds new values into with `reduce`. */
export class ReducingState<V, N = undefined> extends KeyedState<unknown, N> {
  /** @internal */
  constructor(
    context: StateContext<unknown>,
    meta: StateMeta,
    cf: ColumnFamily,
    namespaceSerializer: Serializer<N>,
    defaultNamespace: N,
    private readonly valueSerializer: Serializer<V>,
    private readonly reduce: (accumulated: V, value: V) => V,
  ) {
    super(context, meta, cf, namespaceSerializer, defaultNamespace)
  }

  get(): V | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.decode(this.valueSerializer, bytes)
  }

  add(value: V): void {
    const key = this.currentKey()
    const stored = this.cf.getWithFlags(key, this.readFlags)
    const next = stored === undefined ? value : this.reduce(this.decode(this.valueSerializer, stored), value)
    this.cf.put(this.currentKey(), this.encode(this.valueSerializer, next))
  }
}
