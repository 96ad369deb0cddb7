import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { InvalidHandleSetError } from '../errors'
import { KeyGroupRange } from '../keygroups/key-group-range'
import { planRestore } from '../restore/restore-plan'
import { parseKeyedStateHandle, type KeyedStateHandle } from '../snapshot/keyed-state-handle'
import { handleFiles, type CheckpointSummary, type Problem } from './checkpoint-summary'
import type { CheckpointTarget } from './checkpoint-target'
import { scanFullHandle } from './full-handle-scan'
import { scanIncrementalHandle } from './incremental-handle-scan'

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
  const total = 2 * handles.reduce((sum, { handle }) => sum + handleFiles(handle).reduce((bytes, { ref }) => bytes + ref.size, 0), 0)
  const progress = { done: 0, add: (bytes: number) => options.onProgress?.((progress.done += bytes), total) }
  const scratch = await mkdtemp(path.join(tmpdir(), 'rocksdb-keyed-state-cli-'))
  try {
    for (const { index, handle } of handles) {
      const context = { summary, problems, progress, scratch }
      if (handle.kind === 'full') await scanFullHandle(target.storage, index, handle, context)
      else await scanIncrementalHandle(target.storage, index, handle, context)
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
  checkCoverage(handles.map(({ handle }) => handle), target.wholeJob, summary, problems)
  summary.keyGroups.sort((a, b) => a.keyGroup - b.keyGroup)
  summary.totals.fileBytes = summary.files.reduce((sum, file) => sum + file.size, 0)
  return { summary, problems }
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
