import { type KeyedStateBackend, Serializers as S, type StateTtlConfig } from '../../lib'

/** A state kind under test: write once, read (which may refresh), and whether something is there. */
export interface Kind {
  name: string
  make(backend: KeyedStateBackend<string>, ttl: StateTtlConfig): { write(): void; read(): boolean }
}

export const kinds: Kind[] = [
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
    // The planted bug of issue 15: contains() answering from the raw entry, blind to its TTL.
    name: 'map contains',
    make: (b, ttl) => {
      const s = b.mapState('s', S.string, S.string, { ttl })
      return { write: () => s.put('uk', 'v'), read: () => s.contains('uk') }
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
