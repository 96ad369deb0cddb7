/**
 * A growable output buffer that serializers append to. One writer is meant to be reused for many
 * values (`reset()` between them), so the hot path allocates nothing once the buffer is big enough.
 */
export class ByteWriter {
  /** The backing buffer; only bytes `[0, pos)` are meaningful. Replaced when the writer grows. */
  buf: Buffer
  /** The write position: serializers write at `pos` and advance it. */
  pos = 0
  private lastView: Buffer | undefined = undefined
  private lastViewOf: Buffer | undefined = undefined

  constructor(initialCapacity = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(initialCapacity, 16))
  }

  /** Makes room for `n` more bytes at `pos`. May replace `buf`, so re-read it afterwards. */
  ensure(n: number): void {
    const needed = this.pos + n
    if (needed > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2))
      this.buf.copy(grown, 0, 0, this.pos)
      this.buf = grown
    }
  }

  /** Claims `n` bytes: makes room, advances `pos` and returns where the claimed bytes start. */
  reserve(n: number): number {
    this.ensure(n)
    const start = this.pos
    this.pos = start + n
    return start
  }

  /** Appends an unsigned LEB128 varint (7 bits per byte, high bit = more follows) of a uint32. */
  writeVarUint(value: number): void {
    this.ensure(5)
    const buf = this.buf
    let pos = this.pos
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80
      value >>>= 7
    }
    buf[pos++] = value
    this.pos = pos
  }

  /**
   * A view of the bytes written so far; valid until the writer is next written to or reset.
   * Consecutive views of the same length are the same object (creating a view costs more than
   * building a short key), so a caller must not keep one across writes.
   */
  view(): Buffer {
    const last = this.lastView
    if (last !== undefined && last.length === this.pos && this.lastViewOf === this.buf) return last
    this.lastViewOf = this.buf
    return (this.lastView = this.buf.subarray(0, this.pos))
  }

  reset(): void {
    this.pos = 0
  }
}
