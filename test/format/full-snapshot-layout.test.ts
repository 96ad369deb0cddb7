import { readFileSync } from 'node:fs'
import { inflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { FOOTER_BYTES, FRAME_BYTES } from '../../lib/format'
import { useTempDirs } from '../helpers/temp-dir'
import { writeSnapshot, type Entry } from './snapshot-helpers'

const b = (...bytes: number[]) => Buffer.from(bytes)
/** Where the key-group index starts: the footer's first field. */
const bodyEnd = (file: Buffer) => Number(file.readBigUInt64BE(file.length - FOOTER_BYTES))

/** Two key groups (0 and 3), two states (0 and 1), 1-byte prefixes; state 1 spans both key groups. */
const TINY: Entry[] = [
  { kvStateId: 0, key: b(0x00, 0x01), value: b(0xaa) },
  { kvStateId: 0, key: b(0x00, 0x02), value: b() },
  { kvStateId: 1, key: b(0x00, 0x05), value: b(0xbb, 0xcc) },
  { kvStateId: 1, key: b(0x03, 0x09, 0x09), value: b(0xdd) },
]

const TINY_HEADER_JSON = '{"job":"t","compression":"none","keyGroupPrefixBytes":1}'

// prettier-ignore
const TINY_BODY_KEY_GROUP_0 = [
  0x00, 0x00,                                    // kvStateId 0
  0x00, 0x00, 0x00, 0x02, 0x00, 0x01,            // key  [0x00 0x01]
  0x00, 0x00, 0x00, 0x01, 0xaa,                  // value [0xaa]
  0x00, 0x00, 0x00, 0x02, 0x80, 0x02,            // key  [0x00 0x02], flagged: a kvStateId follows
  0x00, 0x00, 0x00, 0x00,                        // value [] (empty)
  0x00, 0x01,                                    // kvStateId 1
  0x00, 0x00, 0x00, 0x02, 0x80, 0x05,            // key  [0x00 0x05], flagged: the key group ends
  0x00, 0x00, 0x00, 0x02, 0xbb, 0xcc,            // value [0xbb 0xcc]
  0xff, 0xff,                                    // end of key group
]
// prettier-ignore
const TINY_BODY_KEY_GROUP_3 = [
  0x00, 0x01,                                    // kvStateId 1
  0x00, 0x00, 0x00, 0x03, 0x83, 0x09, 0x09,      // key  [0x03 0x09 0x09], flagged
  0x00, 0x00, 0x00, 0x01, 0xdd,                  // value [0xdd]
  0xff, 0xff,                                    // end of key group
]

describe('full-snapshot stream layout', () => {
  const tempPath = useTempDirs()

  it('writes the header, the original layout and the key-group index byte for byte', async () => {
    const path = tempPath('tiny.rksf')
    const result = await writeSnapshot(path, TINY, { prefixBytes: 1, compression: 'none', metadata: { job: 't' } })
    // prettier-ignore
    const expected = Buffer.from([
      0x52, 0x4b, 0x53, 0x46,                      // 'RKSF'
      0x00, 0x03,                                  // version 3
      0x00, 0x00, 0x00, TINY_HEADER_JSON.length,   // metadata length (56)
      ...Buffer.from(TINY_HEADER_JSON, 'utf8'),
      ...TINY_BODY_KEY_GROUP_0,                    // at 66
      ...TINY_BODY_KEY_GROUP_3,                    // at 66 + 39 = 105
      0x00, 0x00, 0x00, 0x02,                      // index at 105 + 16 = 121: 2 key groups
      0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 66,         //   key group 0 at 66
      0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 105,        //   key group 3 at 105
      0, 0, 0, 0, 0, 0, 0, 121,                    // footer: the index starts at 121
      0x52, 0x4b, 0x53, 0x49,                      // 'RKSI'
    ])
    expect(TINY_HEADER_JSON.length).toBe(56)
    expect(readFileSync(path)).toEqual(expected)
    expect(result.keyGroupOffsets).toEqual(new Map([[0, 66], [3, 105]]))
    expect(result.size).toBe(expected.length)
  })

  it('writes 2-byte prefixes big-endian and flags their first byte', async () => {
    const path = tempPath('wide.rksf')
    const entries: Entry[] = [{ kvStateId: 2, key: b(0x01, 0x02, 0x07), value: b(0x01) }]
    const result = await writeSnapshot(path, entries, { prefixBytes: 2, compression: 'none' })
    const offset = result.keyGroupOffsets.get(0x0102)!
    // prettier-ignore
    expect([...readFileSync(path).subarray(offset)]).toEqual([
      0x00, 0x02,
      0x00, 0x00, 0x00, 0x03, 0x81, 0x02, 0x07,
      0x00, 0x00, 0x00, 0x01, 0x01,
      0xff, 0xff,
      0x00, 0x00, 0x00, 0x01,                      // index: 1 key group,
      0x01, 0x02, 0, 0, 0, 0, 0, 0, 0, offset,     //   0x0102 at its offset
      0, 0, 0, 0, 0, 0, 0, offset + 16,            // footer
      0x52, 0x4b, 0x53, 0x49,
    ])
  })

  it('frames each key group on its own when compressed, the frames holding the uncompressed layout', async () => {
    const path = tempPath('tiny-deflate.rksf')
    const result = await writeSnapshot(path, TINY, { prefixBytes: 1, compression: 'deflate', metadata: { job: 't' } })
    const file = readFileSync(path)
    const json = '{"job":"t","compression":"deflate","keyGroupPrefixBytes":1}'
    expect(file.subarray(10, 10 + json.length).toString()).toBe(json)
    const frameAt = (offset: number) => {
      const rawLength = file.readUInt32BE(offset)
      const compressedLength = file.readUInt32BE(offset + 4)
      const raw = inflateRawSync(file.subarray(offset + 8, offset + 8 + compressedLength))
      expect(raw.length).toBe(rawLength)
      return { raw: [...raw], next: offset + 8 + compressedLength }
    }
    const first = frameAt(result.keyGroupOffsets.get(0)!)
    expect(result.keyGroupOffsets.get(0)).toBe(10 + json.length)
    expect(first.raw).toEqual(TINY_BODY_KEY_GROUP_0)
    expect(result.keyGroupOffsets.get(3)).toBe(first.next)
    const second = frameAt(first.next)
    expect(second.raw).toEqual(TINY_BODY_KEY_GROUP_3)
    expect(second.next).toBe(bodyEnd(file))
    expect(file.readUInt32BE(second.next)).toBe(2) // the index follows the last frame
  })

  it('cuts a large key group into frames of at most FRAME_BYTES', async () => {
    const path = tempPath('big-deflate.rksf')
    const value = Buffer.alloc(FRAME_BYTES, 7)
    const entries: Entry[] = [0, 1, 2].map((i) => ({ kvStateId: 0, key: b(5, i), value }))
    const result = await writeSnapshot(path, entries, { prefixBytes: 1, compression: 'deflate' })
    const file = readFileSync(path)
    const rawLengths: number[] = []
    const body: Buffer[] = []
    for (let at = result.keyGroupOffsets.get(5)!; at < bodyEnd(file); ) {
      rawLengths.push(file.readUInt32BE(at))
      const compressedLength = file.readUInt32BE(at + 4)
      body.push(inflateRawSync(file.subarray(at + 8, at + 8 + compressedLength)))
      at += 8 + compressedLength
    }
    const total = 2 + 3 * (4 + 2 + 4 + FRAME_BYTES) + 2
    expect(rawLengths).toEqual([FRAME_BYTES, FRAME_BYTES, FRAME_BYTES, total - 3 * FRAME_BYTES])
    const joined = Buffer.concat(body)
    expect(joined.length).toBe(total)
    expect(joined.subarray(joined.length - 2)).toEqual(b(0xff, 0xff))
  })
})
