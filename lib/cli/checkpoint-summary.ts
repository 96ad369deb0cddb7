import { CorruptCheckpointError } from '../errors'
import type { Compression } from '../format/full-snapshot-format'
import type { KeyGroupRangeJSON } from '../keygroups/key-group-range'
import type { KeyedStateHandle } from '../snapshot/keyed-state-handle'
import type { FileRef } from '../storage/file-ref'
import type { SnapshotMetadata, SnapshotStateMeta } from '../snapshot/state-snapshot-meta'
import { incompatibility } from '../state/state-meta'
import { ElementCursor } from '../state/timestamped-list'
import { readTimestamp } from '../timers/timer-key'
import { addWriteTime, emptyAgeHistogram, type AgeHistogram } from './age-histogram'
import { CliError, ExitCode } from './exit-codes'

/** A problem with a checkpoint: a referenced file that is gone, or anything damaged. */
export interface Problem {
  kind: 'missing' | 'corrupt'
  message: string
}

/** A problem as the commands print it: one line, `missing: …` or `corrupt: …`. */
export function problemLine(problem: Problem): string {
  return `${problem.kind}: ${problem.message}`
}

/** Throws the CliError that ends a command which found `problems`: exit code `missing` when a file is gone, else `corrupt`. */
export function failOnProblems(problems: readonly Problem[]): void {
  if (problems.length === 0) return
  const missing = problems.some((problem) => problem.kind === 'missing')
  throw new CliError(`${problems.length} problem(s) found${missing ? ', files missing' : ''}`, missing ? ExitCode.missing : ExitCode.corrupt)
}

export interface StateSummary extends Omit<SnapshotStateMeta, 'kvStateId'> {
  /** RocksDB entries (map state: one per user key; timers: one per timer). */
  entries: number
  /** Key and value bytes as stored (values with their write times). */
  bytes: number
  /** List state: elements over all lists. */
  elements?: number
  /** States with a TTL. */
  ages?: AgeHistogram
  /** Timer queues: the earliest and latest timestamp. */
  timers?: { earliest: number; latest: number }
}

export interface KeyGroupSummary {
  keyGroup: number
  entries: number
  bytes: number
  /** Index of the handle that holds it. */
  handle: number
}

export interface FileSummary {
  key: string
  size: number
  sha256: string
  role: 'full-snapshot stream' | 'shared SST file' | 'private file' | 'incremental metadata'
  handle: number
}

export interface HandleSummary {
  index: number
  kind: KeyedStateHandle['kind']
  checkpointId: number
  backendId?: string
  keyGroupRange: KeyGroupRangeJSON
  compression?: Compression
  entries: number
  bytes: number
}

export interface CheckpointSummary {
  description: string
  storage: string
  jobId?: string
  checkpointId?: number
  /** Unix seconds that TTL ages are measured from. */
  now: number
  maxParallelism?: number
  keySerializer?: string
  handles: HandleSummary[]
  states: StateSummary[]
  /** Every key group the handles cover, ascending; empty ones with zero entries. */
  keyGroups: KeyGroupSummary[]
  files: FileSummary[]
  totals: { entries: number; bytes: number; fileBytes: number }
}

/** Every file a handle references, with its role. */
export function handleFiles(handle: KeyedStateHandle): { ref: FileRef; role: FileSummary['role'] }[] {
  if (handle.kind === 'full') return [{ ref: handle.stream, role: 'full-snapshot stream' }]
  return [
    { ref: handle.metadata, role: 'incremental metadata' },
    ...Object.values(handle.sharedFiles).map((ref) => ({ ref, role: 'shared SST file' as const })),
    ...Object.values(handle.privateFiles).map((ref) => ({ ref, role: 'private file' as const })),
  ]
}

/** What scanning one handle adds to. */
export interface ScanContext {
  summary: CheckpointSummary
  problems: Problem[]
  progress: { add(bytes: number): void }
  scratch: string
}

/** The metadata (a stream's header) must be the one its handle names, and agree with the other handles'. */
export function checkHeader(name: string, metadata: SnapshotMetadata, handle: KeyedStateHandle, summary: CheckpointSummary, problems: Problem[]): void {
  const corrupt = (message: string) => problems.push({ kind: 'corrupt', message: `${name}: ${message}` })
  const { start, end } = metadata.keyGroupRange
  if (metadata.checkpointId !== handle.checkpointId || start !== handle.keyGroupRange.start || end !== handle.keyGroupRange.end) {
    corrupt(`holds checkpoint ${metadata.checkpointId}, key groups ${start}-${end}; its handle says checkpoint ${handle.checkpointId}, key groups ${handle.keyGroupRange.start}-${handle.keyGroupRange.end}`)
  }
  summary.maxParallelism ??= metadata.maxParallelism
  summary.keySerializer ??= metadata.keySerializer
  if (metadata.maxParallelism !== summary.maxParallelism) corrupt(`maxParallelism ${metadata.maxParallelism}, other handles ${summary.maxParallelism}`)
  if (metadata.keySerializer !== summary.keySerializer) corrupt(`key serializer '${metadata.keySerializer}', other handles '${summary.keySerializer}'`)
}

/** The summary of state `meta` across handles (one per name); a problem when handles disagree about it. */
export function stateSummary(summary: CheckpointSummary, meta: SnapshotStateMeta, name: string, problems: Problem[]): StateSummary {
  const existing = summary.states.find((state) => state.name === meta.name)
  if (existing !== undefined) {
    const problem = incompatibility(existing, meta)
    if (problem !== undefined) problems.push({ kind: 'corrupt', message: `${name}: state '${meta.name}' differs from other handles: ${problem}` })
    return existing
  }
  const { kvStateId: _, ...fields } = meta
  const state: StateSummary = { ...fields, entries: 0, bytes: 0 }
  if (meta.kind === 'list') state.elements = 0
  if (meta.ttl.seconds > 0) state.ages = emptyAgeHistogram(meta.ttl.seconds, summary.now)
  summary.states.push(state)
  return state
}


const listCursor = new ElementCursor()
/** DBWithTTL's write time after every value: int32 little-endian seconds. */
const WRITE_TIME_BYTES = 4

/**
 * Counts one entry (key and raw value, as stored) of `state` in `keyGroup`: entries, bytes, list
 * elements, the write times of TTL states, timer timestamps. A value without its write time, or a
 * list value that is not a sequence of element records, is a `CorruptCheckpointError`/`CorruptDataError`.
 */
export function tallyEntry(state: StateSummary, keyGroup: KeyGroupSummary, key: Buffer, value: Buffer, prefixBytes: number): void {
  if (value.length < WRITE_TIME_BYTES) {
    throw new CorruptCheckpointError(`key group ${keyGroup.keyGroup}, state '${state.name}': a value of ${value.length} bytes has no write time`)
  }
  const bytes = key.length + value.length
  state.entries++
  state.bytes += bytes
  keyGroup.entries++
  keyGroup.bytes += bytes
  if (state.kind === 'timers') {
    const timestamp = readTimestamp(key, prefixBytes)
    state.timers = { earliest: Math.min(state.timers?.earliest ?? timestamp, timestamp), latest: Math.max(state.timers?.latest ?? timestamp, timestamp) }
  } else if (state.kind === 'list') {
    listCursor.reset(value.subarray(0, value.length - WRITE_TIME_BYTES), `key group ${keyGroup.keyGroup}, state '${state.name}'`)
    while (listCursor.advance()) {
      state.elements!++
      if (state.ages !== undefined) addWriteTime(state.ages, listCursor.writeTime)
    }
  } else if (state.ages !== undefined) {
    addWriteTime(state.ages, value.readInt32LE(value.length - WRITE_TIME_BYTES))
  }
}
