import { statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock, RocksDB, type KeyedStateHandle } from '../../lib'
import { contents, keysOutsideRange, T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128
const asIs = RocksDB.canIngestDbGeneratedFiles

describe(`rescaled restore on RocksDB ${RocksDB.version} (${RocksDB.build})`, () => {
  /** The live files of `backend` that are `handle`'s shared files in the storage (the same inodes). */
  async function linkedFrom(backend: { db: RocksDB }, handle: KeyedStateHandle) {
    if (handle.kind !== 'incremental') throw new Error('expected an incremental handle')
    const storageInodes = new Set(await Promise.all(Object.values(handle.sharedFiles).map(async (ref) => statSync(await fixture.storage().localPath(ref)).ino)))
    return backend.db.liveFiles().filter((file) => storageInodes.has(statSync(path.join(file.directory, file.name)).ino))
  }

  it(`scale-in: the SST files of a handle wholly inside the new range are ${asIs ? 'ingested as they are' : 'rewritten (this RocksDB cannot ingest files another DB wrote)'}`, async () => {
    const clock = new ManualClock(T0)
    // A full compaction drops what clipping hid and leaves every key at sequence number 0.
    const handles = await fixture.workersCheckpoint(2, clock, { compact: true })
    const ingested = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock })
    const copied = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock, rescaleStrategy: 'copy' })
    expect(contents(ingested)).toEqual(contents(copied))
    // handles[0] is the base (installed: its files are linked); handles[1]'s files are either linked too, unchanged, or rewritten.
    const linked = await linkedFrom(ingested, handles[1]!)
    if (asIs) {
      expect(linked.length).toBeGreaterThan(0)
      expect(linked.map((file) => file.columnFamily)).toContain('value')
    } else expect(linked).toEqual([])
  })

  it(`regression: 4 → 2, the base's clip writes no range tombstone where none of its files reaches, so the other handle's files are ${asIs ? 'still ingested as they are (a tombstone in the memtable used to refuse that)' : 'rewritten'}`, async () => {
    const clock = new ManualClock(T0)
    const handles = await fixture.workersCheckpoint(4, clock, { compact: true })
    // [0, 63]: handles[0] ([0, 31]) is the base, clipped above 63 where it has no key; handles[1] ([32, 63]) lies wholly inside.
    const range = new KeyGroupRange(0, 63)
    const ingested = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock })
    const copied = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock, rescaleStrategy: 'copy' })
    expect(contents(ingested)).toEqual(contents(copied))
    const linked = await linkedFrom(ingested, handles[1]!)
    if (asIs) expect(linked.map((file) => file.columnFamily)).toContain('value')
    else expect(linked).toEqual([])
  })

  it(`scale-out 2 → 3: the middle worker's other handle reaches beyond its range; its files are ${asIs ? 'ingested as they are and clipped with the base (range tombstones written after the ingestion)' : 'rewritten'}`, async () => {
    const clock = new ManualClock(T0)
    const handles = await fixture.workersCheckpoint(2, clock, { compact: true })
    // [43, 85]: handles[1] ([64, 127]) is the base (22 key groups), handles[0] ([0, 63]) shares 21.
    const range = KeyGroupRange.forOperator(MAX_PARALLELISM, 3, 1)
    const other = handles[0]!
    if (other.kind !== 'incremental') throw new Error('expected an incremental handle')
    const storageInodes = new Set(await Promise.all(Object.values(other.sharedFiles).map(async (ref) => statSync(await fixture.storage().localPath(ref)).ino)))
    const ingested = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock })
    // At once, with no await: before the clip's compaction (started when open returned) rewrites them.
    const linked = ingested.db.liveFiles().filter((file) => storageInodes.has(statSync(path.join(file.directory, file.name)).ino))
    if (asIs) expect(linked.map((file) => file.columnFamily)).toContain('value')
    else expect(linked).toEqual([])
    const copied = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock, rescaleStrategy: 'copy' })
    expect(contents(ingested)).toEqual(contents(copied))
    expect(keysOutsideRange(ingested).outside).toBe(0)
    // The clip's compaction rewrites what reached outside: afterwards no file holds a key of another worker.
    await ingested.clipCompacted
    expect(await linkedFrom(ingested, handles[0]!)).toEqual([])
    expect(contents(ingested)).toEqual(contents(copied))
    const prefix = (key: Buffer) => key.readUInt8(0)
    for (const file of ingested.db.liveFiles()) {
      if (file.columnFamily === 'default') continue
      expect(range.contains(prefix(file.smallestKey))).toBe(true)
      expect(range.contains(prefix(file.largestKey))).toBe(true)
    }
  })
})
