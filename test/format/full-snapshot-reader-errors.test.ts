import { writeFileSync } from 'node:fs'
import { deflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, OperationInProgressError } from '../../lib/errors'
import { FORMAT_VERSION, FRAME_BYTES, FullSnapshotReader, MAX_METADATA_BYTES } from '../../lib/format'
import { useTempDirs } from '../helpers/temp-dir'
import { readKeyGroups } from './snapshot-helpers'

const u16 = (n: number) => [n >>> 8, n & 0xff]
const u32 = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
const u64 = (n: number) => [0, 0, 0, 0, ...u32(n)]
const RKSI = [...Buffer.from('RKSI')]

function header(json: string, { version = FORMAT_VERSION, length }: { version?: number; length?: number } = {}): Buffer {
  const text = Buffer.from(json, 'utf8')
  return Buffer.from([...Buffer.from('RKSF'), ...u16(version), ...u32(length ?? text.length), ...text])
}
const NONE = header('{"compression":"none","keyGroupPrefixBytes":1}')
const DEFLATE = header('{"compression":"deflate","keyGroupPrefixBytes":1}')

async function expectCorrupt(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(CorruptCheckpointError)
  expect((err as Error).message).toMatch(message)
}

/** `head`, `body`, then the key-group index (key group `keyGroup` at the body's start; none for no body) and footer. */
function stream(head: Buffer, body: number[], keyGroup = 1): Buffer {
  const index = body.length === 0 ? u32(0) : [...u32(1), ...u16(keyGroup), ...u64(head.length)]
  return Buffer.from([...head, ...body, ...index, ...u64(head.length + body.length), ...RKSI])
}

/** Reads key group `keyGroup` of `body` (between a header and an index) at the body's start. */
async function readBody(head: Buffer, body: number[], keyGroup = 1): Promise<unknown> {
  const reader = await FullSnapshotReader.fromBuffer(stream(head, body, keyGroup))
  return readKeyGroups(reader, [[keyGroup, head.length]])
}

function frame(raw: number[], rawLength = raw.length): number[] {
  const compressed = deflateRawSync(Buffer.from(raw))
  return [...u32(rawLength), ...u32(compressed.length), ...compressed]
}

describe('FullSnapshotReader header', () => {
  const tempPath = useTempDirs()

  it('reads the metadata of a valid header', async () => {
    const reader = await FullSnapshotReader.fromBuffer(stream(header('{"compression":"none","keyGroupPrefixBytes":2,"x":[1]}'), []))
    expect(reader.metadata).toEqual({ compression: 'none', keyGroupPrefixBytes: 2, x: [1] })
    expect(reader.prefixBytes).toBe(2)
    expect(reader.compression).toBe('none')
    expect(reader.bodyOffset).toBe(reader.bodyEnd)
    expect(reader.keyGroupOffsets.size).toBe(0)
  })

  const cases: [string, Buffer, RegExp][] = [
    ['an empty file', Buffer.alloc(0), /too short/],
    ['a short file', Buffer.from('RKSF\0'), /too short/],
    ['another magic', Buffer.concat([Buffer.from('RKSG'), NONE.subarray(4)]), /magic is 0x524b5347/],
    ['a newer version', header('{}', { version: 4 }), /version 4 was written by a newer version .* reads up to 3/],
    ['version 2 (no key-group index)', header('{}', { version: 2 }), /version 2 is no longer supported/],
    ['version 1 (lists joined by commas)', header('{}', { version: 1 }), /version 1 is no longer supported/],
    ['version 0', header('{}', { version: 0 }), /version 0 is no longer supported/],
    ['a metadata length past the end', header('{}', { length: 3 }), /metadata length 3 .* runs past the end/],
    ['a metadata length beyond the limit', header('{}', { length: MAX_METADATA_BYTES + 1 }), /exceeds/],
    ['invalid JSON', header('{"compression":'), /not valid UTF-8 JSON/],
    ['invalid UTF-8', Buffer.concat([header('{}', { length: 3 }), Buffer.from([0xff])]), /not valid UTF-8 JSON/],
    ['a JSON array', header('[1]'), /not a JSON object/],
    ['JSON null', header('null'), /not a JSON object/],
    ['an unknown compression', header('{"compression":"lz4","keyGroupPrefixBytes":1}'), /unknown compression "lz4"/],
    ['no compression', header('{"keyGroupPrefixBytes":1}'), /unknown compression undefined/],
    ['a prototype key as compression', header('{"compression":"toString","keyGroupPrefixBytes":1}'), /unknown compression/],
    ['a bad prefix width', header('{"compression":"none","keyGroupPrefixBytes":3}'), /keyGroupPrefixBytes 3/],
  ]
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, async () => {
      await expectCorrupt(FullSnapshotReader.fromBuffer(bytes), message)
    })
  }

  it('rejects a file of another size than expected, and a missing file', async () => {
    const path = tempPath('h.rksf')
    const file = stream(NONE, [])
    writeFileSync(path, file)
    await expectCorrupt(FullSnapshotReader.open(path, { expectedSize: file.length + 1 }), new RegExp(`is ${file.length} bytes, the snapshot handle says ${file.length + 1}`))
    await expectCorrupt(FullSnapshotReader.open(tempPath('absent.rksf')), /missing/)
    const reader = await FullSnapshotReader.open(path, { expectedSize: file.length })
    await reader.close()
  })
})

describe('FullSnapshotReader key-group index', () => {
  const body = [0, 0, ...u32(1), 0x81, ...u32(0), 0xff, 0xff]
  const end = NONE.length + body.length
  const entry = (keyGroup: number, offset: number) => [...u16(keyGroup), ...u64(offset)]
  const file = (index: number[], footer = [...u64(end), ...RKSI]) => Buffer.from([...NONE, ...body, ...index, ...footer])

  it('reads the offsets the writer recorded', async () => {
    const reader = await FullSnapshotReader.fromBuffer(file([...u32(1), ...entry(1, NONE.length)]))
    expect(reader.keyGroupOffsets).toEqual(new Map([[1, NONE.length]]))
    expect(reader.bodyEnd).toBe(end)
  })

  const cases: [string, Buffer, RegExp][] = [
    ['a file without index and footer (format 2 layout)', Buffer.from([...NONE, ...body]), /footer's magic|no room/],
    ['a file cut inside the footer', file([...u32(1), ...entry(1, NONE.length)]).subarray(0, -1), /footer's magic/],
    ['an index offset before the body', file([...u32(0)], [...u64(NONE.length - 1), ...RKSI]), /does not leave an index/],
    ['an index offset past the footer', file([...u32(0)], [...u64(end + 100), ...RKSI]), /does not leave an index/],
    ['a count that does not fill the index', file([...u32(2), ...entry(1, NONE.length)]), /2 entries do not fill/],
    ['a first key group not at the body start', file([...u32(1), ...entry(1, NONE.length + 2)]), /key group 1 at offset 58/],
    ['offsets not ascending', file([...u32(2), ...entry(1, NONE.length), ...entry(2, NONE.length)]), /key group 2 at offset/],
    ['key groups not ascending', file([...u32(2), ...entry(3, NONE.length), ...entry(2, NONE.length + 4)]), /key group 2 after 3/],
    ['a key group wider than the prefix', file([...u32(1), ...entry(128, NONE.length)]), /key group 128 after -1/],
    ['a body without key groups', file([...u32(0)]), /no key group, yet a body of 13 bytes/],
  ]
  for (const [what, bytes, message] of cases) {
    it(`rejects ${what}`, async () => {
      await expectCorrupt(FullSnapshotReader.fromBuffer(bytes), message)
    })
  }
})

describe('FullSnapshotReader body', () => {
  const pair = (key: number[], value: number[]) => [...u32(key.length), ...key, ...u32(value.length), ...value]

  it('rejects offsets outside the body', async () => {
    const reader = await FullSnapshotReader.fromBuffer(stream(NONE, [0, 0]))
    await expectCorrupt(readKeyGroups(reader, [[1, NONE.length - 1]]), /outside the body/)
    await expectCorrupt(readKeyGroups(reader, [[1, NONE.length + 2]]), /outside the body/)
    await expectCorrupt(readKeyGroups(reader, [[1, 0.5]]), /outside the body/)
  })

  const bodies: [string, number[], RegExp][] = [
    ['a key group ending before any entry', [0xff, 0xff], /ends the key group before any entry/],
    ['a kvStateId above 0x7fff', [0x80, 0x00], /kvStateId 32768 .* not a valid state id/],
    ['a truncated kvStateId', [0x00], /truncated before its first kvStateId/],
    ['a negative key length', [0, 0, ...u32(0xffffffff)], /key length -1 at offset 58/],
    ['a key shorter than its prefix', [0, 0, ...u32(0), ...u32(0)], /key length 0/],
    ['a key length past the end', [0, 0, ...u32(0x7fffffff), 1], /truncated at offset 58: an entry needs 2147483655 bytes/],
    ['a negative value length', [0, 0, ...u32(1), 1, ...u32(0x80000000)], /value length -2147483648 at offset 63/],
    ['a value length past the end', [0, 0, ...u32(1), 1, ...u32(5), 1, 2], /truncated/],
    ['a key of another key group', [0, 0, ...pair([2], [])], /a key of key group 2 at offset 62/],
    ['a missing marker after a flagged pair', [0, 0, ...pair([0x81], [])], /truncated/],
    ['a missing end of key group', [0, 0, ...pair([1], [])], /truncated/],
    ['states out of order', [0, 3, ...pair([0x81], []), 0, 2], /kvStateId 2 .* does not follow kvStateId 3/],
    ['a repeated state', [0, 3, ...pair([0x81], []), 0, 3], /does not follow/],
  ]
  for (const [what, body, message] of bodies) {
    it(`rejects ${what}`, async () => {
      await expectCorrupt(readBody(NONE, body), message)
    })
  }

  it('rejects a state the metadata does not announce', async () => {
    const reader = await FullSnapshotReader.fromBuffer(stream(NONE, [0, 0, ...pair([0x81], []), 0, 7, ...pair([0x81], []), 0xff, 0xff]))
    const read = async (kvStateIds: Set<number>) => {
      for await (const batch of reader.readKeyGroup(1, NONE.length, { kvStateIds })) void batch
    }
    await read(new Set([0, 7]))
    await expectCorrupt(read(new Set([0])), /kvStateId 7 .* not a state of this snapshot/)
  })

  it('reads one key group at a time', async () => {
    const reader = await FullSnapshotReader.fromBuffer(stream(NONE, [0, 0, ...pair([0x81], []), 0xff, 0xff]))
    const first = reader.readKeyGroup(1, NONE.length)
    await first.next()
    await expect(reader.readKeyGroup(1, NONE.length).next()).rejects.toThrow(OperationInProgressError)
    await first.return()
    expect((await readKeyGroups(reader, [[1, NONE.length]])).length).toBe(1)
  })

  const frames: [string, number[], RegExp][] = [
    ['a frame larger than FRAME_BYTES', [...u32(FRAME_BYTES + 1), ...u32(10)], /lengths 262145 \/ 10/],
    ['an empty frame', [...u32(0), ...u32(10)], /lengths 0 \/ 10/],
    ['a frame past the end of the file', [...u32(10), ...u32(1000), 1, 2, 3], /needs 1000 compressed bytes, the file ends first/],
    ['a frame that does not decompress', [...u32(10), ...u32(3), 0xff, 0xff, 0xff], /does not decompress/],
    ['a frame longer than its header says', frame([0, 0, ...pair([0x81], []), 0xff, 0xff], 4), /does not decompress/],
    ['a frame shorter than its header says', frame([0, 0, ...pair([0x81], []), 0xff, 0xff], 100), /decompresses to 13 bytes, its header says 100/],
    ['bytes after the end of the key group', frame([0, 0, ...pair([0x81], []), 0xff, 0xff, 0]), /bytes follow its end marker/],
    ['a key group without its end', frame([0, 0, ...pair([0x81], [])]), /truncated at byte 2 of the decompressed key group at offset 59: an entry needs 11 bytes/],
    ['a bogus key length in a compressed key group', frame([0, 0, ...u32(0x7fffffff), 1]), /an entry needs 2147483655 bytes/],
  ]
  for (const [what, body, message] of frames) {
    it(`rejects ${what}`, async () => {
      await expectCorrupt(readBody(DEFLATE, body), message)
    })
  }
})
