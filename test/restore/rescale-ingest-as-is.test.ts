import { statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB } from '../../lib'
import { contents, T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128
const asIs = RocksDB.canIngestDbGeneratedFiles

describe(`rescaled restore on RocksDB ${RocksDB.version} (${RocksDB.build})`, () => {
  it(`scale-in: the SST files of a handle wholly inside the new range are ${asIs ? 'ingested as they are' : 'rewritten (this RocksDB cannot ingest files another DB wrote)'}`, async () => {
    const clock = new ManualClock(T0)
    // A full compaction drops what clipping hid and leaves every key at sequence number 0.
    const handles = await fixture.workersCheckpoint(2, clock, { compact: true })
    const ingested = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock })
    const copied = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock, rescaleStrategy: 'copy' })
    expect(contents(ingested)).toEqual(contents(copied))
    // handles[0] is the base (installed: its files are linked); handles[1]'s files are either linked too, unchanged, or rewritten.
    const other = handles[1]!
    if (other.kind !== 'incremental') throw new Error('expected an incremental handle')
    const storageInodes = new Set(await Promise.all(Object.values(other.sharedFiles).map(async (ref) => statSync(await fixture.storage().localPath(ref)).ino)))
    const linked = ingested.db.liveFiles().filter((file) => storageInodes.has(statSync(path.join(file.directory, file.name)).ino))
    if (asIs) {
      expect(linked.length).toBeGreaterThan(0)
      expect(linked.map((file) => file.columnFamily)).toContain('value')
    } else expect(linked).toEqual([])
  })
})
