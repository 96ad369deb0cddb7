import type { Serializer } from '../serializers/serializer'
import { KeyedState, type StateBinding } from './keyed-state'

/** Folds inputs into an accumulator and reads a result from it, as Flink's AggregateFunction. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC
  add(value: IN, accumulator: ACC): ACC
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

  get(): OUT | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.aggregate.getResult(this.decode(this.accumulatorSerializer, bytes))
  }

  add(value: IN): void {
    const key = this.currentKey()
    const stored = this.readAccumulator(key)
    const accumulator = stored === undefined ? this.aggregate.createAccumulator() : this.decode(this.accumulatorSerializer, stored)
    this.cf.put(this.currentKey(), this.encode(this.accumulatorSerializer, this.aggregate.add(value, accumulator)))
  }
}
