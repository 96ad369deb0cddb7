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
export { parseKeyedStateHandle, type KeyedStateHandle, type FullKeyedStateHandle, type IncrementalKeyedStateHandle } from './snapshot/keyed-state-handle'
export type { SnapshotOptions, SnapshotProgress } from './snapshot/full-snapshot'
export type { RestoreProgress } from './restore/full-restore'
export type { RescaleStrategy } from './restore/incremental-rescale-restore'
export { FsCheckpointStorage, type FsCheckpointStorageOptions } from './storage/fs-checkpoint-storage'
export { S3CheckpointStorage, type S3CheckpointStorageOptions, type S3ClientLike } from './storage/s3-checkpoint-storage'
export type { RetryOptions } from './storage/retry'
export { openCheckpointStorage, type OpenCheckpointStorageOptions } from './storage/open-checkpoint-storage'
export type { CheckpointStorage, JobCheckpoint, TransferOptions, DownloadOptions, GarbageOptions } from './storage/checkpoint-storage'
export type { FileRef } from './storage/file-ref'
export { TimerService, createTimerService, type Timer, type TimeDomain, type TimerContext, type TimerServiceOptions } from './timers'
