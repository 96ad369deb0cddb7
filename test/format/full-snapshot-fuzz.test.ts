import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { CorruptCheckpointError } from '../../lib/errors'
import { FullSnapshotReader } from '../../lib/format'
import { useTempDirs } from '../helpers/temp-dir'
import { COMPRESSIONS, keyOf, readKeyGroups, snapshotBytes, type Entry } from './snapshot-helpers'

// Key groups stay below 128, so a header mutated to the other prefix width still accepts them.
const KEY_GROUPS = [0, 3, 4, 77, 127]

interface ValidFile {
  name: string
  bytes: Buffer
  offsets: [number, number][]
}

/** Reads every given key group; resolves with the entry count or the error it threw. */
async function readAll(bytes: Uint8Array, offsets: [number, number][]): Promise<number | unknown> {
  try {
    const reader = await FullSnapshotReader.fromBuffer(bytes)
    try {
      return (await readKeyGroups(reader, offsets)).length
    } finally {
      await reader.close()
    }
  } catch (err) {
    return err
  }
}

function expectOnlyCorrupt(outcome: unknown): void {
  if (typeof outcome !== 'number') expect(outcome).toBeInstanceOf(CorruptCheckpointError)
}

describe('FullSnapshotReader fuzzing: only CorruptCheckpointError, always finishing', () => {
  const tempPath = useTempDirs()
  const files: ValidFile[] = []

  beforeAll(async () => {
    for (const compression of COMPRESSIONS) {
      for (const prefixBytes of [1, 2] as const) {
        const entries: Entry[] = KEY_GROUPS.flatMap((keyGroup, k) =>
          [0, 0, 2, 5].map((kvStateId, i) => ({ kvStateId, key: keyOf(keyGroup, prefixBytes, Buffer.from([i, k])), value: Buffer.alloc((i * 7 + k) % 11, i) })),
        )
        const { bytes, offsets } = await snapshotBytes(tempPath(`${compression}-${prefixBytes}.rksf`), entries, { prefixBytes, compression })
        files.push({ name: `${compression}/${prefixBytes}`, bytes, offsets })
      }
    }
  })

  it('reads the valid files completely', async () => {
    for (const file of files) expect(await readAll(file.bytes, file.offsets), file.name).toBe(KEY_GROUPS.length * 4)
  })

  it('rejects every truncation of a valid file', async () => {
    for (const file of files) {
      for (let length = 0; length < file.bytes.length; length++) {
        const outcome = await readAll(file.bytes.subarray(0, length), file.offsets)
        expect(outcome, `${file.name} cut to ${length} bytes`).toBeInstanceOf(CorruptCheckpointError)
      }
    }
  })

  const anyFile = () => fc.integer({ min: 0, max: files.length - 1 }).map((i) => files[i]!)

  it('survives random bit flips of valid files', async () => {
    const seen = { read: 0, rejected: 0 }
    await fc.assert(
      fc.asyncProperty(anyFile(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }), async (file, flips) => {
        const bytes = Buffer.from(file.bytes)
        for (const [at, bit] of flips) bytes[at % bytes.length] ^= 1 << bit
        const outcome = await readAll(bytes, file.offsets)
        expectOnlyCorrupt(outcome)
        seen[typeof outcome === 'number' ? 'read' : 'rejected']++
      }),
      { numRuns: 4000 },
    )
    // flips in values read back as other values; flips in structure are caught: the fuzzing reaches both
    expect(seen.read).toBeGreaterThan(100)
    expect(seen.rejected).toBeGreaterThan(100)
  })

  it('survives bytes overwritten, inserted or removed in valid files', async () => {
    await fc.assert(
      fc.asyncProperty(anyFile(), fc.nat(), fc.nat({ max: 8 }), fc.uint8Array({ maxLength: 8 }), async (file, at, removed, inserted) => {
        const start = at % file.bytes.length
        const bytes = Buffer.concat([file.bytes.subarray(0, start), inserted, file.bytes.subarray(start + removed)])
        expectOnlyCorrupt(await readAll(bytes, file.offsets))
      }),
      { numRuns: 1000 },
    )
  })

  it('survives random bytes, with and without a valid header', async () => {
    const header = (compression: string, prefixBytes: number) => {
      const json = Buffer.from(JSON.stringify({ compression, keyGroupPrefixBytes: prefixBytes }))
      const fixed = Buffer.alloc(10)
      fixed.write('RKSF')
      fixed.writeUInt16BE(1, 4)
      fixed.writeUInt32BE(json.length, 6)
      return Buffer.concat([fixed, json])
    }
    const randomOffsets = (size: number) => fc.array(fc.tuple(fc.constantFrom(...KEY_GROUPS), fc.integer({ min: 0, max: size + 2 })), { maxLength: 4 })
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }).chain((bytes) => fc.tuple(fc.constant(bytes), randomOffsets(bytes.length))),
        async ([bytes, offsets]) => expectOnlyCorrupt(await readAll(bytes, offsets)),
      ),
      { numRuns: 2000 },
    )
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(fc.constantFrom(...COMPRESSIONS), fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 300 }))
          .map(([compression, prefixBytes, body]) => Buffer.concat([header(compression, prefixBytes), body]))
          .chain((bytes) => fc.tuple(fc.constant(bytes), randomOffsets(bytes.length))),
        async ([bytes, offsets]) => expectOnlyCorrupt(await readAll(bytes, offsets)),
      ),
      { numRuns: 3000 },
    )
  })
})
