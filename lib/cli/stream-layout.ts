import type { FileHandle } from 'node:fs/promises'
import { FRAME_HEADER_BYTES, type Compression } from '../format/full-snapshot-format'

/**
 * Checks that a full-snapshot stream's body has no byte that belongs to no key group: the non-empty
 * key groups, in offset order, must start right after the header, follow each other without gap or
 * overlap, and the last must end where the key-group index starts. The reader checks each key
 * group on its own and the index's order; this is what "parsed end to end" adds. A key group's extent is computed from what was
 * parsed (docs/format.md): its decoded body is 2 bytes of its first kvStateId, 8 + key + value
 * bytes per entry and 2 bytes after each run (the next kvStateId or the end marker); compressed,
 * it is the frames that decode to that many bytes.
 */
export interface KeyGroupExtent {
  keyGroup: number
  offset: number
  /** Decoded body bytes, as computed above. */
  bodyBytes: number
}

/** The file bytes `extent` occupies: its body, or the frames holding it. */
export async function storedBytes(file: FileHandle, compression: Compression, extent: KeyGroupExtent): Promise<number> {
  if (compression === 'none') return extent.bodyBytes
  const header = Buffer.alloc(FRAME_HEADER_BYTES)
  let decoded = 0
  let at = extent.offset
  while (decoded < extent.bodyBytes) {
    const { bytesRead } = await file.read(header, 0, FRAME_HEADER_BYTES, at)
    if (bytesRead < FRAME_HEADER_BYTES) break
    decoded += header.readUInt32BE(0)
    at += FRAME_HEADER_BYTES + header.readUInt32BE(4)
  }
  return at - extent.offset
}

/** One message per gap or overlap between `bodyOffset` and `bodyEnd`, given each key group's stored bytes. */
export function layoutProblems(name: string, bodyOffset: number, bodyEnd: number, extents: readonly (KeyGroupExtent & { stored: number })[]): string[] {
  const problems: string[] = []
  let expected = bodyOffset
  let previous = 'the header'
  for (const extent of [...extents].sort((a, b) => a.offset - b.offset)) {
    if (extent.offset > expected) problems.push(`${name}: bytes [${expected}, ${extent.offset}) after ${previous} belong to no key group`)
    if (extent.offset < expected) problems.push(`${name}: key group ${extent.keyGroup} at offset ${extent.offset} overlaps ${previous}, which ends at ${expected}`)
    expected = extent.offset + extent.stored
    previous = `key group ${extent.keyGroup}`
  }
  if (expected < bodyEnd) problems.push(`${name}: bytes [${expected}, ${bodyEnd}) after ${previous} belong to no key group`)
  if (expected > bodyEnd) problems.push(`${name}: ${previous} runs to offset ${expected}, past the end of the body (${bodyEnd})`)
  return problems
}
