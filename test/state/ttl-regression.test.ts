// The TTL reproductions of issue 9, each failing on the code before per-element list TTL.
import { afterEach, describe, expect, it } from 'vitest'
import { FsCheckpointStorage, KeyGroupRange, KeyedStateBackend, ManualClock, Serializers as S } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'
import { START, useBackends } from './backend-fixture'

const open = useBackends()
const tempDir = useTempDirs()
const backends: KeyedStateBackend<string>[] = []
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()))
})

async function backendAt(clock: ManualClock): Promise<KeyedStateBackend<string>> {
  const backend = await open({ clock })
  backends.push(backend)
  backend.setCurrentKey('k')
  return backend
}

const hidden = { seconds: 100, visibility: 'neverReturnExpired' } as const

describe('list state TTL regressions', () => {
  it('regression: a list written only by add never expired under neverReturnExpired', async () => {
    const clock = new ManualClock(START)
    const list = (await backendAt(clock)).listState('l', S.string, { ttl: hidden })
    list.add('a')
    clock.advance(99)
    expect(list.get()).toEqual(['a'])
    clock.advance(1)
    expect(list.get()).toEqual([])
  })

  it('regression: an expired element came back when a new add arrived', async () => {
    const clock = new ManualClock(START)
    const list = (await backendAt(clock)).listState('l', S.string, { ttl: hidden })
    list.add('a')
    clock.advance(101)
    list.add('b')
    expect(list.get()).toEqual(['b'])
  })

  it('regression: after snapshot + restore a list expired one TTL after the snapshot, not after the write', async () => {
    const clock = new ManualClock(START)
    const source = await backendAt(clock)
    source.listState('l', S.string, { ttl: hidden }).add('a')
    clock.advance(50)
    const storage = new FsCheckpointStorage(tempDir('checkpoints'))
    const handle = await source.snapshot(1, storage)

    const restoredClock = new ManualClock(START + 50)
    const restored = await KeyedStateBackend.open({
      path: tempDir(),
      keySerializer: S.string,
      maxParallelism: 128,
      keyGroupRange: new KeyGroupRange(0, 127),
      clock: restoredClock,
      restoreFrom: [handle],
      storage,
    })
    backends.push(restored)
    restored.setCurrentKey('k')
    const list = restored.listState('l', S.string, { ttl: hidden })
    restoredClock.advance(49)
    expect(list.get()).toEqual(['a'])
    restoredClock.advance(1) // START + 100: one TTL after the write
    expect(list.get()).toEqual([])
  })

  it('regression: a list whose element serializes to zero bytes lost it', async () => {
    const backend = await backendAt(new ManualClock(START))
    const structs = backend.listState('structs', S.struct({}))
    structs.add({})
    expect(structs.get()).toEqual([{}])
    structs.addAll([{}, {}])
    expect(structs.get()).toEqual([{}, {}, {}])
    const tuples = backend.listState('tuples', S.tuple())
    tuples.update([[]])
    expect(tuples.get()).toEqual([[]])
  })
})

describe('read refresh regressions', () => {
  const refreshing = { seconds: 100, update: 'onReadAndWrite', visibility: 'returnExpiredIfNotCleanedUp' } as const

  const sum = { createAccumulator: () => 0, add: (v: number, a: number) => a + v, getResult: (a: number) => a }
  const valueKinds = {
    value: (b: KeyedStateBackend<string>) => {
      const s = b.valueState('v', S.int32, { ttl: refreshing })
      return { write: () => s.update(1), read: () => s.value() }
    },
    reducing: (b: KeyedStateBackend<string>) => {
      const s = b.reducingState('v', S.int32, (x, y) => x + y, { ttl: refreshing })
      return { write: () => s.add(1), read: () => s.get() }
    },
    aggregating: (b: KeyedStateBackend<string>) => {
      const s = b.aggregatingState('v', S.int32, sum, { ttl: refreshing })
      return { write: () => s.add(1), read: () => s.get() }
    },
  }
  for (const [kind, make] of Object.entries(valueKinds)) {
    it(`regression: reading an expired ${kind} state refreshed it, so it survived compaction`, async () => {
      const clock = new ManualClock(START)
      const backend = await backendAt(clock)
      const state = make(backend)
      state.write()
      clock.advance(101)
      expect(state.read()).toBe(1) // returned, not cleaned up yet: and cleared by this read
      await backend.db.compactRange(backend.db.columnFamily('v'))
      expect(state.read()).toBeUndefined()
    })
  }

  it('regression: reading an expired map entry refreshed it, so it survived compaction', async () => {
    const clock = new ManualClock(START)
    const backend = await backendAt(clock)
    const map = backend.mapState('m', S.string, S.string, { ttl: refreshing })
    map.put('a', '1')
    map.put('b', '2')
    clock.advance(101)
    expect(map.get('a')).toBe('1')
    expect([...map.entries()]).toEqual([['b', '2']]) // 'a' was cleared by the read above
    await backend.db.compactRange(backend.db.columnFamily('m'))
    expect(map.isEmpty()).toBe(true)
  })

  it('regression: MapState.contains did not refresh the entry under onReadAndWrite', async () => {
    const clock = new ManualClock(START)
    const backend = await backendAt(clock)
    const map = backend.mapState('m', S.string, S.string, { ttl: { seconds: 100, update: 'onReadAndWrite', visibility: 'neverReturnExpired' } })
    map.put('a', '1')
    clock.advance(60)
    expect(map.contains('a')).toBe(true) // refreshes: expires at START + 160 now
    clock.advance(60)
    expect(map.contains('a')).toBe(true)
    clock.advance(101)
    expect(map.contains('a')).toBe(false) // expired and hidden
    expect(map.contains('missing')).toBe(false)
  })
})
