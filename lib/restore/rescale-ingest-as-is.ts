import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { ColumnFamily } from '../native/column-family'
import { RocksDB, type LiveFile } from '../native/rocksdb'
import type { RestoreProgress, RestoreTarget } from './full-restore'
import { holdsNothingInMemory, keyRangeOf } from './rescale-base'

/**
 * Ingests the SST files of column family `name` of an opened checkpoint into `cf` as they are,
 * when the RocksDB in use can (`allow_db_generated_files`, 9.10 on) and it is exact: every key is
 * at sequence number 0 with no deletions (what a bottommost compaction leaves: nothing in them can
 * shadow or be shadowed by the target's entries), the files overlap neither each other nor any
 * file of `cf`, and `cf` holds nothing in memory. Files holding no key of `bounds` are left out.
 * A file may also hold keys outside `bounds` where those lie outside the target's range too (the
 * checkpoint's range straddles the target's): as a rescaling base's, they are hidden by the clip
 * that must follow (`clipToKeyGroupRange`, after every ingestion: its range tombstones then cover
 * the ingested files too), and `reachesOutside` says so (progress counts every entry of an
 * ingested file, those the clip hides too). Returns undefined, having done nothing, when any of
 * that does not hold: the caller then exports the entries instead. Else returns which file of the
 * target (by name) each ingested file became: the same file (RocksDB links it and, with no global
 * sequence number to write, never changes it), found by its inode; a file RocksDB had to copy is
 * left out.
 */
export async function ingestFilesAsIs(
  target: RestoreTarget,
  cf: ColumnFamily,
  source: RocksDB,
  name: string,
  bounds: { gte: Buffer; lt: Buffer },
  progress: RestoreProgress,
): Promise<{ files: Map<string, string>; reachesOutside: boolean } | undefined> {
  if (!RocksDB.canIngestDbGeneratedFiles) return undefined
  const files = source.liveFiles().filter((file) => file.columnFamily === name && file.largestKey.compare(bounds.gte) >= 0 && file.smallestKey.compare(bounds.lt) < 0)
  // Beyond `bounds` but inside the target's range a file may hold keys its checkpoint hid (a
  // clip's tombstones in a file of their own, the checkpoint taken before the clip compaction):
  // only the target's clip hides what a file brings along, so only beyond the target's range.
  const targetKeys = keyRangeOf(target.keyGroupRange, target.maxParallelism)
  const clippedBelow = bounds.gte.equals(targetKeys.gte)
  const clippedAbove = bounds.lt.equals(targetKeys.lt)
  const exact = files.every(
    (file) =>
      file.smallestSeqno === 0 &&
      file.largestSeqno === 0 &&
      file.deletions === 0 &&
      (clippedBelow || file.smallestKey.compare(bounds.gte) >= 0) &&
      (clippedAbove || file.largestKey.compare(bounds.lt) < 0),
  )
  const existing = target.db.liveFiles().filter((file) => file.columnFamily === cf.name)
  if (files.length === 0 || !exact || !holdsNothingInMemory(target.db, cf) || overlapping([...files, ...existing])) return undefined
  const reachesOutside = files.some((file) => file.smallestKey.compare(bounds.gte) < 0 || file.largestKey.compare(bounds.lt) >= 0)
  const paths = files.map((file) => path.join(file.directory, file.name))
  const sources = new Map<number, string>()
  for (const [i, file] of paths.entries()) sources.set((await stat(file)).ino, files[i]!.name)
  await target.db.ingest(cf, paths, { moveFiles: true, dbGeneratedFiles: true })
  progress.entries += files.reduce((sum, file) => sum + file.entries, 0)
  const before = new Set(existing.map((file) => file.name))
  const ingested = new Map<string, string>()
  for (const file of target.db.liveFiles()) {
    if (file.columnFamily !== cf.name || before.has(file.name)) continue
    const source = sources.get((await stat(path.join(file.directory, file.name))).ino)
    if (source !== undefined) ingested.set(file.name, source)
  }
  return { files: ingested, reachesOutside }
}

/** Whether any two of `files` have overlapping key ranges. */
function overlapping(files: readonly LiveFile[]): boolean {
  const sorted = [...files].sort((a, b) => a.smallestKey.compare(b.smallestKey))
  return sorted.some((file, i) => i > 0 && file.smallestKey.compare(sorted[i - 1]!.largestKey) <= 0)
}
