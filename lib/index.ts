// The public surface of rocksdb-keyed-state. Everything not exported here is internal.
export * from './native'
export * from './errors'
export * from './keygroups'
export * from './serializers'
export { KeyedStateBackend, type KeyedStateBackendOptions, type StateOptions } from './backend'
export {
  ValueState,
  ListState,
  MapState,
  ReducingState,
  AggregatingState,
  type AggregateFunction,
  type StateTtlConfig,
  type ResolvedTtl,
  type StateKind,
  type StateMeta,
} from './state'
