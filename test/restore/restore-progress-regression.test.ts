import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock, type KeyedStateHandle, type RestoreProgress } from '../../lib'
import { T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128
/** Few keys: most key groups are empty, which a full stream's index records as offset 0. */
const KEYS = 40

/** The reports of a restore of `handles` into `range`, each copied as it was. */
async function reportsOf(handles: KeyedStateHandle[], range: KeyGroupRange, clock: ManualClock, rescaleStrategy: 'ingest' | 'copy' = 'ingest') {
  const reports: RestoreProgress[] = []
  const backend = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock, rescaleStrategy, onRestoreProgress: (progress) => reports.push({ ...progress }) })
  await fixture.close(backend)
  return reports
}

/** Each report at or above the one before it, the last one every key group of `range`. */
function expectMonotonicAndComplete(reports: RestoreProgress[], range: KeyGroupRange, what: string) {
  expect(reports.length, `${what}: no progress was reported`).toBeGreaterThan(0)
  reports.forEach((report, i) => {
    if (i === 0) return
    expect(report.keyGroups, what).toBeGreaterThanOrEqual(reports[i - 1]!.keyGroups)
    expect(report.entries, what).toBeGreaterThanOrEqual(reports[i - 1]!.entries)
  })
  expect(reports.at(-1)!.keyGroups, `${what}: the last report`).toBe(range.numberOfKeyGroups)
}

describe('regression: onRestoreProgress ends at every key group of the range, whatever the handles', () => {
  it('regression: a restore of one incremental handle of the same range reported nothing; a full stream\'s empty key groups were never counted, so a mixed restore ended short of its range', async () => {
    const clock = new ManualClock(T0)
    const [low, high] = await fixture.workersCheckpoint(2, clock, { keys: KEYS })
    const lowRange = KeyGroupRange.fromJSON(low!.keyGroupRange)
    for (const strategy of ['ingest', 'copy'] as const) {
      expectMonotonicAndComplete(await reportsOf([low!], lowRange, clock, strategy), lowRange, `same range (${strategy})`)
    }
    // A full snapshot of the low half beside the incremental high half.
    const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: lowRange, restoreFrom: [low!], clock })
    const full = await worker.snapshot(3, { type: 'full' })
    await fixture.close(worker)
    const highAgain = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: KeyGroupRange.fromJSON(high!.keyGroupRange), restoreFrom: [high!], clock })
    const incremental = await highAgain.snapshot(3)
    await fixture.close(highAgain)
    expectMonotonicAndComplete(await reportsOf([full], lowRange, clock), lowRange, 'one full stream')
    for (const range of [new KeyGroupRange(0, 127), new KeyGroupRange(10, 100)]) {
      for (const strategy of ['ingest', 'copy'] as const) {
        expectMonotonicAndComplete(await reportsOf([full, incremental], range, clock, strategy), range, `full + incremental into ${range} (${strategy})`)
      }
    }
  })
})
