import { mkdtemp, open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CorruptCheckpointError, CorruptDataError, InvalidHandleSetError } from '../errors'
import { FullSnapshotReader } from '../format/full-snapshot-reader'
import type { Compression } from '../format/full-snapshot-format'
import { KeyGroupRange, type KeyGroupRangeJSON } from '../keygroups/key-group-range'
import { planRestore } from '../restore/restore-plan'
import { parseKeyedStateHandle, type FullKeyedStateHandle, type KeyedStateHandle } from '../snapshot/keyed-state-handle'
import { parseSnapshotMetadata, type SnapshotMetadata, type SnapshotStateMeta } from '../snapshot/state-snapshot-meta'
import { ElementCursor } from '../state/timestamped-list'
import { incompatibility } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import type { FileRef } from '../storage/file-ref'
import { readTimestamp } from '../timers/timer-key'
import { CliError, ExitCode } from './exit-codes'
import { addWriteTime, emptyAgeHistogram, type AgeHistogram } from './age-histogram'
import type { CheckpointTarget } from './checkpoint-target'
import { layoutProblems, storedBytes, type KeyGroupExtent } from './stream-layout'

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
  role: 'full-snapshot stream'
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

export interface ScanOptions {
  /** Unix seconds to measure TTL ages from (default: the current time). */
  now?: number
  /** Bytes hashed and parsed so far, of `total` (every file is hashed once and parsed once). */
  onProgress?: (done: number, total: number) => void
}

/**
 * Reads every handle of `target` and everything it references: each file's presence, size and
 * SHA-256 (through the storage, which verifies them), each stream's header and every key group
 * end to end, the stream's layout (no byte outside a key group) and the handles' coverage of the
 * key groups (exactly once). Problems are collected, not thrown, so that one pass reports them all;
 * the summary holds what could be read.
 */
export async function scanCheckpoint(target: CheckpointTarget, options: ScanOptions = {}): Promise<{ summary: CheckpointSummary; problems: Problem[] }> {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const problems: Problem[] = target.problems.map((message) => ({ kind: 'corrupt', message }))
  const summary: CheckpointSummary = {
    description: target.description,
    storage: target.storageLocation,
    jobId: target.jobId,
    checkpointId: target.checkpointId,
    now,
    handles: [],
    states: [],
    keyGroups: [],
    files: [],
    totals: { entries: 0, bytes: 0, fileBytes: 0 },
  }
  const handles: { index: number; handle: KeyedStateHandle }[] = []
  target.handles.forEach((raw, index) => {
    try {
      handles.push({ index, handle: parseKeyedStateHandle(raw) })
    } catch (error) {
      problems.push({ kind: 'corrupt', message: `handle ${index}: ${(error as Error).message}` })
    }
  })
  const total = 2 * handles.reduce((sum, { handle }) => sum + handle.stream.size, 0)
  const progress = { done: 0, add: (bytes: number) => options.onProgress?.((progress.done += bytes), total) }
  const scratch = await mkdtemp(path.join(tmpdir(), 'rocksdb-keyed-state-cli-'))
  try {
    for (const { index, handle } of handles) {
      await scanFullHandle(target.storage, index, handle, { summary, problems, progress, scratch })
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  checkCoverage(handles.map(({ handle }) => handle), target.wholeJob, summary, problems)
  summary.keyGroups.sort((a, b) => a.keyGroup - b.keyGroup)
  summary.totals.fileBytes = summary.files.reduce((sum, file) => sum + file.size, 0)
  return { summary, problems }
}

interface ScanContext {
  summary: CheckpointSummary
  problems: Problem[]
  progress: { add(bytes: number): void }
  scratch: string
}

async function scanFullHandle(storage: CheckpointStorage, index: number, handle: FullKeyedStateHandle, context: ScanContext): Promise<void> {
  const { summary, problems } = context
  const range = KeyGroupRange.fromJSON(handle.keyGroupRange)
  const handleSummary: HandleSummary = { index, kind: handle.kind, checkpointId: handle.checkpointId, keyGroupRange: range.toJSON(), entries: 0, bytes: 0 }
  summary.handles.push(handleSummary)
  summary.files.push({ ...handle.stream, role: 'full-snapshot stream', handle: index })
  const file = await verifiedLocalFile(storage, handle.stream, `handle ${index}`, context)
  if (file === undefined) return
  const name = handle.stream.key
  let reader: FullSnapshotReader | undefined
  try {
    reader = await FullSnapshotReader.open(file, { expectedSize: handle.stream.size })
    const metadata = parseSnapshotMetadata(reader.metadata, reader.prefixBytes)
    checkHeader(name, metadata, handle, summary, problems)
    for (const message of offsetProblems(name, handle, reader.keyGroupOffsets)) problems.push({ kind: 'corrupt', message })
    handleSummary.backendId = metadata.backendId
    handleSummary.compression = reader.compression
    const states = new Map(metadata.states.map((meta) => [meta.kvStateId, stateSummary(summary, meta, name, problems)]))
    const extents: (KeyGroupExtent & { stored: number })[] = []
    const stream = await open(file, 'r')
    try {
      for (const keyGroup of range) {
        const keyGroupSummary: KeyGroupSummary = { keyGroup, entries: 0, bytes: 0, handle: index }
        summary.keyGroups.push(keyGroupSummary)
        const offset = handle.keyGroupOffsets[keyGroup - range.start]!
        if (offset === 0) continue
        const extent = await scanKeyGroup(reader, keyGroup, offset, states, keyGroupSummary)
        extents.push({ ...extent, stored: await storedBytes(stream, reader.compression, extent) })
        handleSummary.entries += keyGroupSummary.entries
        handleSummary.bytes += keyGroupSummary.bytes
        context.progress.add(extent.bodyBytes)
      }
    } finally {
      await stream.close()
    }
    for (const message of layoutProblems(name, reader.bodyOffset, reader.bodyEnd, extents)) problems.push({ kind: 'corrupt', message })
    summary.totals.entries += handleSummary.entries
    summary.totals.bytes += handleSummary.bytes
  } catch (error) {
    if (!(error instanceof CorruptCheckpointError || error instanceof CorruptDataError)) throw error
    problems.push({ kind: 'corrupt', message: `handle ${index}: ${error.message}` })
  } finally {
    await reader?.close()
  }
}

/**
 * A local, verified copy of `ref` (the stored file itself on a local storage): a `missing` problem
 * when it is not there, `corrupt` when its size or SHA-256 differ; `undefined` then.
 */
async function verifiedLocalFile(storage: CheckpointStorage, ref: FileRef, what: string, context: ScanContext): Promise<string | undefined> {
  const found = await storage.stat(ref.key)
  if (found === undefined) {
    context.problems.push({ kind: 'missing', message: `${what}: file '${ref.key}' is missing` })
    return undefined
  }
  try {
    const options = { onProgress: (bytes: number) => context.progress.add(bytes) }
    if (storage.localPath !== undefined) return await storage.localPath(ref, options)
    const local = path.join(context.scratch, `${context.summary.files.length}-${path.basename(ref.key)}`)
    await storage.downloadFile(ref, local, options)
    return local
  } catch (error) {
    if (!(error instanceof CorruptCheckpointError)) throw error
    context.problems.push({ kind: 'corrupt', message: `${what}: ${error.message}` })
    return undefined
  }
}

/** The stream must be the one its handle names, and agree with the other handles' streams. */
function checkHeader(name: string, metadata: SnapshotMetadata, handle: FullKeyedStateHandle, summary: CheckpointSummary, problems: Problem[]): void {
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

/** Each key group whose offset in the handle is not the one the stream's own key-group index records. */
function offsetProblems(name: string, handle: FullKeyedStateHandle, indexed: ReadonlyMap<number, number>): string[] {
  const { start, end } = handle.keyGroupRange
  const problems = [...indexed.keys()].filter((keyGroup) => keyGroup < start || keyGroup > end).map((keyGroup) => `${name}: indexes key group ${keyGroup}, outside its handle's ${start}-${end}`)
  handle.keyGroupOffsets.forEach((offset, i) => {
    const recorded = indexed.get(start + i) ?? 0
    if (offset !== recorded) problems.push(`${name}: the handle puts key group ${start + i} at offset ${offset}, the stream's index at ${recorded}`)
  })
  return problems
}

/** The summary of state `meta` across handles (one per name); a problem when handles disagree about it. */
function stateSummary(summary: CheckpointSummary, meta: SnapshotStateMeta, name: string, problems: Problem[]): StateSummary {
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

/** Reads one key group to its end marker, adding up entries, bytes, write times and timers. */
async function scanKeyGroup(
  reader: FullSnapshotReader,
  keyGroup: number,
  offset: number,
  states: Map<number, StateSummary>,
  totals: KeyGroupSummary,
): Promise<KeyGroupExtent> {
  let bodyBytes = 2
  let runState = -1
  for await (const batch of reader.readKeyGroup(keyGroup, offset, { kvStateIds: new Set(states.keys()) })) {
    if (batch.kvStateId !== runState) {
      bodyBytes += 2
      runState = batch.kvStateId
    }
    const state = states.get(batch.kvStateId)!
    batch.forEach((key, value) => {
      if (value.length < WRITE_TIME_BYTES) {
        throw new CorruptCheckpointError(`key group ${keyGroup}, state '${state.name}': a value of ${value.length} bytes has no write time`)
      }
      const bytes = key.length + value.length
      bodyBytes += 8 + bytes
      state.entries++
      state.bytes += bytes
      totals.entries++
      totals.bytes += bytes
      if (state.kind === 'timers') {
        const timestamp = readTimestamp(key, reader.prefixBytes)
        state.timers = { earliest: Math.min(state.timers?.earliest ?? timestamp, timestamp), latest: Math.max(state.timers?.latest ?? timestamp, timestamp) }
      } else if (state.kind === 'list') {
        listCursor.reset(value.subarray(0, value.length - WRITE_TIME_BYTES), `key group ${keyGroup}, state '${state.name}'`)
        while (listCursor.advance()) {
          state.elements!++
          if (state.ages !== undefined) addWriteTime(state.ages, listCursor.writeTime)
        }
      } else if (state.ages !== undefined) {
        addWriteTime(state.ages, value.readInt32LE(value.length - WRITE_TIME_BYTES))
      }
    })
  }
  return { keyGroup, offset, bodyBytes }
}

/**
 * The handles must be one checkpoint covering each key group at most once, and, for a whole job's
 * checkpoint, every key group of `[0, maxParallelism)`: the check a restore makes.
 */
function checkCoverage(handles: readonly KeyedStateHandle[], wholeJob: boolean, summary: CheckpointSummary, problems: Problem[]): void {
  if (handles.length === 0 || summary.maxParallelism === undefined) return
  const ranges = wholeJob ? [new KeyGroupRange(0, summary.maxParallelism - 1)] : handles.map((handle) => KeyGroupRange.fromJSON(handle.keyGroupRange))
  const messages = new Set<string>()
  for (const range of ranges) {
    try {
      planRestore(handles, range)
    } catch (error) {
      if (!(error instanceof InvalidHandleSetError)) throw error
      messages.add(error.message)
    }
  }
  for (const message of messages) problems.push({ kind: 'corrupt', message })
}
