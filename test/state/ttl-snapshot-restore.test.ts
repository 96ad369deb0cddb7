// TTL of every state kind across snapshot, full restore and rescaled restore, with a test
// clock: every write time (each list element's included) survives every path.
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock, Serializers as S, assignToKeyGroup, type KeyedStateBackend } from '../../lib'
import { MAX_PARALLELISM, useSnapshotFixture } from '../snapshot/snapshot-fixture'
import { START } from './backend-fixture'

const fixture = useSnapshotFixture()
const TTL = { seconds: 100 } // default visibility: neverReturnExpired

/**
 * A state kind: `first` is written to every key (at START for early keys, START+50 for late
 * ones), `second` to early keys at START+50; `seen` is what a read shows when both, only the
 * second, only the first, or none of them are live.
 */
interface Kind {
  name: string
  register(backend: KeyedStateBackend<string>): { first(): void; second(): void; read(): unknown }
  seen: { both: unknown; secondOnly: unknown; firstOnly: unknown; none: unknown }
}

const sum = { createAccumulator: () => 0, add: (v: number, a: number) => a + v, getResult: (a: number) => `sum=${a}` }

const kinds: Kind[] = [
  {
    name: 'value',
    register: (b) => {
      const s = b.valueState('s', S.string, { ttl: TTL })
      return { first: () => s.update('v'), second: () => {}, read: () => s.value() }
    },
    seen: { both: 'v', secondOnly: undefined, firstOnly: 'v', none: undefined },
  },
  {
    name: 'list (per element)',
    register: (b) => {
      const s = b.listState('s', S.string, { ttl: TTL })
      return { first: () => s.add('a'), second: () => s.add('b'), read: () => s.get() }
    },
    seen: { both: ['a', 'b'], secondOnly: ['b'], firstOnly: ['a'], none: [] },
  },
  {
    name: 'map (per user key)',
    register: (b) => {
      const s = b.mapState('s', S.string, S.int32, { ttl: TTL })
      return { first: () => s.put('x', 1), second: () => s.put('y', 2), read: () => [...s.entries()] }
    },
    seen: { both: [['x', 1], ['y', 2]], secondOnly: [['y', 2]], firstOnly: [['x', 1]], none: [] },
  },
  {
    name: 'reducing',
    register: (b) => {
      const s = b.reducingState('s', S.int32, (x, y) => x + y, { ttl: TTL })
      return { first: () => s.add(1), second: () => {}, read: () => s.get() }
    },
    seen: { both: 1, secondOnly: undefined, firstOnly: 1, none: undefined },
  },
  {
    name: 'aggregating',
    register: (b) => {
      const s = b.aggregatingState('s', S.int32, sum, { ttl: TTL })
      return { first: () => s.add(1), second: () => {}, read: () => s.get() }
    },
    seen: { both: 'sum=1', secondOnly: undefined, firstOnly: 'sum=1', none: undefined },
  },
]

const HALVES = [new KeyGroupRange(0, 63), new KeyGroupRange(64, MAX_PARALLELISM - 1)]
const keyGroupOf = (key: string) => assignToKeyGroup(key, MAX_PARALLELISM, S.string)
const early = Array.from({ length: 12 }, (_, i) => `early-${i}`)
const late = Array.from({ length: 12 }, (_, i) => `late-${i}`)

const restores = {
  'without a restore': async (source: KeyedStateBackend<string>) => [source],
  'after a full restore': async (_: KeyedStateBackend<string>, handle: unknown, clock: ManualClock) => [
    await fixture.backend({ clock, restoreFrom: [handle] }),
  ],
  'after a rescaled restore into 2 workers': async (_: KeyedStateBackend<string>, handle: unknown, clock: ManualClock) =>
    Promise.all(HALVES.map((range) => fixture.backend({ clock, range, restoreFrom: [handle] }))),
}

describe.each(kinds)('TTL of $name state', (kind) => {
  it('the test keys fall into both halves of the rescaled restore', () => {
    for (const keys of [early, late]) {
      for (const half of HALVES) expect(keys.some((key) => half.contains(keyGroupOf(key)))).toBe(true)
    }
  })

  for (const [path, restore] of Object.entries(restores)) {
    it(`expires each entry one TTL after its write ${path}`, async () => {
      const clock = new ManualClock(START)
      const source = await fixture.backend({ clock })
      const state = kind.register(source)
      const each = (backend: KeyedStateBackend<string>, keys: string[], fn: () => void) => {
        for (const key of keys) {
          backend.setCurrentKey(key)
          fn()
        }
      }
      each(source, early, () => state.first())
      clock.advance(50)
      each(source, early, () => state.second())
      each(source, late, () => state.first())
      clock.advance(10)
      const handle = await source.snapshot(1, fixture.storage())

      const workers = await restore(source, handle, clock)
      const reads = workers.map((worker) => ({ worker, state: kind.register(worker) }))
      const readAll = (keys: string[]) =>
        keys.map((key) => {
          const { worker, state } = reads.find(({ worker }) => worker.keyGroupRange.contains(keyGroupOf(key)))!
          worker.setCurrentKey(key)
          return state.read()
        })
      const expectAt = (time: number, earlySeen: unknown, lateSeen: unknown) => {
        clock.set(time)
        expect(readAll(early)).toEqual(early.map(() => earlySeen))
        expect(readAll(late)).toEqual(late.map(() => lateSeen))
      }
      // Flink's rule: live while write time + ttl > now.
      expectAt(START + 99, kind.seen.both, kind.seen.firstOnly)
      expectAt(START + 100, kind.seen.secondOnly, kind.seen.firstOnly)
      expectAt(START + 149, kind.seen.secondOnly, kind.seen.firstOnly)
      expectAt(START + 150, kind.seen.none, kind.seen.none)
    })
  }
})
