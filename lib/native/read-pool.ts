import type { NativeDatabase } from './binding'

// native/read_pool.h: a pooled value is a number, chunk offset / 8 in bits 17-29 and
// length in bits 0-16, with NEW_CHUNK when it starts a new chunk.
const NEW_CHUNK = 1 << 30
const LENGTH_MASK = (1 << 17) - 1
const OFFSET_MASK = (1 << 13) - 1

/**
 * Turns what the native `get` returns into a Buffer: small values arrive copied into a shared
 * 8 KiB chunk (a view of it costs far less than a Buffer made in C++), larger ones as their
 * own Buffer. One per database: the native side writes one chunk after the other.
 */
export class ReadPool {
  private chunk: ArrayBuffer | undefined

  constructor(private readonly db: NativeDatabase) {}

  value(result: number | Buffer | undefined): Buffer | undefined {
    if (typeof result !== 'number') return result
    if ((result & NEW_CHUNK) !== 0) this.chunk = this.db.readPoolChunk()
    return Buffer.from(this.chunk!, ((result >>> 17) & OFFSET_MASK) * 8, result & LENGTH_MASK)
  }
}
