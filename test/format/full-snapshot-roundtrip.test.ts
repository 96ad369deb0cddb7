import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ClosedError, OperationInProgressError } from '../../lib/errors'
import { FRAME_BYTES, FullSnapshotReader, FullSnapshotWriter } from '../../lib/format'
import { useTempDirs } from '../helpers/temp-dir'
import { COMPRESSIONS, entriesArbitrary, expectedByKeyGroup, keyOf, readKeyGroups, writeSnapshot, type Entry } from './snapshot-helpers'

describe('full-snapshot round trip', () => {
  const tempPath = useTempDirs()
  let files = 0
  const nextPath = () => tempPath(`s${files++}.rksf`)

  for (const compression of COMPRESSIONS) {
    for (const prefixBytes of [1, 2] as const) {
      it(`returns every entry of every key group, in order (${compression}, ${prefixBytes}-byte prefix)`, async () => {
        await fc.assert(
          fc.asyncProperty(entriesArbitrary(prefixBytes), fc.array(fc.boolean(), { maxLength: 60 }), async (entries, drainAfter) => {
            const path = nextPath()
            const result = await writeSnapshot(path, entries, { prefixBytes, compression, metadata: { n: entries.length }, drainAfter })
            const expected = expectedByKeyGroup(entries, prefixBytes)
            expect([...result.keyGroupOffsets.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()])
            expect(result.size).toBe(statSync(path).size)
            expect(result.sha256).toBe(createHash('sha256').update(readFileSync(path)).digest('hex'))
            const reader = await FullSnapshotReader.open(path, { expectedSize: result.size })
            try {
              expect(reader.metadata).toEqual({ n: entries.length, compression, keyGroupPrefixBytes: prefixBytes })
              expect(reader.keyGroupOffsets).toEqual(result.keyGroupOffsets)
              // each offset leads to its own key group's entries, and only to them
              for (const [keyGroup, offset] of result.keyGroupOffsets) {
                expect(await readKeyGroups(reader, [[keyGroup, offset]])).toEqual(expected.get(keyGroup))
              }
            } finally {
              await reader.close()
            }
          }),
          { numRuns: 40 },
        )
      })
    }

    it(`reads any subset of key groups in any order (${compression})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          entriesArbitrary(1, { maxKeyGroup: 20, maxEntries: 80 }).chain((entries) => {
            const keyGroups = [...new Set(entries.map((e) => e.key[0]!))]
            return fc.tuple(fc.constant(entries), fc.shuffledSubarray(keyGroups), fc.shuffledSubarray(keyGroups))
          }),
          async ([entries, firstPass, secondPass]) => {
            const path = nextPath()
            const result = await writeSnapshot(path, entries, { prefixBytes: 1, compression })
            const expected = expectedByKeyGroup(entries, 1)
            const reader = await FullSnapshotReader.open(path)
            try {
              // two passes over the same reader: its read-ahead must never hand back stale bytes
              for (const pass of [firstPass, secondPass]) {
                const read = await readKeyGroups(reader, pass.map((kg) => [kg, result.keyGroupOffsets.get(kg)!]))
                expect(read).toEqual(pass.flatMap((kg) => expected.get(kg)!))
              }
            } finally {
              await reader.close()
            }
          },
        ),
        { numRuns: 40 },
      )
    })

    it(`round trips entries larger than the buffers and frames (${compression})`, async () => {
      const pattern = (length: number, seed: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff))
      const entries: Entry[] = [
        { kvStateId: 0, key: keyOf(1, 2, pattern(5, 1)), value: pattern(3 * 1024 * 1024 + 3, 2) },
        { kvStateId: 0, key: keyOf(1, 2, pattern(FRAME_BYTES + 1, 3)), value: pattern(10, 4) },
        { kvStateId: 1, key: keyOf(1, 2, pattern(2, 5)), value: Buffer.alloc(0) },
        ...Array.from({ length: 20_000 }, (_, i): Entry => ({ kvStateId: 1, key: keyOf(2, 2, Buffer.from(i.toString().padStart(6, '0'))), value: pattern(100, i) })),
        { kvStateId: 3, key: keyOf(300, 2, pattern(1, 6)), value: pattern(2 * FRAME_BYTES, 7) },
      ]
      const path = nextPath()
      const result = await writeSnapshot(path, entries, { prefixBytes: 2, compression })
      const expected = expectedByKeyGroup(entries, 2)
      const reader = await FullSnapshotReader.open(path)
      try {
        const read = await readKeyGroups(reader, [...result.keyGroupOffsets].reverse())
        expect(read.length).toBe(entries.length)
        expect(read).toEqual([300, 2, 1].flatMap((kg) => expected.get(kg)!))
      } finally {
        await reader.close()
      }
    })
  }

  it('hands out one state per batch, with keys and values as views that stay valid within the batch', async () => {
    const entries: Entry[] = [0, 0, 1, 1, 1, 4].map((kvStateId, i) => ({ kvStateId, key: keyOf(9, 1, Buffer.from([i])), value: Buffer.from([i, i]) }))
    const path = nextPath()
    const result = await writeSnapshot(path, entries, { prefixBytes: 1, compression: 'none' })
    const reader = await FullSnapshotReader.open(path)
    const batches: [number, string[]][] = []
    for await (const batch of reader.readKeyGroup(9, result.keyGroupOffsets.get(9)!, { kvStateIds: new Set([0, 1, 4]) })) {
      batches.push([batch.kvStateId, Array.from({ length: batch.count }, (_, i) => `${batch.key(i).toString('hex')}=${batch.value(i).toString('hex')}`)])
    }
    await reader.close()
    expect(batches).toEqual([
      [0, ['0900=0000', '0901=0101']],
      [1, ['0902=0202', '0903=0303', '0904=0404']],
      [4, ['0905=0505']],
    ])
  })

  it('writes a header-only file when there are no entries', async () => {
    const path = nextPath()
    const result = await writeSnapshot(path, [], { prefixBytes: 1, compression: 'deflate' })
    expect(result.keyGroupOffsets.size).toBe(0)
    const reader = await FullSnapshotReader.open(path, { expectedSize: result.size })
    expect(reader.bodyOffset).toBe(reader.bodyEnd)
    expect(reader.keyGroupOffsets.size).toBe(0)
    await reader.close()
  })
})

describe('FullSnapshotWriter', () => {
  const tempPath = useTempDirs()
  const create = (path: string, prefixBytes: 1 | 2 = 1) => FullSnapshotWriter.create(path, { metadata: {}, prefixBytes, compression: 'none' })

  it('rejects entries out of (key group, kvStateId) order and keys that cannot carry the flag', async () => {
    const path = tempPath('w.rksf')
    const writer = await create(path, 2)
    writer.add(1, Buffer.from([0, 5, 1]), Buffer.alloc(1))
    expect(() => writer.add(0, Buffer.from([0, 5, 2]), Buffer.alloc(1))).toThrow(/out of order/)
    expect(() => writer.add(1, Buffer.from([0, 4, 2]), Buffer.alloc(1))).toThrow(/out of order/)
    expect(() => writer.add(1, Buffer.from([0x80, 5]), Buffer.alloc(1))).toThrow(/top bit/)
    expect(() => writer.add(1, Buffer.from([0]), Buffer.alloc(1))).toThrow(/shorter than its 2-byte/)
    expect(() => writer.add(-1, Buffer.from([0, 6]), Buffer.alloc(1))).toThrow(RangeError)
    expect(() => writer.add(0x8000, Buffer.from([0, 6]), Buffer.alloc(1))).toThrow(RangeError)
    expect(() => writer.add(1.5, Buffer.from([0, 6]), Buffer.alloc(1))).toThrow(RangeError)
    // the rejected entries left nothing behind
    writer.add(2, Buffer.from([0, 5, 3]), Buffer.alloc(0))
    const result = await writer.finish()
    const reader = await FullSnapshotReader.open(path)
    expect(await readKeyGroups(reader, result.keyGroupOffsets)).toEqual([
      [5, 1, '000501', '00'],
      [5, 2, '000503', ''],
    ])
    await reader.close()
  })

  it('validates its options and refuses to overwrite a file', async () => {
    const path = tempPath('o.rksf')
    await expect(FullSnapshotWriter.create(path, { metadata: {}, prefixBytes: 3 as 1, compression: 'none' })).rejects.toThrow(RangeError)
    await expect(FullSnapshotWriter.create(path, { metadata: {}, prefixBytes: 1, compression: 'lzma' as 'none' })).rejects.toThrow(/unknown compression/)
    await expect(FullSnapshotWriter.create(path, { metadata: [] as unknown as Record<string, unknown>, prefixBytes: 1, compression: 'none' })).rejects.toThrow(TypeError)
    await expect(FullSnapshotWriter.create(path, { metadata: { compression: 'deflate' }, prefixBytes: 1, compression: 'none' })).rejects.toThrow(/metadata.compression/)
    expect(existsSync(path)).toBe(false)
    await (await create(path)).finish()
    await expect(create(path)).rejects.toThrow(/EEXIST/)
  })

  it('refuses work while draining and after finishing; abort removes the partial file and is idempotent', async () => {
    const path = tempPath('a.rksf')
    const writer = await create(path)
    writer.add(0, Buffer.from([1]), Buffer.alloc(10))
    const draining = writer.drain()
    expect(() => writer.add(0, Buffer.from([1, 1]), Buffer.alloc(1))).toThrow(OperationInProgressError)
    await expect(writer.drain()).rejects.toThrow(OperationInProgressError)
    await draining
    writer.add(0, Buffer.from([1, 1]), Buffer.alloc(1))
    await writer.abort()
    expect(existsSync(path)).toBe(false)
    await writer.abort()
    expect(() => writer.add(0, Buffer.from([1, 2]), Buffer.alloc(1))).toThrow(ClosedError)
    await expect(writer.finish()).rejects.toThrow(ClosedError)

    const finishedPath = tempPath('f.rksf')
    const done = await create(finishedPath)
    await done.finish()
    await done.abort() // no-op: a finished file belongs to the caller
    expect(existsSync(finishedPath)).toBe(true)
  })
})
