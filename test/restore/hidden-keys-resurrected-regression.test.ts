import { describe, expect, it } from 'vitest'
import { KeyGroupOutOfRangeError, KeyGroupRange, ManualClock, RocksDB, type KeyedStateBackend, type KeyedStateHandle } from '../../lib'
import { contents, states, T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128
const KEYS = 200_000

/** Holds every `compactRange` until released: the clip compaction of a backend opened meanwhile waits (as a slow one would). */
function holdCompactions() {
  const original = RocksDB.prototype.compactRange
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  RocksDB.prototype.compactRange = async function (this: RocksDB, ...args: Parameters<RocksDB['compactRange']>) {
    await released
    return original.apply(this, args)
  }
  return () => {
    RocksDB.prototype.compactRange = original
    release()
  }
}

/** Runs `write` for every key of `backend`'s range. */
function forEachKey(backend: KeyedStateBackend<string>, write: () => void) {
  for (let i = 0; i < KEYS; i++) {
    try {
      backend.setCurrentKey(`k${i}`)
    } catch (error) {
      if (error instanceof KeyGroupOutOfRangeError) continue
      throw error
    }
    write()
  }
}


describe(`rescaled restore on RocksDB ${RocksDB.version} (${RocksDB.build})`, () => {
  it('regression: keys a checkpoint hid behind its clip (taken before the clip compaction) are not ingested with its files where the target holds no file of theirs', async () => {
    const clock = new ManualClock(T0)
    const whole = await fixture.backend({ maxParallelism: MAX_PARALLELISM, clock })
    const wholeSum = states(whole).sum
    forEachKey(whole, () => wholeSum.add(1))
    // One file at sequence number 0 spanning every key group.
    for (const cf of whole.db.columnFamilies()) await whole.db.compactRange(cf)
    const first = await whole.snapshot(1)
    await fixture.close(whole)

    // Worker 0 of 2 ([0, 63]) checkpoints before its clip compaction ran: its file still holds
    // [64, 127], hidden by a tombstone file that starts at key group 64 (RocksDB compacts that file
    // on its own too, but not before the checkpoint with this many keys).
    const releaseCompactions = holdCompactions()
    let lowHandle: KeyedStateHandle
    try {
      const low = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: KeyGroupRange.forOperator(MAX_PARALLELISM, 2, 0), restoreFrom: [first], clock })
      lowHandle = await low.snapshot(2)
    } finally {
      releaseCompactions()
    }

    // Worker 1 of 2 ([64, 127]) deletes every sum it holds, compacted away: that state has no file.
    const high = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: KeyGroupRange.forOperator(MAX_PARALLELISM, 2, 1), restoreFrom: [first], clock })
    await high.clipCompacted
    const highSum = states(high).sum
    forEachKey(high, () => highSum.clear())
    for (const cf of high.db.columnFamilies()) await high.db.compactRange(cf)
    const highHandle = await high.snapshot(2)

    // [40, 127]: worker 1's handle is the base (64 key groups), worker 0's shares [40, 63].
    const range = new KeyGroupRange(40, MAX_PARALLELISM - 1)
    const handles = [lowHandle, highHandle]
    const ingested = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock })
    const copied = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock, rescaleStrategy: 'copy' })
    // Worker 0's file used to be ingested as it is (worker 1's holds nothing to overlap it): the sums worker 1 deleted came back.
    expect(contents(ingested)).toEqual(contents(copied))
  })
})
