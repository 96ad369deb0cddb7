import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { mapWithConcurrency, runConcurrently } from '../../lib/storage/pool'

describe('mapWithConcurrency', () => {
  it('never runs more than the limit at once, and reaches it; results keep the input order', async () => {
    let running = 0
    let peak = 0
    const items = Array.from({ length: 40 }, (_, i) => i)
    const results = await mapWithConcurrency(items, 3, async (i) => {
      peak = Math.max(peak, ++running)
      await sleep((i * 7) % 5) // finish out of order
      running--
      return i * 2
    })
    expect(peak).toBe(3)
    expect(results).toEqual(items.map((i) => i * 2))
  })

  it('handles fewer items than the limit, and none', async () => {
    expect(await mapWithConcurrency([1, 2], 8, async (i) => i)).toEqual([1, 2])
    expect(await mapWithConcurrency([], 8, async () => 1)).toEqual([])
  })

  it('after a failure starts nothing new, aborts and awaits the running calls, and rejects with the first error', async () => {
    const started: number[] = []
    const settled: number[] = []
    const promise = mapWithConcurrency([0, 1, 2, 3, 4, 5], 2, async (i, signal) => {
      started.push(i)
      if (i === 0) {
        await sleep(5)
        throw new Error('first')
      }
      // Item 1 runs until the pool tells it to stop, then fails with its own error.
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
      settled.push(i)
      throw new Error('second')
    })
    await expect(promise).rejects.toThrow('first')
    expect(started).toEqual([0, 1])
    expect(settled).toEqual([1])
  })

  it("stops on the caller's abort and rejects with its reason", async () => {
    const controller = new AbortController()
    const started: number[] = []
    const promise = mapWithConcurrency([0, 1, 2, 3], 1, async (i, signal) => {
      started.push(i)
      if (i === 1) controller.abort(new Error('cancelled'))
      signal.throwIfAborted()
      return i
    }, controller.signal)
    await expect(promise).rejects.toThrow('cancelled')
    expect(started).toEqual([0, 1])
    await expect(mapWithConcurrency([1], 1, async (i) => i, controller.signal)).rejects.toThrow('cancelled')
  })

  it('refuses a limit that is not a positive integer', async () => {
    for (const limit of [0, -1, 1.5, NaN]) {
      await expect(mapWithConcurrency([1], limit, async (i) => i)).rejects.toThrow(RangeError)
    }
  })
})

describe('runConcurrently', () => {
  it('runs every task at once; a failure aborts the others, which it awaits, then rejects with it', async () => {
    let running = 0
    let peak = 0
    const settled: string[] = []
    const failure = new Error('first')
    const promise = runConcurrently([
      async () => {
        peak = Math.max(peak, ++running)
        await sleep(5)
        settled.push('failed')
        throw failure
      },
      async (signal) => {
        peak = Math.max(peak, ++running)
        await sleep(10_000, undefined, { signal }).catch(() => undefined)
        settled.push('aborted')
      },
      async () => {
        peak = Math.max(peak, ++running)
        settled.push('done')
      },
    ])
    await expect(promise).rejects.toBe(failure)
    expect(peak).toBe(3)
    expect(settled.sort()).toEqual(['aborted', 'done', 'failed'])
  })
})
