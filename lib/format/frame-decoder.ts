import { CorruptCheckpointError } from '../errors'
import type { Codec } from './codecs'
import { FRAME_BYTES, FRAME_HEADER_BYTES, MAX_COMPRESSED_FRAME_BYTES } from './full-snapshot-format'
import type { RandomAccessSource } from './random-access-source'
import type { BodyBytes, SourceWindow } from './source-window'

/** Needs up to this many bytes are met by decoding frames right away; larger ones are checked against the frame headers first. */
const UNCHECKED_NEED = 2 * FRAME_BYTES

interface DecodedFrame {
  frame: Buffer
  /** Offset of the frame after it. */
  next: number
}

/**
 * The decompressed body of one key group, decoded frame by frame from a SourceWindow starting at
 * the key group's first frame. While the parser works through one frame the next one is already
 * being decoded (in the thread pool); that frame is used when it is needed, also as the first frame
 * of the next key group in file order. Holds what the parser still needs plus two frames.
 */
export class FrameDecoder implements BodyBytes {
  buf: Buffer = Buffer.alloc(0)
  pos = 0
  end = 0
  /** Decoded bytes of this key group dropped before `buf[0]`. */
  private base = 0
  private keyGroupOffset = 0
  /** Offset of the next frame to decode. */
  private nextOffset = 0
  /** The frame being decoded ahead (its errors surface only if it is used). */
  private ahead: { offset: number; decoded: Promise<DecodedFrame | undefined> } | undefined = undefined

  constructor(
    private readonly source: RandomAccessSource,
    private readonly frames: SourceWindow,
    private readonly codec: Codec,
  ) {}

  /** Starts decoding the key group whose first frame is at `offset`. */
  seek(offset: number): void {
    this.nextOffset = offset
    this.keyGroupOffset = offset
    this.pos = this.end = this.base = 0
  }

  async fill(need: number): Promise<boolean> {
    if (this.end - this.pos >= need) return true
    // A bogus length must not make the buffer grow frame after frame: prove the bytes exist first.
    if (need > UNCHECKED_NEED && !(await this.framesHold(need))) return false
    while (this.end - this.pos < need) {
      const frame = await this.nextFrame()
      if (frame === undefined) return false
      this.append(frame)
    }
    return true
  }

  /** True when every decoded byte has been parsed. */
  get exhausted(): boolean {
    return this.pos === this.end
  }

  describe(at: number): string {
    return `byte ${this.base + at} of the decompressed key group at offset ${this.keyGroupOffset}`
  }

  /** Appends a decoded frame, first dropping the parsed bytes (and growing) when it does not fit. */
  private append(frame: Buffer): void {
    if (this.end + frame.length > this.buf.length) {
      const kept = this.end - this.pos
      const target = kept + frame.length > this.buf.length ? Buffer.allocUnsafe(Math.max(kept + frame.length, this.buf.length * 2)) : this.buf
      this.buf.copy(target, 0, this.pos, this.end)
      this.buf = target
      this.base += this.pos
      this.end = kept
      this.pos = 0
    }
    this.end += frame.copy(this.buf, this.end)
  }

  /** The next frame's decoded bytes, undefined at the end of the source; starts decoding the one after. */
  private async nextFrame(): Promise<Buffer | undefined> {
    let ahead = this.ahead
    this.ahead = undefined
    if (ahead?.offset !== this.nextOffset) {
      // the frame decoded ahead is not the one needed; it must let go of the window first
      await ahead?.decoded.catch(() => undefined)
      ahead = { offset: this.nextOffset, decoded: this.decodeAt(this.nextOffset) }
    }
    const decoded = await ahead.decoded
    if (decoded === undefined) return undefined
    this.nextOffset = decoded.next
    this.ahead = { offset: decoded.next, decoded: this.decodeAt(decoded.next) }
    this.ahead.decoded.catch(() => undefined)
    return decoded.frame
  }

  /** Decodes the frame at `offset`; undefined at the end of the source. */
  private async decodeAt(offset: number): Promise<DecodedFrame | undefined> {
    const frames = this.frames
    frames.seek(offset)
    if (!(await frames.fill(FRAME_HEADER_BYTES))) return undefined
    const at = frames.offset
    const [rawLength, compressedLength] = this.checkFrameHeader(frames.buf, frames.pos, at)
    frames.pos += FRAME_HEADER_BYTES
    if (!(await frames.fill(compressedLength))) {
      throw this.corrupt(`frame at offset ${at} needs ${compressedLength} compressed bytes, the file ends first`)
    }
    let frame: Buffer
    try {
      frame = await this.codec.decompress(frames.buf.subarray(frames.pos, frames.pos + compressedLength), rawLength)
    } catch (err) {
      throw this.corrupt(`frame at offset ${at} does not decompress: ${(err as Error).message}`, err)
    }
    if (frame.length !== rawLength) throw this.corrupt(`frame at offset ${at} decompresses to ${frame.length} bytes, its header says ${rawLength}`)
    frames.pos += compressedLength
    return { frame, next: frames.offset }
  }

  /** Whether the frames from `nextOffset` on decode to at least `need` more bytes, reading only their headers. */
  private async framesHold(need: number): Promise<boolean> {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES)
    let available = this.end - this.pos
    for (let at = this.nextOffset; available < need; ) {
      if (at + FRAME_HEADER_BYTES > this.source.size) return false
      if ((await this.source.read(header, 0, FRAME_HEADER_BYTES, at)) < FRAME_HEADER_BYTES) return false
      const [rawLength, compressedLength] = this.checkFrameHeader(header, 0, at)
      available += rawLength
      at += FRAME_HEADER_BYTES + compressedLength
    }
    return true
  }

  private checkFrameHeader(buf: Buffer, pos: number, at: number): [rawLength: number, compressedLength: number] {
    const rawLength = buf.readUInt32BE(pos)
    const compressedLength = buf.readUInt32BE(pos + 4)
    if (rawLength < 1 || rawLength > FRAME_BYTES || compressedLength < 1 || compressedLength > MAX_COMPRESSED_FRAME_BYTES) {
      throw this.corrupt(`frame at offset ${at} has lengths ${rawLength} / ${compressedLength} (raw at most ${FRAME_BYTES}, compressed at most ${MAX_COMPRESSED_FRAME_BYTES})`)
    }
    return [rawLength, compressedLength]
  }

  private corrupt(message: string, cause?: unknown): CorruptCheckpointError {
    return new CorruptCheckpointError(`${this.source.name}: ${message}`, { cause })
  }
}
