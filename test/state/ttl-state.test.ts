import { afterEach, describe, expect, it } from 'vitest'
import { IncompatibleStateError, KeyedStateBackend, ManualClock, Serializers as S, type StateTtlConfig } from '../../lib'
import { START, useBackends } from './backend-fixture'

const open = useBackends()
let backend: KeyedStateBackend<string>
afterEach(async () => backend?.close())

const updates = ['onCreateAndWrite', 'onReadAndWrite'] as const
const visibilities = ['returnExpiredIfNotCleanedUp', 'neverReturnExpired'] as const

/** A state kind under test: write once, read (which may refresh), and whether something is there. */
interface Kind {
  name: string
  make(backend: KeyedStateBackend<string>, ttl: StateTtlConfig): { write(): void; read(): boolean }
}

const kinds: Kind[] = [
  {
    name: 'value',
    make: (b, ttl) => {
      const s = b.valueState('s', S.string, { ttl })
      return { write: () => s.update('v'), read: () => s.value() !== undefined }
    },
  },
  {
    name: 'list',
    make: (b, ttl) => {
      const s = b.listState('s', S.string, { ttl })
      return { write: () => s.update(['a', 'b']), read: () => s.get().length > 0 }
    },
  },
  {
    name: 'map entry',
    make: (b, ttl) => {
      const s = b.mapState('s', S.string, S.string, { ttl })
      return { write: () => s.put('uk', 'v'), read: () => s.get('uk') !== undefined }
    },
  },
  {
    name: 'map iteration',
    make: (b, ttl) => {
      const s = b.mapState('s', S.string, S.string, { ttl })
      return { write: () => s.put('uk', 'v'), read: () => [...s.entries()].length > 0 }
    },
  },
  {
    name: 'reducing',
    make: (b, ttl) => {
      const s = b.reducingState('s', S.int32, (x, y) => x + y, { ttl })
      return { write: () => s.add(1), read: () => s.get() !== undefined }
    },
  },
  {
    name: 'aggregating',
    make: (b, ttl) => {
      const s = b.aggregatingState('s', S.int32, { createAccumulator: () => 0, add: (v: number, a: number) => a + v, getResult: (a: number) => a }, { ttl })
      return { write: () => s.add(1), read: () => s.get() !== undefined }
    },
  },
]

describe.each(kinds)('TTL of $name state', (kind) => {
  for (const update of updates) {
    for (const visibility of visibilities) {
      it(`${update} / ${visibility}`, async () => {
        const clock = new ManualClock(START)
        backend = await open({ clock })
        const state = kind.make(backend, { seconds: 100, update, visibility })
        backend.setCurrentKey('k')
        state.write()

        clock.advance(60)
        expect(state.read()).toBe(true) // a read 60 s in: refreshes expiry with onReadAndWrite

        clock.advance(60) // 120 s after the write, 60 s after the read
        const refreshed = update === 'onReadAndWrite'
        const hidden = !refreshed && visibility === 'neverReturnExpired'
        expect(state.read()).toBe(!hidden)

        // Compaction removes what has expired whatever the visibility.
        clock.advance(refreshed ? 101 : 0)
        await backend.db.compactRange(backend.db.columnFamily('s'))
        expect(state.read()).toBe(false)
      })
    }
  }
})

describe('TTL settings', () => {
  it("defaults to Flink's: onCreateAndWrite, neverReturnExpired", async () => {
    const clock = new ManualClock(START)
    backend = await open({ clock })
    const state = backend.valueState('s', S.string, { ttl: { seconds: 10 } })
    expect(state.ttl).toEqual({ seconds: 10, update: 'onCreateAndWrite', visibility: 'neverReturnExpired' })
    backend.setCurrentKey('k')
    state.update('v')
    clock.advance(11)
    expect(state.value()).toBeUndefined()
  })

  it('a state registered on this backend keeps its TTL: other TTL settings are an IncompatibleStateError', async () => {
    backend = await open()
    const state = backend.valueState('s', S.string, { ttl: { seconds: 1000 } })
    expect(() => backend.valueState('s', S.string, { ttl: { seconds: 10 } })).toThrow(IncompatibleStateError)
    expect(() => backend.valueState('s', S.string, { ttl: { seconds: 1000, update: 'onReadAndWrite' } })).toThrow(/TTL is/)
    expect(() => backend.valueState('s', S.string)).toThrow(/with a TTL, requested without TTL/)
    expect(backend.valueState('s', S.string, { ttl: { seconds: 1000 } }).ttl).toEqual(state.ttl)
    backend.valueState('plain', S.string)
    expect(() => backend.valueState('plain', S.string, { ttl: { seconds: 5 } })).toThrow(/without TTL, requested with a TTL/)
  })

  it('rejects bad TTL settings', async () => {
    backend = await open()
    expect(() => backend.valueState('a', S.string, { ttl: { seconds: 1.5 } })).toThrow(RangeError)
    expect(() => backend.valueState('a', S.string, { ttl: { seconds: 5, update: 'never' as never } })).toThrow(TypeError)
    expect(() => backend.valueState('a', S.string, { ttl: { seconds: 5, visibility: 'x' as never } })).toThrow(TypeError)
  })
})
