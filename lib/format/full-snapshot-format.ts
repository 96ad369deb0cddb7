/**
 * The full-snapshot stream (DESIGN §6): one file per snapshot, written by `FullSnapshotWriter`,
 * read by `FullSnapshotReader`. Every number is big-endian, as Java's DataOutputStream writes it.
 *
 * Header:
 *   'RKSF'                 magic, 4 bytes
 *   uint16 version         FORMAT_VERSION
 *   uint32 length          of the metadata that follows (at most MAX_METADATA_BYTES)
 *   metadata               UTF-8 JSON object: the caller's metadata plus `compression` and
 *                          `keyGroupPrefixBytes`, which the reader needs to decode the body
 *
 * Body, key group by key group in ascending order, each non-empty key group exactly the original's:
 *   int16 kvStateId
 *   pairs of  int32 length + key bytes,  int32 length + value bytes   ordered by (kvStateId, key)
 *   the last pair of a state run has bit 0x80 set in its key's first byte (a key starts with its
 *   key-group prefix, whose top bit is otherwise 0); after it comes the next run's int16 kvStateId,
 *   or 0xFFFF when the key group ends.
 * `keyGroupOffsets` (kept by the caller, e.g. in the snapshot handle) give the file offset where
 * each non-empty key group starts, so a restore reads only the key groups it needs.
 *
 * Key-group index, after the body (the same offsets, recorded by the writer inside the file its
 * SHA-256 covers, so offsets kept elsewhere are checked against the data they point into):
 *   uint32 count                                   non-empty key groups
 *   count × (uint16 keyGroup, uint64 offset)       ascending; the first offset is the body's start
 * Footer, the file's last FOOTER_BYTES:
 *   uint64 indexOffset                             where the index starts, i.e. the body ends
 *   'RKSI'                                         INDEX_MAGIC
 *
 * Compression (`compression` other than 'none'): each key group's body bytes are cut into frames
 * of at most FRAME_BYTES uncompressed bytes, each compressed on its own:
 *   uint32 rawLength, uint32 compressedLength, compressed bytes
 * A frame never spans two key groups, so a key group's offset points at its first frame and it
 * decodes on its own; frames (rather than one blob per key group) keep the memory of writer and
 * reader bounded however large a key group grows. The stored rawLength lets the reader refuse a
 * frame that would decompress to more than FRAME_BYTES before decompressing anything.
 */

import type { CodecName } from './codecs'

export const MAGIC = Buffer.from('RKSF', 'latin1')
/**
 * 3: the key-group index and footer after the body. 2: list state values are timestamped element
 * records (lib/state/timestamped-list.ts); 1 held ','-joined lists.
 */
export const FORMAT_VERSION = 3
/** Bytes before the metadata: magic, version, metadata length. */
export const HEADER_FIXED_BYTES = 4 + 2 + 4
export const MAX_METADATA_BYTES = 64 * 1024 * 1024

export const INDEX_MAGIC = Buffer.from('RKSI', 'latin1')
/** The index's count of key groups. */
export const INDEX_COUNT_BYTES = 4
/** One index entry: uint16 key group, uint64 offset. */
export const INDEX_ENTRY_BYTES = 2 + 8
/** The footer: uint64 index offset, INDEX_MAGIC. */
export const FOOTER_BYTES = 8 + 4
/** The largest index: one entry per key group of the widest (2-byte) prefix. */
export const MAX_INDEX_BYTES = INDEX_COUNT_BYTES + 0x8000 * INDEX_ENTRY_BYTES

/** Written instead of a kvStateId after the last pair of a key group (an int16 -1 to Java). */
export const END_OF_KEY_GROUP = 0xffff
/** Set in the first key byte of the last pair before a kvStateId or END_OF_KEY_GROUP follows. */
export const META_DATA_FOLLOWS_FLAG = 0x80
/** kvStateIds are written as int16; keeping them non-negative keeps them apart from END_OF_KEY_GROUP. */
export const MAX_KV_STATE_ID = 0x7fff
/** Keys and values carry int32 lengths. */
export const MAX_ENTRY_PART_BYTES = 0x7fffffff

/** Uncompressed bytes per compression frame, at most. */
export const FRAME_BYTES = 256 * 1024
/** A frame's compressed bytes, at most: generous for any codec's worst-case expansion. */
export const MAX_COMPRESSED_FRAME_BYTES = 2 * FRAME_BYTES
export const FRAME_HEADER_BYTES = 8

/** 'none' (the original's layout, no frames) or the name of a codec in `./codecs`. */
export type Compression = 'none' | CodecName

/** The header metadata fields that belong to the format itself. */
export interface FormatMetadata {
  compression: Compression
  keyGroupPrefixBytes: 1 | 2
}
