import { CorruptDataError } from '../errors'

/**
 * A bounded read cursor over `buf[pos, end)`. Every read goes through `take`, which checks the
 * bound first: truncated input throws `CorruptDataError` instead of reading past `end`, and a bogus
 * length is rejected before anything is allocated for it. Reusable through `reset`.
 */
export class ByteReader {
  buf: Buffer
  /** The read position: serializers read at `pos` and advance it. */
  pos: number
  /** One past the last readable byte. */
  end: number

  constructor(buf: Buffer = EMPTY, pos = 0, end = buf.length) {
    this.buf = EMPTY
    this.pos = 0
    this.end = 0
    this.reset(buf, pos, end)
  }

  /** Reads `buf[pos, end)` from now on; the bounds must lie within `buf`. */
  reset(buf: Buffer, pos = 0, end = buf.length): this {
    if (!(pos >= 0 && pos <= end && end <= buf.length)) {
      throw new RangeError(`invalid read bounds [${pos}, ${end}) for ${buf.length} byte(s)`)
    }
    this.buf = buf
    this.pos = pos
    this.end = end
    return this
  }

  get remaining(): number {
    return this.end - this.pos
  }

  /** Claims the next `n` bytes and returns where they start; throws if fewer than `n` remain. */
  take(n: number): number {
    const start = this.pos
    if (n > this.end - start) {
      throw new CorruptDataError(`truncated input: needs ${n} byte(s) at offset ${start}, only ${this.end - start} left`)
    }
    this.pos = start + n
    return start
  }

  /** Reads an unsigned LEB128 varint of at most 5 bytes (a uint32). */
  readVarUint(): number {
    let result = 0
    // multiply rather than shift: the 5th group would overflow a signed 32-bit shift
    for (let scale = 1; scale <= 2 ** 28; scale *= 128) {
      const byte = this.buf[this.take(1)]!
      result += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (result > 0xffffffff) break
        return result
      }
    }
    throw new CorruptDataError(`malformed varint ending at offset ${this.pos}`)
  }
}

const EMPTY = Buffer.alloc(0)
