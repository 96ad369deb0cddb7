import { createHash, type Hash } from 'node:crypto'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { ClosedError, OperationInProgressError } from '../errors'
import type { KeyGroupPrefixBytes } from '../keygroups/key-group-prefix'
import { ByteWriter } from '../serializers/byte-writer'
import { codecByName, type Codec } from './codecs'
import {
  END_OF_KEY_GROUP,
  FOOTER_BYTES,
  FORMAT_VERSION,
  FRAME_BYTES,
  FRAME_HEADER_BYTES,
  HEADER_FIXED_BYTES,
  INDEX_COUNT_BYTES,
  INDEX_ENTRY_BYTES,
  INDEX_MAGIC,
  MAGIC,
  MAX_COMPRESSED_FRAME_BYTES,
  MAX_ENTRY_PART_BYTES,
  MAX_KV_STATE_ID,
  MAX_METADATA_BYTES,
  META_DATA_FOLLOWS_FLAG,
  type Compression,
  type FormatMetadata,
} from './full-snapshot-format'

export interface FullSnapshotWriterOptions {
  /** Opaque JSON written into the header; `compression` and `keyGroupPrefixBytes` are added to it. */
  metadata: Record<string, unknown>
  prefixBytes: KeyGroupPrefixBytes
  compression: Compression
}

export interface FullSnapshotResult {
  /** File offset of each non-empty key group's first byte (its first frame when compressed), as the file's index records them. */
  keyGroupOffsets: Map<number, number>
  size: number
  /** SHA-256 of the whole file, hex. */
  sha256: string
}

/** Buffered bytes past which `needsDrain` turns true. */
const HIGH_WATER_MARK = 1024 * 1024
/** Written bytes after which a background fdatasync starts, so that little is left to sync at `finish`. */
const SYNC_INTERVAL = 32 * 1024 * 1024
/** Frames compressed at once: keeps the thread pool busy beside the main thread on a small machine. */
const COMPRESS_PARALLELISM = 2

type WriterState = 'open' | 'draining' | 'finishing' | 'finished' | 'aborted'

/**
 * Writes a full-snapshot stream (see full-snapshot-format.ts) to a local file. `add` is synchronous
 * and only appends to an in-memory buffer, so a caller can feed it millions of entries straight from
 * a batched iterator; it awaits `drain()` whenever `needsDrain` says the buffer is full. A drain
 * hands the full buffer to a background write (compressing it first when a codec is set) and lets
 * `add` go on in a second buffer, so at most two buffers of about HIGH_WATER_MARK (plus the largest
 * entry) are held, and writing overlaps with producing entries.
 *
 * The 0x80 flag belongs on the last pair before a state or key-group change, which is only known
 * when the next entry arrives. Rather than holding that pair back, the writer appends it at once
 * and sets the flag in its buffered first key byte later; a drain therefore never hands off the
 * bytes from that key byte on while the flag is still undecided.
 */
export class FullSnapshotWriter {
  private readonly out = new ByteWriter(HIGH_WATER_MARK + 64 * 1024)
  /** A buffer whose background write has finished, for the next hand-off to continue in. */
  private spare: Buffer | undefined = undefined
  /** The background write of the last handed-off buffer (already marked handled; awaiting rethrows). */
  private writing: Promise<void> = Promise.resolve()
  private readonly hash: Hash = createHash('sha256')
  private readonly keyGroupOffsets = new Map<number, number>()
  /** File offset where the next handed-off chunk goes; the file's size once finished. */
  private queued = 0
  /** The last background fdatasync, and the file offset up to which it was asked for. */
  private syncing: Promise<void> = Promise.resolve()
  private syncedUpTo = 0
  private keyGroup = -1
  private kvStateId = -1
  /** Index in `out` of the last pair's first key byte while its flag is undecided, else -1. */
  private flagAt = -1
  /**
   * Compressed only: [index in `out`, key group] of each buffered key-group start whose first frame
   * is not cut yet (a key group's offset is known only once its first frame is compressed).
   */
  private starts: number[] = []
  private state: WriterState = 'open'
  /** Fed by `addEncoded`, not `add`. */
  private encoded = false
  private inFlight: Promise<unknown> | undefined = undefined

  private constructor(
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly prefixBytes: KeyGroupPrefixBytes,
    private readonly codec: Codec | undefined,
  ) {}

  /** Creates `path` (which must not exist yet) and writes the header. */
  static async create(path: string, options: FullSnapshotWriterOptions): Promise<FullSnapshotWriter> {
    const { metadata, prefixBytes, compression } = options
    if (prefixBytes !== 1 && prefixBytes !== 2) throw new RangeError(`prefixBytes must be 1 or 2, got ${String(prefixBytes)}`)
    const codec = codecByName(compression)
    if (codec === undefined && compression !== 'none') throw new RangeError(`unknown compression '${String(compression)}'`)
    const header = encodeHeader(metadata, { compression, keyGroupPrefixBytes: prefixBytes })
    const file = await open(path, 'wx')
    const writer = new FullSnapshotWriter(path, file, prefixBytes, codec)
    try {
      await writer.write(header, writer.reserve(header.length))
    } catch (err) {
      await writer.abort()
      throw err
    }
    return writer
  }

  /**
   * Appends one entry. Entries must come ordered by (key group, kvStateId, key); `key` starts with
   * its key-group prefix. Throws RangeError for an invalid or out-of-order entry.
   */
  add(kvStateId: number, key: Uint8Array, value: Uint8Array): void {
    if (this.state !== 'open') this.refuse('add')
    if (this.encoded) throw new OperationInProgressError('cannot add entries to a writer fed encoded bodies')
    const keyLength = key.length
    const valueLength = value.length
    if (keyLength < this.prefixBytes || key[0]! & META_DATA_FOLLOWS_FLAG || keyLength > MAX_ENTRY_PART_BYTES || valueLength > MAX_ENTRY_PART_BYTES) {
      this.rejectEntry(key, valueLength)
    }
    const keyGroup = this.prefixBytes === 1 ? key[0]! : (key[0]! << 8) | key[1]!
    if (keyGroup !== this.keyGroup || kvStateId !== this.kvStateId) this.beginRun(keyGroup, kvStateId)
    const out = this.out
    out.ensure(8 + keyLength + valueLength)
    const buf = out.buf
    let pos = out.pos
    buf[pos] = keyLength >>> 24
    buf[pos + 1] = keyLength >>> 16
    buf[pos + 2] = keyLength >>> 8
    buf[pos + 3] = keyLength
    pos += 4
    this.flagAt = pos
    buf.set(key, pos)
    pos += keyLength
    buf[pos] = valueLength >>> 24
    buf[pos + 1] = valueLength >>> 16
    buf[pos + 2] = valueLength >>> 8
    buf[pos + 3] = valueLength
    pos += 4
    buf.set(value, pos)
    out.pos = pos + valueLength
  }

  /**
   * Appends body bytes encoded elsewhere (the native snapshot stream, native/snapshot_stream.h):
   * whole runs of pairs with their kvStateIds, flags and key-group ends, in stream order.
   * `keyGroupStarts` holds [offset in `body`, key group] of each key group starting in it. When
   * compressed, `body` starts and ends on frame boundaries (a key group's start plus whole
   * FRAME_BYTES, or its end). Resolves once the previous body is written, while this one is
   * compressed and written in the background: at most two bodies are held. Not mixed with `add`.
   */
  async addEncoded(body: Buffer, keyGroupStarts: readonly number[]): Promise<void> {
    if (this.state !== 'open') this.refuse('addEncoded')
    if (this.keyGroup >= 0) throw new OperationInProgressError('cannot add encoded bodies to a writer fed entries')
    this.encoded = true
    this.state = 'draining'
    try {
      const previous = this.writing
      const codec = this.codec
      let writing: Promise<void>
      if (codec === undefined) {
        writing = previous.then(() => {
          const position = this.reserve(body.length)
          for (let i = 0; i < keyGroupStarts.length; i += 2) this.keyGroupOffsets.set(keyGroupStarts[i + 1]!, position + keyGroupStarts[i]!)
          return this.write(body, position)
        })
      } else {
        const { frames, keyGroups } = cutEncodedFrames(body, keyGroupStarts)
        const compressing = compressFrames(codec, frames, frames.length)
        writing = Promise.all([compressing, previous]).then(([compressed]) => this.writeCompressed(frames, compressed, keyGroups))
      }
      this.writing = writing
      writing.catch(() => undefined)
      await this.track(previous)
      if (this.queued - this.syncedUpTo >= SYNC_INTERVAL) this.startSync()
    } finally {
      if (this.state === 'draining') this.state = 'open'
    }
  }

  /** True when the caller should `await drain()` before adding more. */
  get needsDrain(): boolean {
    return this.out.pos >= HIGH_WATER_MARK
  }

  /**
   * Hands what is buffered to the background write, after waiting for the previous one (which
   * rethrows its error, if it failed). No `add` until it settles.
   */
  async drain(): Promise<void> {
    if (this.state !== 'open') this.refuse('drain')
    this.state = 'draining'
    try {
      await this.track(this.handOff(false))
    } finally {
      if (this.state === 'draining') this.state = 'open'
    }
  }

  /** Ends the last key group, writes everything and the key-group index, syncs and closes the file. On failure the file is removed. */
  async finish(): Promise<FullSnapshotResult> {
    if (this.state !== 'open') this.refuse('finish')
    this.state = 'finishing'
    try {
      if (this.keyGroup >= 0) this.endKeyGroup()
      await this.track(this.handOff(true))
      const index = encodeIndex(this.keyGroupOffsets, this.queued)
      await this.track(this.write(index, this.reserve(index.length)))
      await this.track(this.syncing)
      await this.track(this.file.datasync())
      await this.track(this.file.close())
    } catch (err) {
      await this.abort()
      throw err
    }
    this.state = 'finished'
    return { keyGroupOffsets: this.keyGroupOffsets, size: this.queued, sha256: this.hash.digest('hex') }
  }

  /** Stops writing and removes the partial file, after any running drain and write. No-op once finished. */
  async abort(): Promise<void> {
    if (this.state === 'finished' || this.state === 'aborted') return
    this.state = 'aborted'
    await this.inFlight?.catch(() => undefined)
    await this.writing.catch(() => undefined)
    await this.syncing.catch(() => undefined)
    await this.file.close().catch(() => undefined)
    await rm(this.path, { force: true })
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight = work
    try {
      return await work
    } finally {
      this.inFlight = undefined
    }
  }

  /** A new (key group, state) run: decide the previous pair's flag and write the run's markers. */
  private beginRun(keyGroup: number, kvStateId: number): void {
    if (!(Number.isInteger(kvStateId) && kvStateId >= 0 && kvStateId <= MAX_KV_STATE_ID)) {
      throw new RangeError(`kvStateId must be an integer in [0, ${MAX_KV_STATE_ID}], got ${kvStateId}`)
    }
    if (keyGroup < this.keyGroup || (keyGroup === this.keyGroup && kvStateId < this.kvStateId)) {
      throw new RangeError(
        `entries out of order: (key group ${keyGroup}, kvStateId ${kvStateId}) after (key group ${this.keyGroup}, kvStateId ${this.kvStateId})`,
      )
    }
    if (keyGroup !== this.keyGroup) {
      if (this.keyGroup >= 0) this.endKeyGroup()
      if (this.codec === undefined) this.keyGroupOffsets.set(keyGroup, this.queued + this.out.pos)
      else this.starts.push(this.out.pos, keyGroup)
    } else {
      this.out.buf[this.flagAt] |= META_DATA_FOLLOWS_FLAG
    }
    this.writeUint16(kvStateId)
    this.keyGroup = keyGroup
    this.kvStateId = kvStateId
  }

  private endKeyGroup(): void {
    this.out.buf[this.flagAt] |= META_DATA_FOLLOWS_FLAG
    this.flagAt = -1
    this.writeUint16(END_OF_KEY_GROUP)
  }

  private writeUint16(value: number): void {
    const at = this.out.reserve(2)
    this.out.buf[at] = value >>> 8
    this.out.buf[at + 1] = value
  }

  /**
   * Starts writing the buffered bytes up to the undecided flag (all of them when `last`, and then
   * waits for the write) and moves the rest to the spare buffer, where `add` continues.
   */
  private async handOff(last: boolean): Promise<void> {
    await this.writing
    const out = this.out
    const full = out.buf
    const end = last || this.flagAt < 0 ? out.pos : this.flagAt
    let consumed = end
    let writing: Promise<void>
    if (this.codec === undefined) {
      writing = this.write(full.subarray(0, end), this.reserve(end))
    } else {
      const frames = this.cutFrames(end, last)
      consumed = frames.consumed
      writing = this.writeFrames(this.codec, frames.frames, frames.keyGroups)
    }
    const rest = out.pos - consumed
    const spare = this.spare !== undefined && this.spare.length >= rest ? this.spare : Buffer.allocUnsafe(Math.max(full.length, rest))
    full.copy(spare, 0, consumed, out.pos)
    out.buf = spare
    out.pos = rest
    if (this.flagAt >= 0) this.flagAt -= consumed
    this.spare = undefined
    this.writing = writing.then(() => {
      this.spare = full
    })
    this.writing.catch(() => undefined)
    if (last) await this.writing
    else if (this.queued - this.syncedUpTo >= SYNC_INTERVAL) this.startSync()
  }

  /** Lets the disk catch up while entries keep coming, so `finish` has little left to sync. */
  private startSync(): void {
    this.syncedUpTo = this.queued
    this.syncing = this.syncing.then(() => this.file.datasync())
    this.syncing.catch(() => undefined)
  }

  /**
   * Cuts `out[0, end)` into frames along key-group boundaries and FRAME_BYTES. The open key group's
   * tail shorter than a frame stays buffered (unless `last`), so frames stay full-sized however
   * often the caller drains.
   */
  private cutFrames(end: number, last: boolean): { frames: Buffer[]; keyGroups: number[]; consumed: number } {
    const buf = this.out.buf
    const starts = this.starts
    const frames: Buffer[] = []
    /** The key group starting at each frame, or -1. */
    const keyGroups: number[] = []
    let cut = 0
    let s = 0
    for (;;) {
      let keyGroup = -1
      if (s < starts.length && starts[s] === cut) {
        keyGroup = starts[s + 1]!
        s += 2
      }
      const final = s >= starts.length
      const segmentEnd = final ? end : starts[s]!
      const complete = !final || last
      while (segmentEnd - cut >= FRAME_BYTES || (complete && segmentEnd > cut)) {
        const length = Math.min(FRAME_BYTES, segmentEnd - cut)
        frames.push(buf.subarray(cut, cut + length))
        keyGroups.push(keyGroup)
        keyGroup = -1
        cut += length
      }
      if (final) {
        if (keyGroup >= 0) s -= 2
        break
      }
    }
    this.starts = starts.slice(s).map((value, i) => (i % 2 === 0 ? value - cut : value))
    return { frames, keyGroups, consumed: cut }
  }

  private async writeFrames(codec: Codec, frames: Buffer[], keyGroups: number[]): Promise<void> {
    await this.writeCompressed(frames, await compressFrames(codec, frames, COMPRESS_PARALLELISM), keyGroups)
  }

  /** Writes compressed frames with their headers; `keyGroups` gives the key group starting at each frame, or -1. */
  private async writeCompressed(frames: Buffer[], compressed: Buffer[], keyGroups: number[]): Promise<void> {
    let total = 0
    for (const c of compressed) {
      if (c.length > MAX_COMPRESSED_FRAME_BYTES) throw new Error(`codec expanded a frame to ${c.length} bytes`)
      total += FRAME_HEADER_BYTES + c.length
    }
    const position = this.reserve(total)
    // Headers and frames written as they are (no copy into one chunk: less garbage for V8 to collect).
    const headers = Buffer.allocUnsafe(frames.length * FRAME_HEADER_BYTES)
    const parts: Buffer[] = []
    let at = 0
    for (let i = 0; i < frames.length; i++) {
      if (keyGroups[i]! >= 0) this.keyGroupOffsets.set(keyGroups[i]!, position + at)
      const header = headers.subarray(i * FRAME_HEADER_BYTES, (i + 1) * FRAME_HEADER_BYTES)
      header.writeUInt32BE(frames[i]!.length, 0)
      header.writeUInt32BE(compressed[i]!.length, 4)
      parts.push(header, compressed[i]!)
      at += FRAME_HEADER_BYTES + compressed[i]!.length
    }
    await this.writeParts(parts, position)
  }

  /** Writes `parts` one after the other from `position` (hashing them meanwhile) in one writev, unless it comes up short. */
  private async writeParts(parts: Buffer[], position: number): Promise<void> {
    const writing = this.file.writev(parts, position)
    for (const part of parts) this.hash.update(part)
    let { bytesWritten } = await writing
    for (const part of parts) {
      if (bytesWritten < part.length) await this.writeAll(part.subarray(bytesWritten), position + bytesWritten)
      bytesWritten = Math.max(0, bytesWritten - part.length)
      position += part.length
    }
  }

  /** Claims the next `length` bytes of the file; returns their offset. */
  private reserve(length: number): number {
    const position = this.queued
    this.queued += length
    return position
  }

  /** Writes `chunk` at `position`, hashing it meanwhile; chunks are written (and hashed) in file order. */
  private async write(chunk: Buffer, position: number): Promise<void> {
    const writing = this.writeAll(chunk, position)
    this.hash.update(chunk)
    await writing
  }

  private async writeAll(chunk: Buffer, position: number): Promise<void> {
    for (let done = 0; done < chunk.length; ) {
      const { bytesWritten } = await this.file.write(chunk, done, chunk.length - done, position + done)
      done += bytesWritten
    }
  }

  private rejectEntry(key: Uint8Array, valueLength: number): never {
    if (key.length < this.prefixBytes) throw new RangeError(`key of ${key.length} byte(s) is shorter than its ${this.prefixBytes}-byte key-group prefix`)
    if (key[0]! & META_DATA_FOLLOWS_FLAG) throw new RangeError(`key's first byte 0x${key[0]!.toString(16)} has the top bit set: not a key-group prefix`)
    throw new RangeError(`key of ${key.length} / value of ${valueLength} byte(s) exceeds the format's ${MAX_ENTRY_PART_BYTES}-byte limit`)
  }

  private refuse(operation: string): never {
    if (this.state === 'draining' || this.state === 'finishing') {
      throw new OperationInProgressError(`cannot ${operation} while the snapshot writer is ${this.state}`)
    }
    throw new ClosedError(`cannot ${operation}: the snapshot writer is ${this.state}`)
  }
}

/** Compresses `frames`, `parallelism` at a time (in the thread pool), in order. */
async function compressFrames(codec: Codec, frames: Buffer[], parallelism: number): Promise<Buffer[]> {
  const compressed: Buffer[] = []
  for (let i = 0; i < frames.length; i += parallelism) {
    compressed.push(...(await Promise.all(frames.slice(i, i + parallelism).map((frame) => codec.compress(frame)))))
  }
  return compressed
}

/**
 * Cuts an encoded body into frames: at each key-group start and every FRAME_BYTES after it. The
 * body starts on a frame boundary, so its leading bytes (the rest of a key group begun in an
 * earlier body) are cut every FRAME_BYTES from its start, as `cutFrames` cuts a buffered key group.
 */
function cutEncodedFrames(body: Buffer, keyGroupStarts: readonly number[]): { frames: Buffer[]; keyGroups: number[] } {
  const frames: Buffer[] = []
  const keyGroups: number[] = []
  for (let s = -2; s < keyGroupStarts.length; s += 2) {
    const start = s < 0 ? 0 : keyGroupStarts[s]!
    const end = s + 2 < keyGroupStarts.length ? keyGroupStarts[s + 2]! : body.length
    for (let cut = start; cut < end; cut += FRAME_BYTES) {
      frames.push(body.subarray(cut, Math.min(end, cut + FRAME_BYTES)))
      keyGroups.push(cut === start && s >= 0 ? keyGroupStarts[s + 1]! : -1)
    }
  }
  return { frames, keyGroups }
}

/** The key-group index and footer (see full-snapshot-format.ts) of a body that ends at `bodyEnd`. */
function encodeIndex(keyGroupOffsets: ReadonlyMap<number, number>, bodyEnd: number): Buffer {
  const index = Buffer.allocUnsafe(INDEX_COUNT_BYTES + keyGroupOffsets.size * INDEX_ENTRY_BYTES + FOOTER_BYTES)
  let at = index.writeUInt32BE(keyGroupOffsets.size, 0)
  for (const [keyGroup, offset] of [...keyGroupOffsets].sort(([a], [b]) => a - b)) {
    at = index.writeUInt16BE(keyGroup, at)
    at = index.writeBigUInt64BE(BigInt(offset), at)
  }
  at = index.writeBigUInt64BE(BigInt(bodyEnd), at)
  INDEX_MAGIC.copy(index, at)
  return index
}

function encodeHeader(metadata: Record<string, unknown>, format: FormatMetadata): Buffer {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new TypeError('metadata must be a JSON object')
  for (const [name, value] of Object.entries(format)) {
    if (Object.hasOwn(metadata, name) && metadata[name] !== value) {
      throw new RangeError(`metadata.${name} is ${JSON.stringify(metadata[name])} but the stream is written with ${JSON.stringify(value)}`)
    }
  }
  const json = Buffer.from(JSON.stringify({ ...metadata, ...format }), 'utf8')
  if (json.length > MAX_METADATA_BYTES) throw new RangeError(`metadata of ${json.length} bytes exceeds ${MAX_METADATA_BYTES}`)
  const header = Buffer.allocUnsafe(HEADER_FIXED_BYTES + json.length)
  let at = MAGIC.copy(header, 0)
  at = header.writeUInt16BE(FORMAT_VERSION, at)
  at = header.writeUInt32BE(json.length, at)
  json.copy(header, at)
  return header
}
