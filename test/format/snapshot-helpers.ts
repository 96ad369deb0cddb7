import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import type { Compression } from '../../lib/format'
import { FullSnapshotReader, FullSnapshotWriter, type FullSnapshotResult } from '../../lib/format'

export const COMPRESSIONS: Compression[] = ['none', 'deflate', 'snappy', 'zstd']

export interface Entry {
  kvStateId: number
  key: Buffer
  value: Buffer
}

/** Entry as the reader hands it out, comparable with toEqual. */
export type ReadEntry = [keyGroup: number, kvStateId: number, key: string, value: string]

export function keyOf(keyGroup: number, prefixBytes: 1 | 2, rest: Uint8Array): Buffer {
  const prefix = prefixBytes === 1 ? [keyGroup] : [keyGroup >> 8, keyGroup & 0xff]
  return Buffer.concat([Buffer.from(prefix), rest])
}

export function keyGroupOf(key: Buffer, prefixBytes: 1 | 2): number {
  return prefixBytes === 1 ? key[0]! : key.readUInt16BE(0)
}

/** Sorts as the writer wants them: by (key group, kvStateId, key); the prefix leads the key. */
export function sortEntries(entries: Entry[], prefixBytes: 1 | 2): Entry[] {
  return [...entries].sort(
    (a, b) =>
      keyGroupOf(a.key, prefixBytes) - keyGroupOf(b.key, prefixBytes) || a.kvStateId - b.kvStateId || Buffer.compare(a.key, b.key),
  )
}

export function entriesArbitrary(prefixBytes: 1 | 2, options: { maxKeyGroup?: number; maxEntries?: number } = {}): fc.Arbitrary<Entry[]> {
  const maxKeyGroup = options.maxKeyGroup ?? (prefixBytes === 1 ? 127 : 700)
  const entry = fc.record({
    keyGroup: fc.integer({ min: 0, max: maxKeyGroup }),
    kvStateId: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(0x7fff)),
    rest: fc.uint8Array({ maxLength: 8 }),
    value: fc.uint8Array({ maxLength: 16 }),
  })
  return fc
    .array(entry, { maxLength: options.maxEntries ?? 60 })
    .map((raw) => sortEntries(raw.map((e) => ({ kvStateId: e.kvStateId, key: keyOf(e.keyGroup, prefixBytes, e.rest), value: Buffer.from(e.value) })), prefixBytes))
}

export function expectedByKeyGroup(entries: Entry[], prefixBytes: 1 | 2): Map<number, ReadEntry[]> {
  const byKeyGroup = new Map<number, ReadEntry[]>()
  for (const { kvStateId, key, value } of entries) {
    const keyGroup = keyGroupOf(key, prefixBytes)
    let list = byKeyGroup.get(keyGroup)
    if (list === undefined) byKeyGroup.set(keyGroup, (list = []))
    list.push([keyGroup, kvStateId, key.toString('hex'), value.toString('hex')])
  }
  return byKeyGroup
}

/** Writes `entries` to `path`; `drainAfter[i]` forces a drain after entry i (besides `needsDrain`). */
export async function writeSnapshot(
  path: string,
  entries: Entry[],
  options: { prefixBytes: 1 | 2; compression: Compression; metadata?: Record<string, unknown>; drainAfter?: boolean[] },
): Promise<FullSnapshotResult> {
  const writer = await FullSnapshotWriter.create(path, { metadata: options.metadata ?? {}, prefixBytes: options.prefixBytes, compression: options.compression })
  for (let i = 0; i < entries.length; i++) {
    const { kvStateId, key, value } = entries[i]!
    writer.add(kvStateId, key, value)
    if (writer.needsDrain || options.drainAfter?.[i]) await writer.drain()
  }
  return writer.finish()
}

export async function readKeyGroups(reader: FullSnapshotReader, offsets: Iterable<[number, number]>): Promise<ReadEntry[]> {
  const read: ReadEntry[] = []
  for (const [keyGroup, offset] of offsets) {
    for await (const batch of reader.readKeyGroup(keyGroup, offset)) {
      batch.forEach((key, value) => read.push([keyGroup, batch.kvStateId, key.toString('hex'), value.toString('hex')]))
    }
  }
  return read
}

/** Writes `entries` through a temporary file and returns the file's bytes with its key-group offsets. */
export async function snapshotBytes(
  path: string,
  entries: Entry[],
  options: { prefixBytes: 1 | 2; compression: Compression },
): Promise<{ bytes: Buffer; offsets: [number, number][] }> {
  const result = await writeSnapshot(path, entries, options)
  return { bytes: readFileSync(path), offsets: [...result.keyGroupOffsets] }
}
