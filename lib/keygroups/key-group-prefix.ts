import { CorruptDataError } from '../errors'
import { checkMaxParallelism } from './assignment'

// Every RocksDB key of a keyed state starts with its key group, big-endian, so a key group is one
// contiguous key range (snapshots, rescaling and clipping work on such ranges).

/** Bytes of the key-group prefix: 1 byte up to 128 key groups, else 2 (key groups < 32768). */
export type KeyGroupPrefixBytes = 1 | 2

/**
 * The prefix width for `maxParallelism` key groups. Key groups are then at most 0x7F / 0x7FFF, so
 * the first byte's top bit is always 0: the full-snapshot format uses that bit as a marker.
 */
export function keyGroupPrefixBytes(maxParallelism: number): KeyGroupPrefixBytes {
  checkMaxParallelism(maxParallelism)
  return maxParallelism > 128 ? 2 : 1
}

/**
 * Writes `keyGroup` big-endian into `buf` at `offset` and returns the offset after it. Any value
 * the width can hold is accepted (not just key groups), so `end + 1` works as an exclusive bound.
 */
export function writeKeyGroupPrefix(keyGroup: number, prefixBytes: KeyGroupPrefixBytes, buf: Uint8Array, offset: number): number {
  if (!(Number.isInteger(keyGroup) && keyGroup >= 0 && keyGroup < 1 << (8 * prefixBytes))) {
    throw new RangeError(`key group ${keyGroup} does not fit a ${prefixBytes}-byte prefix`)
  }
  if (!(offset >= 0 && offset + prefixBytes <= buf.length)) {
    throw new RangeError(`no room for a ${prefixBytes}-byte prefix at offset ${offset} of ${buf.length} byte(s)`)
  }
  if (prefixBytes === 2) {
    buf[offset] = keyGroup >>> 8
    buf[offset + 1] = keyGroup & 0xff
  } else {
    buf[offset] = keyGroup
  }
  return offset + prefixBytes
}

/** Reads a big-endian key-group prefix from `buf` at `offset`; `CorruptDataError` if `buf` is too short. */
export function readKeyGroupPrefix(buf: Uint8Array, offset: number, prefixBytes: KeyGroupPrefixBytes): number {
  if (!(offset >= 0 && offset + prefixBytes <= buf.length)) {
    throw new CorruptDataError(`truncated key: needs a ${prefixBytes}-byte key-group prefix at offset ${offset}, has ${buf.length} byte(s)`)
  }
  return prefixBytes === 2 ? (buf[offset]! << 8) | buf[offset + 1]! : buf[offset]!
}
