import { CorruptCheckpointError } from '../errors'
import type { RandomAccessSource } from './random-access-source'

/**
 * Bytes of a key group's body as the parser sees them: `buf[pos, end)` are available, `fill(n)`
 * makes at least `n` available at `pos` (moving them, so indices into `buf` are stale after it) or
 * answers false when the stream has fewer than `n` bytes left.
 */
export interface BodyBytes {
  buf: Buffer
  pos: number
  end: number
  fill(need: number): Promise<boolean>
  /** Where `buf[at]` lies, for error messages. */
  describe(at: number): string
}

const WINDOW_BYTES = 1024 * 1024

/**
 * A read-ahead window over a source: `buf[pos, end)` holds the source's bytes from `base + pos`.
 * Reading key groups in file order (what a restore does) reuses the bytes already read, because a
 * forward seek inside the window only moves `pos`. Bytes before `pos` may have been modified by the
 * parser (it clears flags in place), so a backward seek always reads again.
 */
export class SourceWindow implements BodyBytes {
  buf: Buffer
  pos = 0
  end = 0
  /** Source offset of `buf[0]`. */
  private base = 0

  constructor(private readonly source: RandomAccessSource) {
    this.buf = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, source.size))
  }

  /** Source offset of `buf[pos]`. */
  get offset(): number {
    return this.base + this.pos
  }

  seek(offset: number): void {
    if (offset >= this.base + this.pos && offset <= this.base + this.end) {
      this.pos = offset - this.base
    } else {
      this.base = offset
      this.pos = this.end = 0
    }
  }

  async fill(need: number): Promise<boolean> {
    if (this.end - this.pos >= need) return true
    const size = this.source.size
    // checked before allocating: a bogus length can ask for no more than the source holds
    if (need > size - this.offset) return false
    if (this.pos + need > this.buf.length) {
      const target = need > this.buf.length ? Buffer.allocUnsafe(Math.min(Math.max(need, this.buf.length * 2), size - this.offset)) : this.buf
      this.buf.copy(target, 0, this.pos, this.end)
      this.buf = target
      this.base += this.pos
      this.end -= this.pos
      this.pos = 0
    }
    while (this.end - this.pos < need) {
      const at = this.base + this.end
      const read = await this.source.read(this.buf, this.end, Math.min(this.buf.length - this.end, size - at), at)
      if (read <= 0) throw new CorruptCheckpointError(`${this.source.name}: ends at offset ${at} though it should hold ${size} bytes`)
      this.end += read
    }
    return true
  }

  describe(at: number): string {
    return `offset ${this.base + at}`
  }
}
