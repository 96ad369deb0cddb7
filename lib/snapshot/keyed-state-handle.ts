import { createHash } from 'node:crypto'
import { CorruptCheckpointError } from '../errors'
import { KeyGroupRange, type KeyGroupRangeJSON } from '../keygroups/key-group-range'
import { checkFileRef, type FileRef } from '../storage/file-ref'
import { checkJobId } from '../storage/layout'

/** 2: handles carry `checksum` (version 1 handles had none and are refused). */
export const HANDLE_VERSION = 2

/**
 * What `backend.snapshot()` returns and `restoreFrom` takes: plain JSON, safe to store and
 * send anywhere. A full handle points at one stream file holding every key group of its
 * range; `keyGroupOffsets[i]` is where key group `range.start + i` starts in it (0 = empty).
 * `checksum` covers every other field: the stream file is verified by its SHA-256, the handle's
 * own fields (offsets above all, which decide what a restore reads) by this. The checksum is
 * unkeyed, so anyone can reseal an edited handle: a restore also checks the offsets against the
 * key-group index inside the stream.
 */
export interface FullKeyedStateHandle {
  kind: 'full'
  version: number
  checkpointId: number
  /** The job of the backend that wrote it, when it was opened with `jobId`. */
  jobId?: string
  keyGroupRange: KeyGroupRangeJSON
  keyGroupOffsets: number[]
  stream: FileRef
  /** SHA-256 (hex) of the other fields, see `handleChecksum`. */
  checksum: string
}

export type KeyedStateHandle = FullKeyedStateHandle

/** A full handle's fields: `sealHandle` adds the version and checksum. */
export type UnsealedHandle = Omit<FullKeyedStateHandle, 'version' | 'checksum'>

/** Adds the version and the checksum over every field. */
export function sealHandle(fields: UnsealedHandle): FullKeyedStateHandle {
  const handle = { ...fields, version: HANDLE_VERSION }
  return { ...handle, checksum: handleChecksum(handle) }
}

/** SHA-256 of the handle's fields in a fixed order, so that JSON key order never matters. */
function handleChecksum(handle: Omit<FullKeyedStateHandle, 'checksum'>): string {
  const { kind, version, checkpointId, jobId, keyGroupRange, keyGroupOffsets, stream } = handle
  const fields = [kind, version, checkpointId, jobId ?? null, keyGroupRange.start, keyGroupRange.end, keyGroupOffsets, stream.key, stream.size, stream.sha256]
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}

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
  if (handle.version !== HANDLE_VERSION) {
    return fail(`version ${handle.version} has no checksum over its offsets; take a new checkpoint with this version of the library`)
  }
  if (!Number.isSafeInteger(handle.checkpointId) || (handle.checkpointId as number) < 0) return fail('checkpointId must be a non-negative integer')
  if (handle.jobId !== undefined) {
    try {
      checkJobId(handle.jobId as string)
    } catch (error) {
      return fail(`jobId: ${(error as Error).message}`)
    }
  }
  let range: KeyGroupRange
  try {
    range = KeyGroupRange.fromJSON(handle.keyGroupRange)
  } catch (error) {
    return fail(`keyGroupRange: ${(error as Error).message}`)
  }
  if (range.isEmpty) return fail('keyGroupRange is empty')
  const offsets = handle.keyGroupOffsets
  if (!Array.isArray(offsets) || offsets.length !== range.numberOfKeyGroups) {
    return fail(`keyGroupOffsets must have one entry per key group of ${range}`)
  }
  for (const offset of offsets) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) return fail('keyGroupOffsets must be non-negative integers')
  }
  let stream: FileRef
  try {
    stream = checkFileRef(handle.stream)
  } catch (error) {
    return fail(`stream: ${(error as Error).message}`)
  }
  const parsed: Omit<FullKeyedStateHandle, 'checksum'> = {
    kind: 'full',
    version: HANDLE_VERSION,
    checkpointId: handle.checkpointId as number,
    ...(handle.jobId === undefined ? {} : { jobId: handle.jobId as string }),
    keyGroupRange: range.toJSON(),
    keyGroupOffsets: offsets as number[],
    stream,
  }
  if (handle.checksum !== handleChecksum(parsed)) {
    return fail(`checksum ${JSON.stringify(handle.checksum)} does not match its fields (altered offsets, range or stream)`)
  }
  return { ...parsed, checksum: handle.checksum }
}
