import type { NativeSstFileInfo, NativeSstWriter } from './binding'
import { toBytes, type Bytes } from './bytes'
import type { EntryBatch } from './entry-batch'

// Re-exported under its public name, so the API reference shows its fields.
export type { NativeSstFileInfo as SstFileInfo } from './binding'

/**
 * Writes entries in strictly increasing key order into an SST file for
 * `db.ingest(cf, [file])`. Values are stamped with the current TTL write time unless
 * written with `putRaw` (values that carry their timestamp already).
 */
export class SstWriter {
  private readonly native: NativeSstWriter

  /** @internal */
  constructor(native: NativeSstWriter, path: string) {
    this.native = native
    native.open(path)
  }

  put(key: Bytes, value: Bytes): void {
    this.native.put(toBytes(key), toBytes(value), false)
  }

  putRaw(key: Bytes, rawValue: Uint8Array): void {
    this.native.put(toBytes(key), rawValue, true)
  }

  /** Every entry of an iterator batch (raw values, as `raw: true` iteration yields them), in one call. */
  putBatchRaw(entries: EntryBatch): void {
    this.native.putBatch(entries.buffer)
  }

  /** Completes the file (off the event loop). An empty file is an error (InvalidArgument). */
  async finish(): Promise<NativeSstFileInfo> {
    return this.native.finish()
  }

  /** Abandons an unfinished file. */
  close(): void {
    this.native.close()
  }
}
