import type { NativeIterator } from './binding'
import { EntryBatch, type Entry } from './entry-batch'
import { toBytes, type Bytes } from './bytes'

export const DEFAULT_BATCH_COUNT = 1000
export const DEFAULT_BATCH_BYTES = 1 << 20

/**
 * Iterates one column family in key order (or reverse) within its bounds. Entries cross
 * from C++ in batches: `nextv` returns up to `maxCount` entries (or about `maxBytes`, both at
 * least 1) from one native call. With `skipExpired` one call steps over a bounded number of
 * expired entries and may return none without having ended: read until `ended`. Also
 * iterable with `for...of` and `for await...of`. Close it when done; a forgotten iterator is
 * released by GC or when its database closes.
 */
export class Iterator implements Iterable<Entry>, AsyncIterable<Entry> {
  private readonly native: NativeIterator
  private done = false

  /** @internal */
  constructor(native: NativeIterator) {
    this.native = native
  }

  /** True once a batch came back with the iterator's last entry. */
  get ended(): boolean {
    return this.done
  }

  /**
   * Moves to the first key >= target (<= target when reverse). A target outside the bounds
   * ends the iterator (abstract-level's convention).
   */
  seek(target: Bytes): void {
    this.native.seek(toBytes(target))
    this.done = false
  }

  nextBatch(maxCount = DEFAULT_BATCH_COUNT, maxBytes = DEFAULT_BATCH_BYTES): EntryBatch {
    return this.track(new EntryBatch(this.native.nextv(maxCount, maxBytes)))
  }

  async nextBatchAsync(maxCount = DEFAULT_BATCH_COUNT, maxBytes = DEFAULT_BATCH_BYTES): Promise<EntryBatch> {
    return this.track(new EntryBatch(await this.native.nextvAsync(maxCount, maxBytes)))
  }

  nextv(maxCount = DEFAULT_BATCH_COUNT, maxBytes = DEFAULT_BATCH_BYTES): Entry[] {
    return this.nextBatch(maxCount, maxBytes).entries()
  }

  async nextvAsync(maxCount = DEFAULT_BATCH_COUNT, maxBytes = DEFAULT_BATCH_BYTES): Promise<Entry[]> {
    return (await this.nextBatchAsync(maxCount, maxBytes)).entries()
  }

  close(): void {
    this.native.close()
    this.done = true
  }

  *[Symbol.iterator](): Generator<Entry> {
    try {
      while (!this.done) yield* this.nextv()
    } finally {
      this.close()
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Entry> {
    try {
      while (!this.done) yield* await this.nextvAsync()
    } finally {
      this.close()
    }
  }

  private track(batch: EntryBatch): EntryBatch {
    if (batch.ended) this.done = true
    return batch
  }
}
