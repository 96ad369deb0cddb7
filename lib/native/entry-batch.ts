/**
 * A batch of iterator entries as the native layer packs them into one Buffer:
 * [u32 count][u32 ended] then per entry [u32 keyLength][key][u32 valueLength][value],
 * little-endian. Keys and values are views into that one buffer (no copies).
 */
export type Entry = [key: Buffer, value: Buffer]

const HEADER = 8

export class EntryBatch {
  readonly count: number
  /** True when the iterator has no entries after this batch. */
  readonly ended: boolean
  /** @internal The packed entries, as the native layer wrote them (`SstWriter.putBatchRaw` takes them whole). */
  readonly buffer: Buffer

  constructor(buffer: Buffer) {
    this.buffer = buffer
    this.count = buffer.readUInt32LE(0)
    this.ended = buffer.readUInt32LE(4) === 1
  }

  /** Calls `visit` for every entry in order, without allocating an array. */
  forEach(visit: (key: Buffer, value: Buffer) => void): void {
    this.walk(true, true, visit)
  }

  /** `forEach` for the keys alone: no view of the values is made. */
  forEachKey(visit: (key: Buffer) => void): void {
    this.walk(true, false, visit)
  }

  /** `forEach` for the values alone: no view of the keys is made. */
  forEachValue(visit: (value: Buffer) => void): void {
    this.walk(false, true, visit)
  }

  entries(): Entry[] {
    const entries: Entry[] = []
    this.forEach((key, value) => entries.push([key, value]))
    return entries
  }

  /**
   * Calls `visit` with each entry's key and value views, or only the one asked for (then
   * first): a view costs more than reading the entry, so none is made for nothing.
   */
  private walk(keys: boolean, values: boolean, visit: (first: Buffer, value: Buffer) => void): void {
    const buffer = this.buffer
    // Views made with Buffer.from(arrayBuffer, offset, length): the same Buffers as subarray's,
    // at about half its cost (subarray finds Buffer through the species constructor and its
    // argument handling; 150 -> 85 ns per entry for the two views).
    const arrayBuffer = buffer.buffer
    const base = buffer.byteOffset
    let offset = HEADER
    for (let i = 0; i < this.count; i++) {
      const keyLength = buffer.readUInt32LE(offset)
      const key = keys ? Buffer.from(arrayBuffer, base + offset + 4, keyLength) : undefined
      offset += 4 + keyLength
      const valueLength = buffer.readUInt32LE(offset)
      const value = values ? Buffer.from(arrayBuffer, base + offset + 4, valueLength) : undefined
      offset += 4 + valueLength
      visit((key ?? value)!, value!)
    }
  }
}
