import { CorruptCheckpointError } from '../errors'
import { keyGroupPrefixBytes } from '../keygroups/key-group-prefix'
import { parseSnapshotMetadata, type SnapshotMetadata } from './state-snapshot-meta'

/*
 * The metadata file of an incremental checkpoint (DESIGN §6): UTF-8 JSON
 *   { "format": "rocksdb-keyed-state/incremental-metadata", "version": 1,
 *     "keyGroupPrefixBytes": 1 | 2, "snapshot": <the full stream header's metadata> }
 * The same metadata, checked by the same validator, as a full snapshot's header.
 */

const FORMAT = 'rocksdb-keyed-state/incremental-metadata'
export const INCREMENTAL_METADATA_VERSION = 1
/** Far above any real state list, far below a harmful allocation. */
export const MAX_INCREMENTAL_METADATA_BYTES = 64 << 20

export function writeIncrementalMetadata(metadata: SnapshotMetadata): Buffer {
  const file = {
    format: FORMAT,
    version: INCREMENTAL_METADATA_VERSION,
    keyGroupPrefixBytes: keyGroupPrefixBytes(metadata.maxParallelism),
    snapshot: metadata,
  }
  return Buffer.from(JSON.stringify(file))
}

/** Reads and validates a metadata file; every problem is a `CorruptCheckpointError` naming `name`. */
export function readIncrementalMetadata(bytes: Buffer, name: string): SnapshotMetadata {
  const fail = (why: string): never => {
    throw new CorruptCheckpointError(`incremental metadata '${name}' ${why}`)
  }
  if (bytes.length > MAX_INCREMENTAL_METADATA_BYTES) return fail(`has ${bytes.length} bytes, more than ${MAX_INCREMENTAL_METADATA_BYTES}`)
  let file: Record<string, unknown>
  try {
    file = JSON.parse(bytes.toString('utf8'))
  } catch (error) {
    return fail(`is not valid JSON: ${(error as Error).message}`)
  }
  if (typeof file !== 'object' || file === null || file.format !== FORMAT) return fail('is not incremental checkpoint metadata')
  if (file.version !== INCREMENTAL_METADATA_VERSION) {
    return fail(`has version ${JSON.stringify(file.version)}; this library reads version ${INCREMENTAL_METADATA_VERSION}`)
  }
  if (file.keyGroupPrefixBytes !== 1 && file.keyGroupPrefixBytes !== 2) return fail('has no valid keyGroupPrefixBytes')
  return parseSnapshotMetadata(file.snapshot, file.keyGroupPrefixBytes)
}
