import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'

/** One value per (key, namespace). */
export class ValueState<V, N = undefined> extends KeyedState<N> {
  /** @internal */
  constructor(
    binding: StateBinding<N>,
    private readonly valueSerializer: Serializer<V>,
  ) {
    super(binding)
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
