import { CorruptCheckpointError } from '../errors'
import { KeyGroupRange, type KeyGroupRangeJSON } from '../keygroups/key-group-range'
import { checkFileRef, type FileRef } from '../storage/file-ref'

export const HANDLE_VERSION = 1

/**
 * What `backend.snapshot()` returns and `restoreFrom` takes: plain JSON, safe to store and
 * send anywhere. A full handle points at one stream file holding every key group of its
 * range; `keyGroupOffsets[i]` is where key group `range.start + i` starts in it (0 = empty).
 */
export interface FullKeyedStateHandle {
  kind: 'full'
  version: number
  checkpointId: number
  keyGroupRange: KeyGroupRangeJSON
  keyGroupOffsets: number[]
  stream: FileRef
}

export type KeyedStateHandle = FullKeyedStateHandle

/** Checks an untrusted handle (parsed JSON) and returns it typed; CorruptCheckpointError otherwise. */
export function parseKeyedStateHandle(value: unknown): KeyedStateHandle {
  const fail = (why: string): never => {
    throw new CorruptCheckpointError(`invalid keyed state handle: ${why}`)
  }
  if (typeof value !== 'object' || value === null) return fail('not an object')
  const handle = value as Record<string, unknown>
  if (handle.kind !== 'full') return fail(`unknown kind '${String(handle.kind)}'`)
  if (typeof handle.version !== 'number' || handle.version > HANDLE_VERSION) {
    return fail(`version ${String(handle.version)} is newer than this library reads (${HANDLE_VERSION})`)
  }
  if (!Number.isSafeInteger(handle.checkpointId)) return fail('checkpointId must be an integer')
  let range: KeyGroupRange
  try {
    range = KeyGroupRange.fromJSON(handle.keyGroupRange)
  } catch (error) {
    return fail(`keyGroupRange: ${(error as Error).message}`)
  }
  const offsets = handle.keyGroupOffsets
  if (!Array.isArray(offsets) || offsets.length !== range.numberOfKeyGroups) {
    return fail(`keyGroupOffsets must have one entry per key group of ${range}`)
  }
  for (const offset of offsets) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) return fail('keyGroupOffsets must be non-negative integers')
  }
  try {
    checkFileRef(handle.stream)
  } catch (error) {
    return fail(`stream: ${(error as Error).message}`)
  }
  return handle as unknown as FullKeyedStateHandle
}
