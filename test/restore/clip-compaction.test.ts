import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock, RocksDB, type KeyedStateHandle } from '../../lib'
import { keyRangeOf } from '../../lib/restore/rescale-base'
import { contents, keysOutsideRange, T0, useRescaleFixture, writeState } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128

/** Checkpoint 1 of one backend holding `writeState`, every column family compacted into files that span all key groups. */
async function oneWideCheckpoint(clock: ManualClock): Promise<KeyedStateHandle> {
  const whole = await fixture.backend({ maxParallelism: MAX_PARALLELISM, clock })
  writeState(whole, clock, 1500)
  for (const cf of whole.db.columnFamilies()) await whole.db.compactRange(cf)
  const handle = await whole.snapshot(1)
  await fixture.close(whole)
  return handle
}

function sstBytes(db: RocksDB): number {
  return db.liveFiles().reduce((sum, file) => sum + file.size, 0)
}

describe(`compaction after clipping a rescaled restore's base (RocksDB ${RocksDB.version}, ${RocksDB.build})`, () => {
  for (const range of [new KeyGroupRange(0, 63), new KeyGroupRange(43, 85)]) {
    it(`${range}: runs after open returned; then no file holds a key outside the range or a deletion, the SST bytes shrink, the data is intact`, async () => {
      const clock = new ManualClock(T0)
      const handle = await oneWideCheckpoint(clock)
      if (handle.kind !== 'incremental') throw new Error('expected an incremental handle')
      const restored = Object.values(handle.sharedFiles).reduce((sum, ref) => sum + ref.size, 0)
      const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: [handle], clock })
      let settled = false
      void worker.clipCompacted.finally(() => (settled = true))
      // open returned with no turn of the event loop since the compaction started: it did not wait for it.
      expect(settled).toBe(false)
      await worker.clipCompacted
      const bounds = keyRangeOf(range, MAX_PARALLELISM)
      const files = worker.db.liveFiles()
      expect(files.length).toBeGreaterThan(0)
      for (const file of files) {
        expect(file.smallestKey.compare(bounds.gte), `${file.columnFamily}/${file.name}`).toBeGreaterThanOrEqual(0)
        expect(file.largestKey.compare(bounds.lt), `${file.columnFamily}/${file.name}`).toBeLessThan(0)
        expect(file.deletions, `${file.columnFamily}/${file.name}`).toBe(0)
      }
      // The range holds about a third or a half of the key groups: the files that held all of them are gone.
      expect(sstBytes(worker.db)).toBeLessThan(restored * 0.75)
      expect(keysOutsideRange(worker).outside).toBe(0)
      const copied = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: [handle], clock, rescaleStrategy: 'copy' })
      expect(contents(worker)).toEqual(contents(copied))
      await copied.clipCompacted
    })
  }

  it('close() right after open (the compaction possibly still running): close returns, clipCompacted resolves, the next checkpoint restores', async () => {
    const clock = new ManualClock(T0)
    const handle = await oneWideCheckpoint(clock)
    const range = new KeyGroupRange(43, 85)
    const path = fixture.tempDir('closed-early')
    const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: [handle], clock, path })
    const expected = contents(worker)
    const next = await worker.snapshot(2)
    await fixture.close(worker)
    await expect(worker.clipCompacted).resolves.toBeUndefined()
    const again = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: [next], clock, path })
    expect(contents(again)).toEqual(expected)
    await again.clipCompacted
  })

  it('nothing clipped (no base, or a base of the same range): clipCompacted is settled at once', async () => {
    const clock = new ManualClock(T0)
    const handle = await oneWideCheckpoint(clock)
    const same = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: [handle], clock })
    const fresh = await fixture.backend({ maxParallelism: MAX_PARALLELISM, clock })
    for (const backend of [same, fresh]) {
      let settled = false
      void backend.clipCompacted.then(() => (settled = true))
      await Promise.resolve()
      expect(settled).toBe(true)
    }
  })
})
