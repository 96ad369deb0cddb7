import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { FsCheckpointStorage, FullKeyedStateHandle } from '../../lib'
import { FOOTER_BYTES, INDEX_COUNT_BYTES, INDEX_ENTRY_BYTES } from '../../lib/format'
import { reseal } from '../snapshot/reseal'

/** Bytes before the metadata in a full-snapshot stream: magic, uint16 version, uint32 metadata length. */
const FIXED = 10

/**
 * A copy of `handle`'s stream with its header metadata (and optionally its format version)
 * rewritten, uploaded as a new valid file, and a resealed handle for it whose offsets (and the
 * stream's key-group index) follow the body's move: a crafted checkpoint that every checksum vouches for.
 */
export async function craftStream(
  storage: FsCheckpointStorage,
  handle: FullKeyedStateHandle,
  edit: (metadata: Record<string, any>) => void,
  version?: number,
): Promise<FullKeyedStateHandle> {
  const bytes = readFileSync(path.join(storage.root, handle.stream.key))
  const length = bytes.readUInt32BE(6)
  const metadata = JSON.parse(bytes.toString('utf8', FIXED, FIXED + length))
  edit(metadata)
  const json = Buffer.from(JSON.stringify(metadata))
  const header = Buffer.alloc(FIXED)
  bytes.copy(header, 0, 0, 6)
  if (version !== undefined) header.writeUInt16BE(version, 4)
  header.writeUInt32BE(json.length, 6)
  const body = Buffer.from(bytes.subarray(FIXED + length))
  const shift = json.length - length
  // The key-group index and the footer hold file offsets: they move with the body.
  const footerAt = body.length - FOOTER_BYTES
  const indexOffset = body.readBigUInt64BE(footerAt)
  body.writeBigUInt64BE(indexOffset + BigInt(shift), footerAt)
  const indexAt = Number(indexOffset) - FIXED - length
  for (let i = 0; i < body.readUInt32BE(indexAt); i++) {
    const at = indexAt + INDEX_COUNT_BYTES + i * INDEX_ENTRY_BYTES + 2
    body.writeBigUInt64BE(body.readBigUInt64BE(at) + BigInt(shift), at)
  }
  const stream = await storage.writeFile(`${handle.stream.key}.crafted-${Math.random().toString(36).slice(2)}`, Buffer.concat([header, json, body]))
  return reseal({ ...handle, stream, keyGroupOffsets: handle.keyGroupOffsets.map((offset) => (offset === 0 ? 0 : offset + shift)) })
}
