import { markAsUntransferable } from 'node:worker_threads'
import type { NativeDatabase, NativeSnapshot } from './binding'

// native/read_pool.h: a pooled value is a number, chunk offset / 8 in bits 17-29 and
// length in bits 0-16, with NEW_CHUNK when it starts a new chunk.
const NEW_CHUNK = 1 << 30
const LENGTH_MASK = (1 << 17) - 1
const OFFSET_MASK = (1 << 13) - 1

/**
 * Point reads, whose small values arrive copied into a shared 8 KiB chunk (a view of it costs
 * far less than a Buffer made in C++), larger ones as their own Buffer. One per database: the
 * native side writes one chunk after the other, into memory it holds a pointer to.
 */
export class ReadPool {
  private chunk: ArrayBuffer | undefined

  constructor(private readonly db: NativeDatabase) {}

  /** `db.get`, its arguments already evaluated (their getters may have run any JS). */
  get(cf: number, key: Uint8Array, snapshot?: NativeSnapshot, flags?: number): Buffer | undefined {
    // A chunk detached since (ArrayBuffer.prototype.transfer) no longer owns the memory the
    // native side would write the next value to.
    if (this.chunk !== undefined && this.chunk.byteLength === 0) {
      this.chunk = undefined
      this.db.releaseReadPoolChunk()
    }
    const result = this.db.get(cf, key, snapshot, flags)
    if (typeof result !== 'number') return result
    if ((result & NEW_CHUNK) !== 0) {
      this.chunk = this.db.readPoolChunk()
      // As Node does with its Buffer pool: a value posted with its buffer in the transfer list
      // never detaches every other value in the chunk (Node 20 copies it, later versions refuse).
      markAsUntransferable(this.chunk)
    }
    return Buffer.from(this.chunk!, ((result >>> 17) & OFFSET_MASK) * 8, result & LENGTH_MASK)
  }
}
