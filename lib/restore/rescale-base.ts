import { keyGroupPrefixBytes, writeKeyGroupPrefix, type KeyGroupPrefixBytes } from '../keygroups/key-group-prefix'
import { KeyGroupRange } from '../keygroups/key-group-range'
import type { ColumnFamily } from '../native/column-family'
import type { RocksDB } from '../native/rocksdb'
import type { IncrementalKeyedStateHandle, KeyedStateHandle } from '../snapshot/keyed-state-handle'

/**
 * Flink's `state.backend.rocksdb.restore-overlap-fraction-threshold` default: a base is always
 * chosen. Clipping a base costs two range tombstones and dropping whole files, far less than
 * rewriting even a third of a handle, so a low share is still the faster restore; the price is disk
 * space held by files that straddle the range's ends until compaction reclaims it.
 */
export const DEFAULT_RESCALE_OVERLAP_THRESHOLD = 0

/**
 * The incremental handle to install as the base of a rescaled restore (Flink's
 * `chooseTheBestStateHandleForInitial`): the one sharing the most key groups with `range`, among
 * those whose shared key groups are at least `threshold` of their own range; ties go to the larger
 * share. Undefined when none qualifies: every handle is then brought in by export or copy.
 */
export function chooseBaseHandle(handles: readonly KeyedStateHandle[], range: KeyGroupRange, threshold: number): IncrementalKeyedStateHandle | undefined {
  let best: { handle: IncrementalKeyedStateHandle; overlap: number; share: number } | undefined
  for (const handle of handles) {
    if (handle.kind !== 'incremental') continue
    const own = KeyGroupRange.fromJSON(handle.keyGroupRange)
    const overlap = own.intersection(range).numberOfKeyGroups
    const share = overlap / own.numberOfKeyGroups
    if (overlap === 0 || share < threshold) continue
    if (best === undefined || overlap > best.overlap || (overlap === best.overlap && share > best.share)) best = { handle, overlap, share }
  }
  return best?.handle
}

/** The keys of `range`'s key groups: [prefix start, prefix end+1). */
export function keyRangeOf(range: KeyGroupRange, maxParallelism: number): { gte: Buffer; lt: Buffer } {
  const prefixBytes = keyGroupPrefixBytes(maxParallelism)
  return { gte: keyGroupBound(range.start, prefixBytes), lt: keyGroupBound(range.end + 1, prefixBytes) }
}

function keyGroupBound(keyGroup: number, prefixBytes: KeyGroupPrefixBytes): Buffer {
  const bytes = Buffer.alloc(prefixBytes)
  writeKeyGroupPrefix(keyGroup, prefixBytes, bytes, 0)
  return bytes
}

/**
 * The key ranges outside `range` of a database whose keys start with a key-group prefix:
 * [prefix 0, prefix start) and [prefix end+1, past every prefix). Empty ones are left out.
 */
export function rangesOutside(range: KeyGroupRange, maxParallelism: number): [Buffer, Buffer][] {
  const prefixBytes = keyGroupPrefixBytes(maxParallelism)
  const bound = (keyGroup: number) => keyGroupBound(keyGroup, prefixBytes)
  const outside: [Buffer, Buffer][] = []
  if (range.start > 0) outside.push([bound(0), bound(range.start)])
  // The largest prefix the width holds is above every key group (< 0x80 / 0x8000).
  if (range.end < maxParallelism - 1) outside.push([bound(range.end + 1), bound((1 << (8 * prefixBytes)) - 1)])
  return outside
}

/**
 * Flink's `clipDBWithKeyGroupRange`: removes every key outside `range` from every column family of
 * the installed base. Files wholly outside are dropped first (`deleteFilesInRange`: their disk
 * space comes back at once), then a `deleteRange` hides the rest of a side, which compaction drops
 * later. A side no file reaches into any more needs no range tombstone, and gets none: tombstones
 * cost reads until compacted, make the next flush rewrite the files they overlap, and a column
 * family holding one cannot take other handles' files as they are. Returns the key ranges that got
 * a tombstone, per column family: what compacting reclaims.
 */
export async function clipToKeyGroupRange(db: RocksDB, range: KeyGroupRange, maxParallelism: number, signal?: AbortSignal): Promise<ClippedRange[]> {
  const outside = rangesOutside(range, maxParallelism)
  const clipped: ClippedRange[] = []
  for (const cf of db.columnFamilies()) {
    for (const [begin, end] of outside) {
      signal?.throwIfAborted()
      await db.deleteFilesInRange(cf, begin, end)
      const reached = db.liveFiles().some((file) => file.columnFamily === cf.name && file.smallestKey.compare(end) < 0 && file.largestKey.compare(begin) >= 0)
      if (!reached && holdsNothingInMemory(db, cf)) continue
      cf.deleteRange(begin, end)
      clipped.push({ cf, begin, end })
    }
  }
  return clipped
}

/** A key range of one column family that clipping hid behind a range tombstone. */
export interface ClippedRange {
  cf: ColumnFamily
  begin: Buffer
  end: Buffer
}

/** Whether `cf`'s memtables are empty: everything it holds is in its live files. */
export function holdsNothingInMemory(db: RocksDB, cf: ColumnFamily): boolean {
  return ['rocksdb.num-entries-active-mem-table', 'rocksdb.num-entries-imm-mem-tables'].every((property) => db.getProperty(property, cf) === '0')
}
