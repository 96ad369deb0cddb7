import { mkdtemp } from 'node:fs/promises'
import path from 'node:path'
import { CorruptCheckpointError, CorruptDataError, RocksDBError } from '../errors'
import { keyGroupPrefixBytes, readKeyGroupPrefix } from '../keygroups/key-group-prefix'
import { KeyGroupRange } from '../keygroups/key-group-range'
import { RocksDB } from '../native/rocksdb'
import { fetchIncrementalCheckpoint } from '../restore/incremental-fetch'
import { readIncrementalMetadata } from '../snapshot/incremental-metadata'
import type { IncrementalKeyedStateHandle } from '../snapshot/keyed-state-handle'
import { stateColumnFamilyOptions } from '../state/state-meta'
import type { CheckpointStorage } from '../storage/checkpoint-storage'
import { checkHeader, handleFiles, stateSummary, tallyEntry, type HandleSummary, type KeyGroupSummary, type ScanContext } from './checkpoint-summary'

/**
 * One incremental handle: every file present (each missing one is a problem of its own), then
 * fetched and verified by size and SHA-256 as a restore fetches them, its metadata against the
 * handle, and the RocksDB checkpoint opened read-only and read through, every column family
 * (RocksDB checks each block's checksum), counting entries per key group; entries outside the
 * handle's key groups are a problem.
 */
export async function scanIncrementalHandle(storage: CheckpointStorage, index: number, handle: IncrementalKeyedStateHandle, context: ScanContext): Promise<void> {
  const { summary, problems } = context
  const range = KeyGroupRange.fromJSON(handle.keyGroupRange)
  const handleSummary: HandleSummary = { index, kind: handle.kind, checkpointId: handle.checkpointId, backendId: handle.backendId, keyGroupRange: range.toJSON(), entries: 0, bytes: 0 }
  summary.handles.push(handleSummary)
  const files = handleFiles(handle)
  for (const { ref, role } of files) summary.files.push({ ...ref, role, handle: index })
  let missing = 0
  for (const { ref } of files) {
    if ((await storage.stat(ref.key)) !== undefined) continue
    problems.push({ kind: 'missing', message: `handle ${index}: file '${ref.key}' is missing` })
    missing++
  }
  if (missing > 0) return
  const groups = new Map<number, KeyGroupSummary>()
  for (const keyGroup of range) {
    const group = { keyGroup, entries: 0, bytes: 0, handle: index }
    groups.set(keyGroup, group)
    summary.keyGroups.push(group)
  }
  const name = handle.metadata.key
  let db: RocksDB | undefined
  try {
    const metadata = readIncrementalMetadata(await storage.readFile(handle.metadata), name)
    checkHeader(name, metadata, handle, summary, problems)
    const directory = await mkdtemp(path.join(context.scratch, 'incremental-'))
    await fetchIncrementalCheckpoint(handle, storage, directory, metadata)
    const fileBytes = files.reduce((sum, { ref }) => sum + ref.size, 0)
    context.progress.add(fileBytes)
    const columnFamilies = metadata.states.map((state) => ({ name: state.name, ...stateColumnFamilyOptions(state.kind, state.ttl.seconds) }))
    db = await RocksDB.open(directory, { readOnly: true, useMemoryBudget: false, columnFamilies })
    const prefixBytes = keyGroupPrefixBytes(metadata.maxParallelism)
    let outside = 0
    for (const meta of metadata.states) {
      const state = stateSummary(summary, meta, name, problems)
      for (const [key, value] of db.columnFamily(meta.name).iterator({ raw: true })) {
        const group = groups.get(readKeyGroupPrefix(key, 0, prefixBytes))
        if (group === undefined) outside++
        else tallyEntry(state, group, key, value, prefixBytes)
      }
    }
    if (outside > 0) problems.push({ kind: 'corrupt', message: `handle ${index}: ${outside} entries of key groups outside its range ${range.start}-${range.end}` })
    context.progress.add(fileBytes)
  } catch (error) {
    if (!(error instanceof CorruptCheckpointError || error instanceof CorruptDataError || error instanceof RocksDBError)) throw error
    problems.push({ kind: 'corrupt', message: `handle ${index}: ${error.message}` })
  } finally {
    await db?.close()
  }
  for (const group of groups.values()) {
    handleSummary.entries += group.entries
    handleSummary.bytes += group.bytes
  }
  summary.totals.entries += handleSummary.entries
  summary.totals.bytes += handleSummary.bytes
}
