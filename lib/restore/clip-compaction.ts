import type { RocksDB } from '../native/rocksdb'
import type { ClippedRange } from './rescale-base'

/**
 * Compacts the key ranges clipping hid behind range tombstones (`clipToKeyGroupRange`), one at a
 * time, each on RocksDB's threads (`compactRange` never blocks the event loop): the tombstones and
 * the entries they hide leave the files, so the disk space of what the clipped base held outside
 * the range comes back and reads stop paying for the tombstones. Stops before the next range once
 * `stopped()` holds (the backend is closing: its close waits for the one running).
 */
export async function compactClippedRanges(db: RocksDB, ranges: readonly ClippedRange[], stopped: () => boolean): Promise<void> {
  for (const { cf, begin, end } of ranges) {
    if (stopped()) return
    await db.compactRange(cf, begin, end)
  }
}
