import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock, type KeyedStateBackend, type KeyedStateHandle } from '../../lib'
import type { RescaleStrategy } from '../../lib'
import {
  contents,
  expectedAfterRound1Expired,
  keysOutsideRange,
  readKey,
  T0,
  TTL,
  ROUND_GAP,
  timerServices,
  union,
  useRescaleFixture,
  writeState,
} from './rescale-fixture'

const fixture = useRescaleFixture()
const KEYS = 1500
const SCALES = [3, 2, 5, 1]

/** One rescaling step's outcome per worker, in worker order. */
interface Step {
  contents: Record<string, string[]>[]
  heapTimers: number
  handles: KeyedStateHandle[]
}

/** Restores `handles` into `parallelism` workers, checks each holds only its key groups, and snapshots them as checkpoint `id`. */
async function rescale(maxParallelism: number, handles: KeyedStateHandle[], parallelism: number, id: number, strategy: RescaleStrategy, clock: ManualClock): Promise<Step> {
  const step: Step = { contents: [], heapTimers: 0, handles: [] }
  for (let i = 0; i < parallelism; i++) {
    const range = KeyGroupRange.forOperator(maxParallelism, parallelism, i)
    const worker = await fixture.backend({ maxParallelism, range, restoreFrom: handles, clock, rescaleStrategy: strategy })
    const { outside, scanned } = keysOutsideRange(worker)
    expect(scanned).toBeGreaterThan(0)
    expect(outside, `${strategy}: worker ${i}/${parallelism} (${range}) holds keys of other key groups`).toBe(0)
    step.heapTimers += timerServices(worker).heap.numEventTimeTimers()
    step.contents.push(contents(worker))
    step.handles.push(await worker.snapshot(id))
    await fixture.close(worker)
  }
  return step
}

describe.each([128, 4096])('rescaling incremental checkpoints, maxParallelism %i', (maxParallelism) => {
  it('scale 3 → 2 → 5 → 1: every entry in exactly one worker, raw values (TTL write times, list element times) kept, copy and ingest alike', async () => {
    const clock = new ManualClock(T0)
    const whole = await fixture.backend({ maxParallelism, clock })
    const { heapTimers } = writeState(whole, clock, KEYS)
    const expected = union([contents(whole)])
    // 1 → 3 first, by the default strategy: the 3 workers' handles are the chain's input.
    let handles = (await rescale(maxParallelism, [await whole.snapshot(1)], 3, 2, 'ingest', clock)).handles
    await fixture.close(whole)
    const chains: Record<RescaleStrategy, KeyedStateHandle[]> = { ingest: handles, copy: handles }
    let id = 3
    for (const parallelism of SCALES.slice(1)) {
      const steps = {} as Record<RescaleStrategy, Step>
      for (const strategy of ['ingest', 'copy'] as const) {
        steps[strategy] = await rescale(maxParallelism, chains[strategy], parallelism, id, strategy, clock)
        chains[strategy] = steps[strategy].handles
        expect(union(steps[strategy].contents), `${strategy} → ${parallelism}`).toEqual(expected)
        expect(steps[strategy].heapTimers).toBe(heapTimers)
      }
      expect(steps.ingest.contents).toEqual(steps.copy.contents)
      id++
    }
    handles = chains.ingest
    // The one worker left: round 1 expires at exactly its write time + TTL, not at the restore's.
    clock.advance(TTL.seconds - ROUND_GAP - 1)
    const last: KeyedStateBackend<string> = await fixture.backend({ maxParallelism, restoreFrom: handles, clock })
    expect(readKey(last, 1)).toMatchObject({ value: 1, list: ['a1'] })
    clock.advance(1)
    for (let i = 0; i < KEYS; i++) expect(readKey(last, i), `k${i}`).toEqual(expectedAfterRound1Expired(i))
  })
})
