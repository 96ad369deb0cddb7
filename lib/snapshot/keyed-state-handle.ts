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
  /** SHA-256 (hex) of the other fields, in the order docs/format.md gives. */
  checksum: string
}

/**
 * An incremental checkpoint of one backend (docs/format.md, "Incremental handle"): the files of a RocksDB checkpoint plus the
 * state metadata. `sharedFiles` maps each SST file's local name to where it is stored; SST files
 * are immutable, so later checkpoints of the same backend reference them instead of uploading
 * them again (their keys then name the checkpoint that uploaded them). `privateFiles` (MANIFEST,
 * CURRENT, OPTIONS where RocksDB wrote one, ...) belong to this checkpoint alone. `metadata` holds
 * the same snapshot metadata a full stream's header holds.
 */
export interface IncrementalKeyedStateHandle {
  kind: 'incremental'
  version: number
  checkpointId: number
  jobId?: string
  /** The backend that wrote the checkpoint (its shared files live under its id). */
  backendId: string
  keyGroupRange: KeyGroupRangeJSON
  sharedFiles: Record<string, FileRef>
  privateFiles: Record<string, FileRef>
  metadata: FileRef
  checksum: string
}

/** What `snapshot()` returns: a full or an incremental handle (`kind`). */
export type KeyedStateHandle = FullKeyedStateHandle | IncrementalKeyedStateHandle

/** `Omit` of each member of a union. */
type Without<H, K extends keyof KeyedStateHandle> = H extends unknown ? Omit<H, K> : never

/** A handle's fields: `sealHandle` adds the version and checksum. */
export type UnsealedHandle = Without<KeyedStateHandle, 'version' | 'checksum'>

/** Adds the version and the checksum over every field. */
export function sealHandle<H extends UnsealedHandle>(fields: H): H & { version: number; checksum: string } {
  const handle = { ...fields, version: HANDLE_VERSION }
  return { ...handle, checksum: handleChecksum(handle as Without<KeyedStateHandle, 'checksum'>) }
}

/** SHA-256 of the handle's fields in a fixed order, so that JSON key order never matters. */
function handleChecksum(handle: Without<KeyedStateHandle, 'checksum'>): string {
  const { kind, version, checkpointId, jobId, keyGroupRange } = handle
  const common = [kind, version, checkpointId, jobId ?? null, keyGroupRange.start, keyGroupRange.end]
  const fields =
    handle.kind === 'full'
      ? [...common, handle.keyGroupOffsets, handle.stream.key, handle.stream.size, handle.stream.sha256]
      : [...common, handle.backendId, sortedRefs(handle.sharedFiles), sortedRefs(handle.privateFiles), refFields(handle.metadata)]
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex')
}

function refFields(ref: FileRef): [string, number, string] {
  return [ref.key, ref.size, ref.sha256]
}

function sortedRefs(files: Record<string, FileRef>): [string, [string, number, string]][] {
  return Object.keys(files)
    .sort()
    .map((name) => [name, refFields(files[name]!)])
}

/** Checks an untrusted handle (parsed JSON) and returns it typed; CorruptCheckpointError otherwise. */
export function parseKeyedStateHandle(value: unknown): KeyedStateHandle {
  const fail = (why: string): never => {
    throw new CorruptCheckpointError(`invalid keyed state handle: ${why}`)
  }
  if (typeof value !== 'object' || value === null) return fail('not an object')
  const handle = value as Record<string, unknown>
  if (handle.kind !== 'full' && handle.kind !== 'incremental') return fail(`unknown kind '${String(handle.kind)}'`)
  if (handle.version === undefined) return fail('no version')
  if (!Number.isSafeInteger(handle.version)) return fail(`version ${JSON.stringify(handle.version)} is not an integer`)
  if ((handle.version as number) > HANDLE_VERSION) {
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
  const common = {
    version: HANDLE_VERSION,
    checkpointId: handle.checkpointId as number,
    ...(handle.jobId === undefined ? {} : { jobId: handle.jobId as string }),
    keyGroupRange: range.toJSON(),
  }
  const parsed: Without<KeyedStateHandle, 'checksum'> =
    handle.kind === 'full' ? { kind: 'full', ...common, ...fullFields(handle, range, fail) } : { kind: 'incremental', ...common, ...incrementalFields(handle, fail) }
  if (handle.checksum !== handleChecksum(parsed)) {
    return fail(`checksum ${JSON.stringify(handle.checksum)} does not match its fields (altered offsets, range or files)`)
  }
  return { ...parsed, checksum: handle.checksum } as KeyedStateHandle
}

function fullFields(handle: Record<string, unknown>, range: KeyGroupRange, fail: (why: string) => never): Pick<FullKeyedStateHandle, 'keyGroupOffsets' | 'stream'> {
  const offsets = handle.keyGroupOffsets
  if (!Array.isArray(offsets) || offsets.length !== range.numberOfKeyGroups) {
    return fail(`keyGroupOffsets must have one entry per key group of ${range}`)
  }
  for (const offset of offsets) {
    if (!Number.isSafeInteger(offset) || (offset as number) < 0) return fail('keyGroupOffsets must be non-negative integers')
  }
  return { keyGroupOffsets: offsets as number[], stream: fileRef(handle.stream, 'stream', fail) }
}

/**
 * The names a RocksDB checkpoint's files have: a restore writes them into the instance directory,
 * so no other name (the instance marker, the scratch directory) may come from a handle.
 */
const SHARED_FILE_NAME = /^[0-9]{1,20}\.sst$/
const PRIVATE_FILE_NAME = /^([0-9]{1,20}\.(log|blob)|CURRENT|IDENTITY|MANIFEST-[0-9]{1,20}|OPTIONS-[0-9]{1,20})$/

/** Whether a RocksDB checkpoint's file is shared (an SST file) or private; undefined for a name no checkpoint file has. */
export function checkpointFileKind(name: string): 'shared' | 'private' | undefined {
  return SHARED_FILE_NAME.test(name) ? 'shared' : PRIVATE_FILE_NAME.test(name) ? 'private' : undefined
}
const BACKEND_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

function incrementalFields(
  handle: Record<string, unknown>,
  fail: (why: string) => never,
): Pick<IncrementalKeyedStateHandle, 'backendId' | 'sharedFiles' | 'privateFiles' | 'metadata'> {
  const { backendId } = handle
  if (typeof backendId !== 'string' || !BACKEND_ID.test(backendId)) return fail(`backendId ${JSON.stringify(backendId)} is not a valid id`)
  const files = (value: unknown, what: 'sharedFiles' | 'privateFiles'): Record<string, FileRef> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`${what} must be an object`)
    const refs: Record<string, FileRef> = {}
    for (const [name, ref] of Object.entries(value)) {
      if (checkpointFileKind(name) !== (what === 'sharedFiles' ? 'shared' : 'private')) {
        return fail(`${what} has a name no RocksDB checkpoint file of that kind has: ${JSON.stringify(name).slice(0, 100)}`)
      }
      refs[name] = fileRef(ref, `${what}.${name}`, fail)
    }
    return refs
  }
  const sharedFiles = files(handle.sharedFiles, 'sharedFiles')
  const privateFiles = files(handle.privateFiles, 'privateFiles')
  if (privateFiles.CURRENT === undefined) return fail('privateFiles has no CURRENT file')
  return { backendId, sharedFiles, privateFiles, metadata: fileRef(handle.metadata, 'metadata', fail) }
}

function fileRef(value: unknown, what: string, fail: (why: string) => never): FileRef {
  try {
    return checkFileRef(value)
  } catch (error) {
    return fail(`${what}: ${(error as Error).message}`)
  }
}
