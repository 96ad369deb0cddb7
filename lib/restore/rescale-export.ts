import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import type { ColumnFamily } from '../native/column-family'
import type { EntryBatch } from '../native/entry-batch'
import type { Iterator } from '../native/iterator'
import type { SstWriter } from '../native/sst-writer'
import type { RestoreProgress, RestoreTarget } from './full-restore'

const BATCH_BYTES = 4 << 20
/** Export files are cut at this size, so no single file (and its ingestion) grows without bound. */
const FILE_BYTES = 256 << 20

/**
 * Writes the entries `iterator` yields (sorted, raw values: TTL write times and list elements'
 * times kept) into SST files with the target column family's options, and ingests them into `cf`
 * (moved, not copied). Reading and writing overlap. Nothing is ingested until every file is
 * written, so an abort leaves the target as it was; the files' directory is removed either way.
 */
export async function exportAndIngest(target: RestoreTarget, cf: ColumnFamily, iterator: Iterator, progress: RestoreProgress, signal?: AbortSignal): Promise<void> {
  const directory = await mkdtemp(path.join(target.workDirectory, 'export-'))
  const files: string[] = []
  let writer: SstWriter | undefined
  // One batch read ahead: the thread pool reads the next while this thread writes the current one.
  let next: Promise<EntryBatch> | undefined
  try {
    let bytes = 0
    next = iterator.ended ? undefined : iterator.nextBatchAsync(10_000, BATCH_BYTES)
    while (next !== undefined) {
      const entries = await next
      next = entries.ended ? undefined : iterator.nextBatchAsync(10_000, BATCH_BYTES)
      signal?.throwIfAborted()
      if (entries.count === 0) continue
      if (writer === undefined) {
        const file = path.join(directory, `${files.length}.sst`)
        writer = target.db.sstWriter(cf, file)
        files.push(file)
      }
      writer.putBatchRaw(entries)
      bytes += entries.buffer.length
      progress.entries += entries.count
      if (writer !== undefined && bytes >= FILE_BYTES) {
        await finish(writer)
        writer = undefined
        bytes = 0
      }
    }
    if (writer !== undefined) await finish(writer)
    writer = undefined
    signal?.throwIfAborted()
    if (files.length > 0) await target.db.ingest(cf, files, { moveFiles: true })
  } finally {
    // Settled before the caller closes the iterator (and before its rejection could go unhandled).
    await next?.catch(() => undefined)
    writer?.close()
    await rm(directory, { recursive: true, force: true })
  }
}

async function finish(writer: SstWriter): Promise<void> {
  await writer.finish()
  writer.close()
}
