import type { StateMeta } from '../state/state-meta'

/** A state as a snapshot records it: its metadata and its id in the stream. */
export interface SnapshotStateMeta extends StateMeta {
  kvStateId: number
}

/** The JSON header of a full snapshot (and, later, of incremental metadata). */
export interface SnapshotMetadata {
  format: 'rocksdb-keyed-state'
  checkpointId: number
  backendId: string
  keySerializer: string
  maxParallelism: number
  keyGroupRange: { start: number; end: number }
  /** Values carry their 4-byte TTL write time, so restore keeps every entry's expiry. */
  rawTtlValues: true
  states: SnapshotStateMeta[]
}
