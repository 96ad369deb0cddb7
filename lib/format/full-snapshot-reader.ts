import { open } from 'node:fs/promises'
import { ClosedError, CorruptCheckpointError, OperationInProgressError } from '../errors'
import type { KeyGroupPrefixBytes } from '../keygroups/key-group-prefix'
import { codecByName } from './codecs'
import { FrameDecoder } from './frame-decoder'
import {
  END_OF_KEY_GROUP,
  FOOTER_BYTES,
  FORMAT_VERSION,
  HEADER_FIXED_BYTES,
  INDEX_COUNT_BYTES,
  INDEX_ENTRY_BYTES,
  INDEX_MAGIC,
  MAGIC,
  MAX_INDEX_BYTES,
  MAX_KV_STATE_ID,
  MAX_METADATA_BYTES,
  META_DATA_FOLLOWS_FLAG,
  type Compression,
} from './full-snapshot-format'
import { bufferSource, fileSource, type RandomAccessSource } from './random-access-source'
import { BATCH_ENTRIES, SnapshotEntryBatch } from './snapshot-entry-batch'
import { SourceWindow, type BodyBytes } from './source-window'

export interface FullSnapshotReaderOptions {
  /** The size the snapshot handle records; a file of another size is rejected as corrupt. */
  expectedSize?: number
}

export interface ReadKeyGroupOptions {
  /** The kvStateIds the header's metadata announces; a run of any other state is corrupt. */
  kvStateIds?: ReadonlySet<number>
}

/**
 * Reads a full-snapshot stream (see full-snapshot-format.ts): the header at `open`, then any key
 * groups by their offsets, in any order (in file order they reuse what was already read). Every
 * malformed input throws `CorruptCheckpointError` naming the offset; every length is checked against
 * the bytes that remain before anything is allocated for it.
 */
export class FullSnapshotReader {
  private readonly window: SourceWindow
  private readonly decoder: FrameDecoder | undefined
  private readonly batch = new SnapshotEntryBatch()
  private state: 'idle' | 'reading' | 'closed' = 'idle'

  private constructor(
    private readonly source: RandomAccessSource,
    /** The header's JSON object: the writer's metadata plus `compression` and `keyGroupPrefixBytes`. */
    readonly metadata: Record<string, unknown>,
    readonly compression: Compression,
    readonly prefixBytes: KeyGroupPrefixBytes,
    /** Offset of the first body byte: no key group starts before it. */
    readonly bodyOffset: number,
    /** Offset after the last body byte, where the key-group index starts. */
    readonly bodyEnd: number,
    /** The file's key-group index: where each non-empty key group starts, as the writer recorded it. */
    readonly keyGroupOffsets: ReadonlyMap<number, number>,
  ) {
    // The parser sees the body only: a key group that runs on is truncated, never read into the index.
    const body: RandomAccessSource = { name: source.name, size: bodyEnd, read: source.read.bind(source), close: source.close.bind(source) }
    this.window = new SourceWindow(body)
    const codec = codecByName(compression)
    this.decoder = codec === undefined ? undefined : new FrameDecoder(body, this.window, codec)
  }

  static async open(path: string, options: FullSnapshotReaderOptions = {}): Promise<FullSnapshotReader> {
    let file
    try {
      file = await open(path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CorruptCheckpointError(`${path}: snapshot file is missing`, { cause: err })
      throw err
    }
    try {
      return await FullSnapshotReader.fromSource(fileSource(path, file, (await file.stat()).size), options)
    } catch (err) {
      await file.close()
      throw err
    }
  }

  /** Reads a stream held in memory. */
  static fromBuffer(bytes: Uint8Array, options: FullSnapshotReaderOptions = {}): Promise<FullSnapshotReader> {
    return FullSnapshotReader.fromSource(bufferSource('<buffer>', bytes), options)
  }

  private static async fromSource(source: RandomAccessSource, { expectedSize }: FullSnapshotReaderOptions): Promise<FullSnapshotReader> {
    const corrupt = (message: string, cause?: unknown) => new CorruptCheckpointError(`${source.name}: ${message}`, { cause })
    if (expectedSize !== undefined && expectedSize !== source.size) throw corrupt(`is ${source.size} bytes, the snapshot handle says ${expectedSize}`)
    if (source.size < HEADER_FIXED_BYTES) throw corrupt(`${source.size} bytes is too short for a snapshot header`)
    const fixed = await readExactly(source, 0, HEADER_FIXED_BYTES, 'header')
    if (!fixed.subarray(0, MAGIC.length).equals(MAGIC)) throw corrupt(`not a full snapshot: magic is 0x${fixed.toString('hex', 0, MAGIC.length)}`)
    const version = fixed.readUInt16BE(MAGIC.length)
    if (version > FORMAT_VERSION) throw corrupt(`format version ${version} was written by a newer version of this library (this one reads up to ${FORMAT_VERSION})`)
    if (version < FORMAT_VERSION) {
      throw corrupt(`format version ${version} is no longer supported (this library reads version ${FORMAT_VERSION}): take a new checkpoint with this version`)
    }
    const metadataLength = fixed.readUInt32BE(MAGIC.length + 2)
    if (metadataLength > MAX_METADATA_BYTES) throw corrupt(`metadata length ${metadataLength} exceeds ${MAX_METADATA_BYTES}`)
    if (metadataLength > source.size - HEADER_FIXED_BYTES) {
      throw corrupt(`metadata length ${metadataLength} at offset ${MAGIC.length + 2} runs past the end of the file (${source.size} bytes)`)
    }
    let metadata: unknown
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(await readExactly(source, HEADER_FIXED_BYTES, metadataLength, 'header'))
      metadata = JSON.parse(text)
    } catch (err) {
      throw corrupt(`metadata is not valid UTF-8 JSON: ${(err as Error).message}`, err)
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw corrupt('metadata is not a JSON object')
    const { compression, keyGroupPrefixBytes } = metadata as Record<string, unknown>
    if (compression !== 'none' && (typeof compression !== 'string' || codecByName(compression) === undefined)) {
      throw corrupt(`unknown compression ${JSON.stringify(compression)}`)
    }
    if (keyGroupPrefixBytes !== 1 && keyGroupPrefixBytes !== 2) throw corrupt(`invalid keyGroupPrefixBytes ${JSON.stringify(keyGroupPrefixBytes)}`)
    const bodyOffset = HEADER_FIXED_BYTES + metadataLength
    const { bodyEnd, keyGroupOffsets } = await readKeyGroupIndex(source, bodyOffset, keyGroupPrefixBytes)
    return new FullSnapshotReader(source, metadata as Record<string, unknown>, compression as Compression, keyGroupPrefixBytes, bodyOffset, bodyEnd, keyGroupOffsets)
  }

  get size(): number {
    return this.source.size
  }

  /**
   * The entries of `keyGroup`, whose stream starts at `offset`, in batches of one state each. A
   * batch is reused: consume it before advancing. One key group at a time per reader.
   */
  async *readKeyGroup(keyGroup: number, offset: number, { kvStateIds }: ReadKeyGroupOptions = {}): AsyncGenerator<SnapshotEntryBatch, void, undefined> {
    if (this.state !== 'idle') {
      if (this.state === 'closed') throw new ClosedError('the snapshot reader is closed')
      throw new OperationInProgressError('the snapshot reader is already reading a key group')
    }
    if (!(Number.isInteger(keyGroup) && keyGroup >= 0 && keyGroup < 1 << (8 * this.prefixBytes - 1))) {
      throw new RangeError(`key group ${keyGroup} does not fit a ${this.prefixBytes}-byte prefix`)
    }
    if (!(Number.isInteger(offset) && offset >= this.bodyOffset && offset < this.bodyEnd)) {
      throw this.corrupt(`key group ${keyGroup}'s offset ${offset} lies outside the body [${this.bodyOffset}, ${this.bodyEnd})`)
    }
    this.state = 'reading'
    try {
      yield* this.parseKeyGroup(keyGroup, offset, kvStateIds)
    } finally {
      if (this.state === 'reading') this.state = 'idle'
    }
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return
    this.state = 'closed'
    await this.source.close()
  }

  private async *parseKeyGroup(keyGroup: number, offset: number, kvStateIds: ReadonlySet<number> | undefined): AsyncGenerator<SnapshotEntryBatch, void, undefined> {
    let body: BodyBytes
    if (this.decoder === undefined) {
      this.window.seek(offset)
      body = this.window
    } else {
      this.decoder.seek(offset)
      body = this.decoder
    }
    const what = `key group ${keyGroup}`
    if (!(await body.fill(2))) throw this.corrupt(`${what}: truncated before its first kvStateId at ${body.describe(body.pos)}`)
    let kvStateId = body.buf.readUInt16BE(body.pos)
    this.checkKvStateId(kvStateId, -1, kvStateIds, `${what}: kvStateId ${kvStateId} at ${body.describe(body.pos)}`)
    body.pos += 2
    const prefixBytes = this.prefixBytes
    const batch = this.batch
    const bounds = batch.bounds
    for (;;) {
      batch.reset(body.buf, kvStateId)
      const buf = body.buf
      const end = body.end
      let pos = body.pos
      let count = 0
      let need = 0
      let next = -1
      while (count < BATCH_ENTRIES) {
        if (end - pos < 4) {
          need = 4
          break
        }
        const keyLength = (buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!
        if (keyLength < prefixBytes) throw this.corrupt(`${what}: key length ${keyLength} at ${body.describe(pos)}`)
        const valueAt = pos + 4 + keyLength
        if (end - valueAt < 4) {
          need = valueAt + 4 - pos
          break
        }
        const valueLength = (buf[valueAt]! << 24) | (buf[valueAt + 1]! << 16) | (buf[valueAt + 2]! << 8) | buf[valueAt + 3]!
        if (valueLength < 0) throw this.corrupt(`${what}: value length ${valueLength} at ${body.describe(valueAt)}`)
        const first = buf[pos + 4]!
        const flagged = first >= META_DATA_FOLLOWS_FLAG
        const pairEnd = valueAt + 4 + valueLength
        // a flagged pair is taken together with the marker after it, so a refill never splits them
        const total = pairEnd - pos + (flagged ? 2 : 0)
        if (end - pos < total) {
          need = total
          break
        }
        const prefix = prefixBytes === 1 ? first & 0x7f : ((first & 0x7f) << 8) | buf[pos + 5]!
        if (prefix !== keyGroup) throw this.corrupt(`${what}: a key of key group ${prefix} at ${body.describe(pos + 4)}`)
        const b = 3 * count++
        bounds[b] = pos + 4
        bounds[b + 1] = valueAt
        bounds[b + 2] = pairEnd
        if (flagged) {
          buf[pos + 4] = first & 0x7f
          next = (buf[pairEnd]! << 8) | buf[pairEnd + 1]!
          pos = pairEnd + 2
          break
        }
        pos = pairEnd
      }
      body.pos = pos
      batch.count = count
      if (count > 0) yield batch
      if (next === END_OF_KEY_GROUP) {
        if (this.decoder !== undefined && !this.decoder.exhausted) {
          throw this.corrupt(`${what}: bytes follow its end marker at ${body.describe(body.pos)}`)
        }
        return
      }
      if (next >= 0) {
        this.checkKvStateId(next, kvStateId, kvStateIds, `${what}: kvStateId ${next} before ${body.describe(body.pos)}`)
        kvStateId = next
      } else if (need > 0 && !(await body.fill(need))) {
        throw this.corrupt(`${what}: truncated at ${body.describe(body.pos)}: an entry needs ${need} bytes, fewer remain`)
      }
    }
  }

  /** A run's kvStateId must be announced and greater than the previous run's, as the writer orders them. */
  private checkKvStateId(id: number, previous: number, announced: ReadonlySet<number> | undefined, what: string): void {
    if (id === END_OF_KEY_GROUP && previous < 0) throw this.corrupt(`${what} ends the key group before any entry`)
    if (id > MAX_KV_STATE_ID) throw this.corrupt(`${what} is not a valid state id`)
    if (id <= previous) throw this.corrupt(`${what} does not follow kvStateId ${previous} in order`)
    if (announced !== undefined && !announced.has(id)) throw this.corrupt(`${what} is not a state of this snapshot`)
  }

  private corrupt(message: string): CorruptCheckpointError {
    return new CorruptCheckpointError(`${this.source.name}: ${message}`)
  }
}

/**
 * The footer and key-group index (see full-snapshot-format.ts), checked: offsets strictly
 * ascending from the body's start, key groups strictly ascending and within the prefix width.
 */
async function readKeyGroupIndex(
  source: RandomAccessSource,
  bodyOffset: number,
  prefixBytes: KeyGroupPrefixBytes,
): Promise<{ bodyEnd: number; keyGroupOffsets: Map<number, number> }> {
  const corrupt = (message: string) => new CorruptCheckpointError(`${source.name}: key-group index: ${message}`)
  if (source.size - bodyOffset < INDEX_COUNT_BYTES + FOOTER_BYTES) throw corrupt(`no room for it after the header (${source.size} bytes): truncated?`)
  const footer = await readExactly(source, source.size - FOOTER_BYTES, FOOTER_BYTES, 'footer')
  if (!footer.subarray(8).equals(INDEX_MAGIC)) throw corrupt(`the footer's magic is 0x${footer.toString('hex', 8)}, not 'RKSI': truncated?`)
  const indexEnd = source.size - FOOTER_BYTES
  const bodyEnd = footer.readBigUInt64BE(0)
  if (bodyEnd < BigInt(bodyOffset) || bodyEnd > BigInt(indexEnd - INDEX_COUNT_BYTES) || BigInt(indexEnd) - bodyEnd > MAX_INDEX_BYTES) {
    throw corrupt(`its offset ${bodyEnd} does not leave an index of at most ${MAX_INDEX_BYTES} bytes between the body's start ${bodyOffset} and the footer at ${indexEnd}`)
  }
  const indexOffset = Number(bodyEnd)
  const index = await readExactly(source, indexOffset, indexEnd - indexOffset, 'key-group index')
  const count = index.readUInt32BE(0)
  if (index.length !== INDEX_COUNT_BYTES + count * INDEX_ENTRY_BYTES) throw corrupt(`${count} entries do not fill its ${index.length} bytes`)
  const keyGroupOffsets = new Map<number, number>()
  let previous = { keyGroup: -1, offset: -1 }
  for (let at = INDEX_COUNT_BYTES; at < index.length; at += INDEX_ENTRY_BYTES) {
    const keyGroup = index.readUInt16BE(at)
    const offset = index.readBigUInt64BE(at + 2)
    const first = previous.keyGroup < 0
    if (keyGroup <= previous.keyGroup || keyGroup >= 1 << (8 * prefixBytes - 1)) throw corrupt(`key group ${keyGroup} after ${previous.keyGroup}`)
    if (first ? offset !== BigInt(bodyOffset) : offset <= BigInt(previous.offset) || offset >= bodyEnd) {
      throw corrupt(`key group ${keyGroup} at offset ${offset}, after ${previous.offset}, in a body [${bodyOffset}, ${bodyEnd})`)
    }
    previous = { keyGroup, offset: Number(offset) }
    keyGroupOffsets.set(keyGroup, previous.offset)
  }
  if (count === 0 && indexOffset !== bodyOffset) throw corrupt(`no key group, yet a body of ${indexOffset - bodyOffset} bytes`)
  return { bodyEnd: indexOffset, keyGroupOffsets }
}

async function readExactly(source: RandomAccessSource, position: number, length: number, what: string): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length)
  for (let done = 0; done < length; ) {
    const read = await source.read(bytes, done, length - done, position + done)
    if (read <= 0) throw new CorruptCheckpointError(`${source.name}: ends at offset ${position + done} while reading its ${what}`)
    done += read
  }
  return bytes
}
