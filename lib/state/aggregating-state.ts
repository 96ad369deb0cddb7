import type { ColumnFamily } from '../native/column-family'
import type { Serializer } from '../serializers/serializer'
import { KeyedState } from './keyed-state'
import type { StateContext } from './state-context'
import type { StateMeta } from './state-meta'

/** Folds inputs into an accumulator and reads a result from it, as Flink's AggregateFunction. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC
  add(value: IN, accumulator: ACC): ACC
  getResult(accumulator: ACC): OUT
}

/** One accumulator per (key, namespace); `get` returns the aggregate's result. */
export class AggregatingState<IN, ACC, OUT, N = undefined> extends KeyedState<unknown, N> {
  /** @internal */
  constructor(
    context: StateContext<unknown>,
    meta: StateMeta,
    cf: ColumnFamily,
    namespaceSerializer: Serializer<N>,
    defaultNamespace: N,
    private readonly accumulatorSerializer: Serializer<ACC>,
    private readonly aggregate: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(context, meta, cf, namespaceSerializer, defaultNamespace)
  }

  get(): OUT | undefined {
    const bytes = this.readBytes(this.currentKey())
    return bytes === undefined ? undefined : this.aggregate.getResult(this.decode(this.accumulatorSerializer, bytes))
  }

  add(value: IN): void {
    const key = this.currentKey()
    const stored = this.cf.getWithFlags(key, this.readFlags)
    const accumulator = stored === undefined ? this.aggregate.createAccumulator() : this.decode(this.accumulatorSerializer, stored)
    this.cf.put(this.currentKey(), this.encode(this.accumulatorSerializer, this.aggregate.add(value, accumulator)))
  }
}
