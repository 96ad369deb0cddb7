import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'

/** Folds inputs into an accumulator and reads a result from it, as Flink's AggregateFunction. */
export interface AggregateFunction<IN, ACC, OUT> {
  /** The accumulator of a key's first `add`. */
  createAccumulator(): ACC
  /** The accumulator with `value` added (it may be `accumulator` itself, changed). */
  add(value: IN, accumulator: ACC): ACC
  /** What `get` returns for an accumulator. */
  getResult(accumulator: ACC): OUT
}

/** One accumulator per (key, namespace); `get` returns the aggregate's result. */
export class AggregatingState<IN, ACC, OUT, N = undefined> extends KeyedState<N> {
  /** @internal */
  constructor(
    binding: StateBinding<N>,
    private readonly accumulatorSerializer: Serializer<ACC>,
    private readonly aggregate: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(binding)
  }

  /** `getResult` of the current key's accumulator, or undefined when it has none. */
  get(): OUT | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.aggregate.getResult(this.decode(this.accumulatorSerializer, bytes))
  }

  /** Adds `value` to the current key's accumulator (created by `createAccumulator` first): one read, one write. */
  add(value: IN): void {
    const key = this.currentKey()
    const stored = this.readAccumulator(key)
    const accumulator = stored === undefined ? this.aggregate.createAccumulator() : this.decode(this.accumulatorSerializer, stored)
    this.cf.put(this.currentKey(), this.encode(this.accumulatorSerializer, this.aggregate.add(value, accumulator)))
  }
}
