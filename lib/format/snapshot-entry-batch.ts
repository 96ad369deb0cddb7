/** Entries per batch at most: bounds the index, and how long the parser runs between yields. */
export const BATCH_ENTRIES = 4096

/**
 * Consecutive entries of one state from a full-snapshot stream, as views into the reader's buffer
 * (the 0x80 flag already cleared). The reader reuses one batch object and its buffer: a batch and
 * the keys and values taken from it are valid only until the iteration advances.
 */
export class SnapshotEntryBatch {
  kvStateId = -1
  count = 0
  buffer: Buffer = Buffer.alloc(0)
  /** Per entry: key start, key end, value end, as indices into `buffer` (the value starts 4 bytes after the key's end). */
  readonly bounds = new Float64Array(3 * BATCH_ENTRIES)

  key(i: number): Buffer {
    return this.buffer.subarray(this.bounds[3 * i]!, this.bounds[3 * i + 1]!)
  }

  value(i: number): Buffer {
    return this.buffer.subarray(this.bounds[3 * i + 1]! + 4, this.bounds[3 * i + 2]!)
  }

  forEach(visit: (key: Buffer, value: Buffer) => void): void {
    const { buffer, bounds, count } = this
    for (let i = 0, b = 0; i < count; i++, b += 3) {
      visit(buffer.subarray(bounds[b]!, bounds[b + 1]!), buffer.subarray(bounds[b + 1]! + 4, bounds[b + 2]!))
    }
  }

  /** Reader side: starts an empty batch of `kvStateId` over `buffer`. */
  reset(buffer: Buffer, kvStateId: number): void {
    this.buffer = buffer
    this.kvStateId = kvStateId
    this.count = 0
  }
}
