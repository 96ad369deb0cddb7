import { open } from 'node:fs/promises'
import path from 'node:path'
import { CorruptCheckpointError, CorruptDataError } from '../errors'
import { FullSnapshotReader } from '../format/full-snapshot-reader'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { FullKeyedStateHandle } from '../snapshot/keyed-state-handle'
import { parseSnapshotMetadata } from '../snapshot/state-snapshot-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import type { FileRef } from '../storage/file-ref'
import { checkHeader, stateSummary, tallyEntry, type HandleSummary, type KeyGroupSummary, type ScanContext, type StateSummary } from './checkpoint-summary'
import { layoutProblems, storedBytes, type KeyGroupExtent } from './stream-layout'

/**
 * One full handle: its stream verified (size, SHA-256), its header against the handle, every key
 * group parsed to its end marker, its offsets against the stream's key-group index, and no byte
 * of the body outside a key group.
 */
export async function scanFullHandle(storage: CheckpointStorage, index: number, handle: FullKeyedStateHandle, context: ScanContext): Promise<void> {
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
export async function verifiedLocalFile(storage: CheckpointStorage, ref: FileRef, what: string, context: ScanContext): Promise<string | undefined> {
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
      bodyBytes += 8 + key.length + value.length
      tallyEntry(state, totals, key, value, reader.prefixBytes)
    })
  }
  return { keyGroup, offset, bodyBytes }
}
