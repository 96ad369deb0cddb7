import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ClosedError,
  IncompatibleStateError,
  KeyGroupOutOfRangeError,
  KeyGroupRange,
  KeyedStateBackend,
  OperationInProgressError,
  Serializers as S,
  assignToKeyGroup,
  serialize,
} from '../../lib'
import { RocksDBTimerQueue, type TimeDomain, type TimerContext, type Timer, type TimerServiceOptions } from '../../lib/timers'
import { useBackends } from '../state/backend-fixture'

const open = useBackends()
let backend: KeyedStateBackend<string>
afterEach(async () => backend?.close())

type Fired = [domain: TimeDomain, key: string, namespace: string, timestamp: number]

describe.each(['heap', 'rocksdb'] as const)('TimerService on the %s queue', (queue) => {
  /** A service on `backend` that records what fires; `react` runs inside onTimer. */
  function service({
    react,
    ...options
  }: Partial<TimerServiceOptions<string, string>> & {
    react?: (timer: Timer<string, string>, ctx: TimerContext<string, string>) => void
  } = {}) {
    const fired: Fired[] = []
    const timers = backend.timerService<string>({
      name: 'timers',
      namespaceSerializer: S.string,
      queue,
      ...options,
      onTimer(timer, ctx) {
        expect(backend.currentKey).toBe(timer.key)
        fired.push([ctx.domain, timer.key, timer.namespace, timer.timestamp])
        react?.(timer, ctx)
      },
    })
    return { timers, fired }
  }

  it('fires event-time timers up to the watermark in timestamp order, ties by key then namespace', async () => {
    backend = await open()
    const { timers, fired } = service()
    const register = (key: string, namespace: string, timestamp: number) => {
      backend.setCurrentKey(key)
      timers.registerEventTimeTimer(namespace, timestamp)
    }
    register('c', 'y', 5)
    register('a', 'x', 5)
    register('b', 'x', -3)
    register('c', 'x', Number.MAX_SAFE_INTEGER)
    register('a', 'w', 5)
    register('b', 'x', Number.MIN_SAFE_INTEGER)
    register('bb', 'a', 5)
    register('b', 'x', -(2 ** 32))
    register('b', 'x', 2 ** 32)
    expect(timers.currentWatermark).toBe(-Infinity)
    expect(timers.advanceWatermark(4)).toBe(3)
    expect(fired).toEqual([
      ['eventTime', 'b', 'x', Number.MIN_SAFE_INTEGER],
      ['eventTime', 'b', 'x', -(2 ** 32)],
      ['eventTime', 'b', 'x', -3],
    ])
    expect(timers.currentWatermark).toBe(4)
    fired.length = 0
    timers.advanceWatermark(5)
    // serialized strings are length-prefixed: 'bb' sorts after 'c'
    expect(fired).toEqual([
      ['eventTime', 'a', 'w', 5],
      ['eventTime', 'a', 'x', 5],
      ['eventTime', 'c', 'y', 5],
      ['eventTime', 'bb', 'a', 5],
    ])
    fired.length = 0
    expect(timers.advanceWatermark(5)).toBe(0)
    expect(timers.advanceWatermark(Infinity)).toBe(2)
    expect(fired).toEqual([
      ['eventTime', 'b', 'x', 2 ** 32],
      ['eventTime', 'c', 'x', Number.MAX_SAFE_INTEGER],
    ])
    expect(timers.numEventTimeTimers()).toBe(0)
  })

  it('holds a (timestamp, key, namespace) once and deletes it', async () => {
    backend = await open()
    const { timers, fired } = service()
    backend.setCurrentKey('k')
    for (let i = 0; i < 3; i++) timers.registerEventTimeTimer('n', 10)
    timers.registerEventTimeTimer('m', 10)
    timers.registerEventTimeTimer('n', 11)
    timers.registerEventTimeTimer('n', 12)
    backend.setCurrentKey('j')
    timers.registerEventTimeTimer('n', 10)
    expect(timers.numEventTimeTimers()).toBe(5)
    backend.setCurrentKey('k')
    expect(timers.deleteEventTimeTimer('n', 10)).toBe(true)
    expect(timers.deleteEventTimeTimer('n', 10)).toBe(false)
    expect(timers.deleteEventTimeTimer('n', 12)).toBe(true)
    expect(timers.deleteEventTimeTimer('x', 11)).toBe(false)
    expect(timers.numEventTimeTimers()).toBe(3)
    timers.advanceWatermark(100)
    expect(fired).toEqual([
      ['eventTime', 'j', 'n', 10],
      ['eventTime', 'k', 'm', 10],
      ['eventTime', 'k', 'n', 11],
    ])
  })

  it('keeps event-time and processing-time timers apart', async () => {
    backend = await open()
    const { timers, fired } = service()
    backend.setCurrentKey('k')
    timers.registerEventTimeTimer('e', 5)
    timers.registerProcessingTimeTimer('p', 5)
    timers.registerProcessingTimeTimer('p', 7)
    expect(timers.deleteEventTimeTimer('p', 7)).toBe(false)
    expect([timers.numEventTimeTimers(), timers.numProcessingTimeTimers()]).toEqual([1, 2])
    expect(timers.advanceProcessingTime(6)).toBe(1)
    expect(timers.currentProcessingTime).toBe(6)
    expect(timers.deleteProcessingTimeTimer('p', 7)).toBe(true)
    timers.advanceWatermark(10)
    expect(fired).toEqual([
      ['processingTime', 'k', 'p', 5],
      ['eventTime', 'k', 'e', 5],
    ])
    expect(timers.advanceProcessingTime(100)).toBe(0)
  })

  it('fires timers registered inside onTimer in the same advance when due, and honours deletes made there', async () => {
    backend = await open()
    const { timers, fired } = service({
      react(timer, ctx) {
        const service = ctx.timerService
        if (timer.namespace === 'chain' && timer.timestamp < 13) service.registerEventTimeTimer('chain', timer.timestamp + 1)
        if (timer.namespace === 'past') service.registerEventTimeTimer('late', timer.timestamp - 100)
        if (timer.namespace === 'kill') {
          backend.setCurrentKey('other')
          service.deleteEventTimeTimer('victim', 12)
        }
        if (timer.namespace === 'later') service.registerEventTimeTimer('next', 1000)
      },
    })
    backend.setCurrentKey('k')
    timers.registerEventTimeTimer('chain', 10)
    timers.registerEventTimeTimer('past', 11)
    timers.registerEventTimeTimer('kill', 11)
    timers.registerEventTimeTimer('later', 14)
    backend.setCurrentKey('other')
    timers.registerEventTimeTimer('victim', 12)
    timers.advanceWatermark(20)
    expect(fired).toEqual([
      ['eventTime', 'k', 'chain', 10],
      // equal timestamps go by serialized namespace, whose length prefix puts 'chain' last
      ['eventTime', 'k', 'kill', 11],
      ['eventTime', 'k', 'past', 11],
      ['eventTime', 'k', 'late', -89],
      ['eventTime', 'k', 'chain', 11],
      ['eventTime', 'k', 'chain', 12],
      ['eventTime', 'k', 'chain', 13],
      ['eventTime', 'k', 'later', 14],
    ])
    expect(timers.numEventTimeTimers()).toBe(1)
  })

  it('sets each timer key as current during onTimer and restores the previous key after', async () => {
    backend = await open()
    const counts = backend.valueState('count', S.int32)
    const seen: [string, number | undefined][] = []
    const { timers } = service({
      react(timer) {
        seen.push([timer.key, counts.value()])
        counts.update((counts.value() ?? 0) + 100)
      },
    })
    for (const [key, count] of [['x', 1], ['y', 2], ['z', 3]] as const) {
      backend.setCurrentKey(key)
      counts.update(count)
      timers.registerProcessingTimeTimer('', count)
    }
    backend.setCurrentKey('w')
    timers.advanceProcessingTime(10)
    expect(seen).toEqual([['x', 1], ['y', 2], ['z', 3]])
    expect(backend.currentKey).toBe('w')
    expect(counts.value()).toBeUndefined()
    backend.setCurrentKey('y')
    expect(counts.value()).toBe(102)
  })

  it('restores the key and keeps later timers when onTimer throws', async () => {
    backend = await open()
    const { timers, fired } = service({
      react(timer) {
        if (timer.namespace === 'boom') throw new Error('boom')
      },
    })
    backend.setCurrentKey('a')
    timers.registerEventTimeTimer('boom', 1)
    timers.registerEventTimeTimer('fine', 2)
    backend.setCurrentKey('b')
    expect(() => timers.advanceWatermark(5)).toThrow('boom')
    expect(backend.currentKey).toBe('b')
    expect(timers.numEventTimeTimers()).toBe(1)
    expect(timers.advanceWatermark(5)).toBe(1)
    expect(fired.map(([, , namespace]) => namespace)).toEqual(['boom', 'fine'])
  })

  it('holds only the keys of its key-group range', async () => {
    const range = KeyGroupRange.forOperator(128, 2, 0)
    backend = await open({ keyGroupRange: range })
    const { timers, fired } = service()
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`)
    const inside = keys.filter((key) => range.contains(assignToKeyGroup(key, 128, S.string)))
    const outside = keys.find((key) => !inside.includes(key))!
    expect(() => backend.setCurrentKey(outside)).toThrow(KeyGroupOutOfRangeError)
    for (const key of inside) {
      backend.setCurrentKey(key)
      timers.registerEventTimeTimer('n', 1)
    }
    expect(() => timers.eventTimeQueue.addAll([{ timestamp: 1, key: outside, namespace: 'n' }])).toThrow(KeyGroupOutOfRangeError)
    timers.advanceWatermark(1)
    expect(fired.map(([, key]) => key).sort()).toEqual([...inside].sort())
  })

  it('rejects misuse with typed errors', async () => {
    backend = await open()
    const { timers } = service({
      react: (_timer, ctx) => ctx.timerService.advanceWatermark(100),
    })
    expect(() => timers.registerEventTimeTimer('n', 1)).toThrow(expect.objectContaining({ code: 'NoCurrentKey' }))
    backend.setCurrentKey('k')
    for (const bad of [1.5, NaN, Infinity, 2 ** 53]) expect(() => timers.registerEventTimeTimer('n', bad)).toThrow(RangeError)
    expect(() => timers.registerEventTimeTimer(7 as unknown as string, 1)).toThrow(TypeError)
    expect(timers.numEventTimeTimers()).toBe(0)
    timers.advanceWatermark(10)
    expect(() => timers.advanceWatermark(9)).toThrow(RangeError)
    expect(() => timers.advanceWatermark(NaN)).toThrow(TypeError)
    timers.registerEventTimeTimer('n', 11)
    expect(() => timers.advanceWatermark(11)).toThrow(OperationInProgressError)
    expect(() => service()).toThrow(IncompatibleStateError)
    expect(() => backend.timerService({ name: 'bad name', namespaceSerializer: S.string, queue, onTimer() {} })).toThrow(TypeError)
    await backend.close()
    expect(() => timers.advanceWatermark(20)).toThrow(ClosedError)
    expect(() => timers.registerEventTimeTimer('n', 1)).toThrow(ClosedError)
  })

  it('matches a sorted-array model over random register/delete/advance sequences', async () => {
    // few key groups and a tiny cache, so the rocksdb queue evicts and refills all the time
    backend = await open({ maxParallelism: 4 })
    const keys = ['a', 'b', 'c', 'd', 'e', 'é', '']
    const namespaces = ['x', 'y', 'repeat', 'back']
    const domain = fc.constantFrom<TimeDomain>('eventTime', 'processingTime')
    const timestamp = fc.integer({ min: -30, max: 60 })
    const command = fc.oneof(
      fc.record({ op: fc.constant('key' as const), key: fc.constantFrom(...keys) }),
      fc.record({ op: fc.constant('register' as const), domain, namespace: fc.constantFrom(...namespaces), timestamp }),
      fc.record({ op: fc.constant('delete' as const), domain, namespace: fc.constantFrom(...namespaces), timestamp }),
      fc.record({ op: fc.constant('advance' as const), domain, by: fc.integer({ min: 0, max: 20 }) }),
    )
    type ModelTimer = { key: string; namespace: string; timestamp: number }
    const order = (a: ModelTimer, b: ModelTimer) =>
      a.timestamp - b.timestamp ||
      Buffer.compare(serialize(S.string, a.key), serialize(S.string, b.key)) ||
      Buffer.compare(serialize(S.string, a.namespace), serialize(S.string, b.namespace))
    const same = (a: ModelTimer, b: ModelTimer) => order(a, b) === 0
    // what onTimer does, in the service and in the model alike
    const reaction = (timer: ModelTimer): ModelTimer | undefined =>
      timer.namespace === 'repeat' && timer.timestamp < 40
        ? { key: timer.key, namespace: 'x', timestamp: timer.timestamp + 3 }
        : timer.namespace === 'back'
          ? { key: timer.key, namespace: 'y', timestamp: timer.timestamp - 5 }
          : undefined
    let run = 0
    fc.assert(
      fc.property(fc.array(command, { maxLength: 150 }), (commands) => {
        const fired: Fired[] = []
        const timers = backend.timerService<string>({
          name: `model-${run++}`,
          namespaceSerializer: S.string,
          queue,
          // A heap queue has no cache (the option is refused there).
          ...(queue === 'rocksdb' ? { cacheSize: 2 } : {}),
          onTimer(timer, ctx) {
            fired.push([ctx.domain, timer.key, timer.namespace, timer.timestamp])
            const next = reaction(timer)
            if (next === undefined) return
            if (ctx.domain === 'eventTime') ctx.timerService.registerEventTimeTimer(next.namespace, next.timestamp)
            else ctx.timerService.registerProcessingTimeTimer(next.namespace, next.timestamp)
          },
        })
        const model: Record<TimeDomain, ModelTimer[]> = { eventTime: [], processingTime: [] }
        const time: Record<TimeDomain, number> = { eventTime: 0, processingTime: 0 }
        const expected: Fired[] = []
        const add = (domain: TimeDomain, timer: ModelTimer) => {
          if (!model[domain].some((other) => same(other, timer))) model[domain].push(timer)
        }
        let key = 'a'
        backend.setCurrentKey(key)
        for (const c of commands) {
          if (c.op === 'key') {
            key = c.key
            backend.setCurrentKey(key)
          } else if (c.op === 'register') {
            add(c.domain, { key, namespace: c.namespace, timestamp: c.timestamp })
            if (c.domain === 'eventTime') timers.registerEventTimeTimer(c.namespace, c.timestamp)
            else timers.registerProcessingTimeTimer(c.namespace, c.timestamp)
          } else if (c.op === 'delete') {
            const timer = { key, namespace: c.namespace, timestamp: c.timestamp }
            const at = model[c.domain].findIndex((other) => same(other, timer))
            if (at >= 0) model[c.domain].splice(at, 1)
            const deleted =
              c.domain === 'eventTime'
                ? timers.deleteEventTimeTimer(c.namespace, c.timestamp)
                : timers.deleteProcessingTimeTimer(c.namespace, c.timestamp)
            expect(deleted).toBe(at >= 0)
          } else {
            const until = (time[c.domain] += c.by)
            for (;;) {
              const due = model[c.domain].filter((timer) => timer.timestamp <= until).sort(order)[0]
              if (due === undefined) break
              model[c.domain].splice(model[c.domain].indexOf(due), 1)
              expected.push([c.domain, due.key, due.namespace, due.timestamp])
              const next = reaction(due)
              if (next !== undefined) add(c.domain, next)
            }
            if (c.domain === 'eventTime') timers.advanceWatermark(until)
            else timers.advanceProcessingTime(until)
            expect(backend.currentKey).toBe(key)
          }
          expect(timers.numEventTimeTimers()).toBe(model.eventTime.length)
          expect(timers.numProcessingTimeTimers()).toBe(model.processingTime.length)
        }
        expect(fired).toEqual(expected)
        const byKeyGroupThenOrder = (a: ModelTimer, b: ModelTimer) =>
          assignToKeyGroup(a.key, 4, S.string) - assignToKeyGroup(b.key, 4, S.string) || order(a, b)
        const plain = ({ key, namespace, timestamp }: ModelTimer) => ({ key, namespace, timestamp })
        expect([...timers.eventTimeQueue].map(plain)).toEqual(model.eventTime.sort(byKeyGroupThenOrder))
        expect([...timers.processingTimeQueue].map(plain)).toEqual(model.processingTime.sort(byKeyGroupThenOrder))
      }),
      // each run creates a service: for rocksdb two column families, whose creation dominates
      { numRuns: 100 },
    )
  })

  // Only the rocksdb queue has a cache to bound; the heap holds every timer by design.
  it(`fires 200k timers in order${queue === 'rocksdb' ? ', caching at most 128 per key group' : ''}`, async () => {
    backend = await open()
    let maxCached = 0
    const cached = () => (timers.eventTimeQueue as RocksDBTimerQueue<string, number>).cachedTimers
    let previous = -Infinity
    let count = 0
    const timers = backend.timerService<number>({
      name: 'many',
      namespaceSerializer: S.int32,
      queue,
      onTimer(timer) {
        if (timer.timestamp < previous) throw new Error(`timer ${timer.timestamp} after ${previous}`)
        previous = timer.timestamp
        if (++count % 10_000 === 0 && queue === 'rocksdb') maxCached = Math.max(maxCached, cached())
      },
    })
    let seed = 42
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
    for (let i = 0; i < 200_000; i++) {
      backend.setCurrentKey(`key-${i % 20_000}`)
      // the loop index as namespace keeps every timer distinct
      timers.registerEventTimeTimer(i, (random() % 2_000_000) - 1_000_000)
    }
    if (queue === 'rocksdb') maxCached = cached()
    expect(timers.numEventTimeTimers()).toBe(200_000)
    for (let watermark = -1_000_000; watermark < 1_000_000; watermark += 250_000) timers.advanceWatermark(watermark)
    timers.advanceWatermark(Infinity)
    expect(count).toBe(200_000)
    expect(timers.numEventTimeTimers()).toBe(0)
    if (queue === 'rocksdb') {
      // the cache was in use, and never held more than 128 order keys for each of the 128 key groups
      expect(maxCached).toBeGreaterThan(0)
      expect(maxCached).toBeLessThanOrEqual(128 * 128)
    }
  })
})
