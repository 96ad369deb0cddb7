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

  /** The current key's reduced value, or undefined when it has none. */
  get(): V | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.decode(this.valueSerializer, bytes)
  }

  /** Folds `value` into the current key's value (or stores it as the first): one read, one write. */
  add(value: V): void {
    const key = this.currentKey()
    const stored = this.readAccumulator(key)
    const next = stored === undefined ? value : this.reduce(this.decode(this.valueSerializer, stored), value)
    this.cf.put(this.currentKey(), this.encode(this.valueSerializer, next))
  }
}
