import { describe, expect, it } from 'vitest'
import { IncompatibleStateError, KeyGroupRange, Serializers as S, type KeyedStateBackend } from '../../lib'
import { MAX_PARALLELISM, useSnapshotFixture } from './snapshot-fixture'

const fixture = useSnapshotFixture()
const queues = ['heap', 'rocksdb'] as const

function service(backend: KeyedStateBackend<string>, queue: 'heap' | 'rocksdb', fired: string[]) {
  return backend.timerService<string>({
    name: 'windows',
    namespaceSerializer: S.string,
    queue,
    onTimer: (timer, ctx) => fired.push(`${ctx.domain}:${timer.timestamp}:${timer.key}:${timer.namespace}`),
  })
}

describe('timers in full snapshots', () => {
  for (const from of queues) {
    for (const to of queues) {
      it(`${from} timers restore into a ${to} queue, also when rescaled`, async () => {
        const source = await fixture.backend()
        const timers = service(source, from, [])
        const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`)
        for (const [i, key] of keys.entries()) {
          source.setCurrentKey(key)
          timers.registerEventTimeTimer(`w${i % 3}`, 1000 + i)
          timers.registerProcessingTimeTimer('p', -i)
        }
        source.setCurrentKey('key-0')
        timers.deleteEventTimeTimer('w0', 1000)
        const handle = await source.snapshot(1, fixture.storage())
        timers.registerEventTimeTimer('after', 1) // after the snapshot: not restored

        const fired: string[] = []
        for (let index = 0; index < 2; index++) {
          const range = KeyGroupRange.forOperator(MAX_PARALLELISM, 2, index)
          const restored = await fixture.backend({ range, restoreFrom: [handle] })
          const workerFired: string[] = []
          const restoredTimers = service(restored, to, workerFired)
          // Fire about half of each domain, so a second snapshot has timers left to keep.
          restoredTimers.advanceWatermark(1029)
          restoredTimers.advanceProcessingTime(-30)
          const again = await restored.snapshot(2, fixture.storage())
          const reopenedFired: string[] = []
          const reopenedTimers = service(await fixture.backend({ range, restoreFrom: [again] }), from, reopenedFired)
          // The second snapshot kept exactly the timers that had not fired: the same ones fire next.
          expect(restoredTimers.numEventTimeTimers() + restoredTimers.numProcessingTimeTimers()).toBeGreaterThan(0)
          expect(reopenedTimers.numEventTimeTimers()).toBe(restoredTimers.numEventTimeTimers())
          expect(reopenedTimers.numProcessingTimeTimers()).toBe(restoredTimers.numProcessingTimeTimers())
          const firedBeforeSecondSnapshot = workerFired.length
          for (const timers of [restoredTimers, reopenedTimers]) {
            timers.advanceWatermark(Number.MAX_SAFE_INTEGER)
            timers.advanceProcessingTime(0)
          }
          expect(reopenedFired).toEqual(workerFired.slice(firedBeforeSecondSnapshot))
          // Within a worker, event timers fire in timestamp order (the whole sequence, both advances).
          const eventTimes = workerFired.filter((f) => f.startsWith('eventTime')).map((f) => Number(f.split(':')[1]))
          expect(eventTimes).toEqual([...eventTimes].sort((a, b) => a - b))
          fired.push(...workerFired)
        }
        const eventFired = fired.filter((f) => f.startsWith('eventTime'))
        expect(eventFired).toHaveLength(59)
        expect(eventFired).not.toContain('eventTime:1:key-0:after')
        expect(fired.filter((f) => f.startsWith('processingTime'))).toHaveLength(60)
      })
    }
  }

  it('a restored timer service must keep its namespace serializer', async () => {
    const source = await fixture.backend()
    const timers = service(source, 'rocksdb', [])
    source.setCurrentKey('k')
    timers.registerEventTimeTimer('w', 5)
    const restored = await fixture.backend({ restoreFrom: [await source.snapshot(1, fixture.storage())] })
    expect(() => restored.timerService({ name: 'windows', namespaceSerializer: S.int64, queue: 'heap', onTimer() {} })).toThrow(
      IncompatibleStateError,
    )
  })
})
