import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'

/** One value per (key, namespace) that `add` folds new values into with `reduce`. */
export class ReducingState<V, N = undefined> extends KeyedState<N> {
  /** @internal */
  constructor(
    binding: StateBinding<N>,
    private readonly valueSerializer: Serializer<V>,
    private readonly reduce: (accumulated: V, value: V) => V,
  ) {
    super(binding)
  }

  get(): V | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.decode(this.valueSerializer, bytes)
  }

  add(value: V): void {
    const key = this.currentKey()
    const stored = this.readAccumulator(key)
    const next = stored === undefined ? value : this.reduce(this.decode(this.valueSerializer, stored), value)
    this.cf.put(this.currentKey(), this.encode(this.valueSerializer, next))
  }
}
