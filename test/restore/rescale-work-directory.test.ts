import { existsSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock } from '../../lib'
import { T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()

/** What a restore left in the backend's work directory (`keyed-state-work`): nothing, once open returned. */
function leftInWorkDirectory(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory) : []
}

describe('a rescaled restore that succeeds leaves no temporary directory behind', () => {
  for (const rescaleStrategy of ['ingest', 'copy'] as const) {
    for (const [from, to] of [[2, 3], [3, 1]] as const) {
      it(`${from} -> ${to} workers, ${rescaleStrategy}: each new worker's work directory is empty once open returned`, async () => {
        const clock = new ManualClock(T0)
        const handles = await fixture.workersCheckpoint(from, clock)
        for (let i = 0; i < to; i++) {
          const range = KeyGroupRange.forOperator(128, to, i)
          const backend = await fixture.backend({ maxParallelism: 128, range, restoreFrom: handles, clock, rescaleStrategy })
          await backend.clipCompacted
          expect(leftInWorkDirectory(backend.workDirectory)).toEqual([])
          await fixture.close(backend)
        }
      })
    }
  }
})
