import { afterEach, describe, expect, it } from 'vitest'
import { KeyedStateBackend, Serializers as S, serialize, type Serializer } from '../../lib'
import { useBackends } from './backend-fixture'

// Every state kind under keys, namespaces and values whose bytes sit at a boundary: a last byte of
// 0x00 or 0xFF (a map's prefix scan must carry its upper bound into the byte before a 0xFF) and
// strings whose varint length (127/128 bytes) or composite-key length suffix (255/256) changes width.
// One key group (maxParallelism 1), so neighbouring keys share a prefix and must not see each other.

const open = useBackends()
let backend: { close(): Promise<void> } | undefined
afterEach(async () => backend?.close())

const filled = (length: number, byte: number) => Buffer.alloc(length, byte)
const ascii = (length: number) => 'k'.repeat(length)
/** Lengths around the one-to-two-byte boundaries of a varint (128) and of a length suffix (256). */
const LENGTHS = [0, 1, 126, 127, 128, 253, 254, 255, 256]
const BOUNDARY_BYTES = [
  Buffer.alloc(0),
  Buffer.from([0x00]),
  Buffer.from([0xff]),
  Buffer.from([0x00, 0xff]),
  Buffer.from([0xff, 0x00]),
  Buffer.from([0xff, 0xff]),
  ...[127, 128, 255, 256].flatMap((length) => [filled(length, 0xff), filled(length, 0x00)]),
]
/** A user key every map holds besides the cell's own value. */
const MAP_KEY = filled(1, 0xff)
const INT32_BOUNDARIES = [0, 127, 128, 255, 256, -256, -255, -1, 0x7fffffff, -0x80000000]

/** A distinct value per (key, namespace), ending in boundary bytes. */
const valueFor = (index: number) => {
  const tag = Buffer.alloc(4)
  tag.writeUInt32BE(index)
  return Buffer.concat([tag, BOUNDARY_BYTES[index % BOUNDARY_BYTES.length]])
}

/** A short readable name for a key or namespace in a failure message. */
const label = (part: unknown) => (Buffer.isBuffer(part) ? `0x${part.toString('hex')}` : String(part)).slice(0, 24)

const concat = (a: Uint8Array, b: Uint8Array) => Buffer.concat([a, b])

/** One state of each kind, written and read the same way for every (key, namespace). */
function statesOf<K, N>(target: KeyedStateBackend<K>, namespaceSerializer: Serializer<N>, defaultNamespace: N) {
  const options = { namespaceSerializer, defaultNamespace }
  const value = target.valueState('value', S.bytes, options)
  const list = target.listState('list', S.bytes, options)
  const map = target.mapState('map', S.bytes, S.bytes, options)
  const reducing = target.reducingState('reducing', S.bytes, concat, options)
  const aggregating = target.aggregatingState(
    'aggregating',
    S.bytes,
    { createAccumulator: () => Buffer.alloc(0), add: (v: Uint8Array, acc: Uint8Array) => concat(acc, v), getResult: (acc: Uint8Array) => acc },
    options,
  )
  const all = [value, list, map, reducing, aggregating]
  return {
    setNamespace(namespace: N) {
      for (const state of all) state.setCurrentNamespace(namespace)
    },
    write(v: Buffer) {
      value.update(v)
      list.add(v)
      list.add(v)
      map.put(v, v)
      map.put(MAP_KEY, v)
      reducing.add(v)
      reducing.add(v)
      aggregating.add(v)
    },
    read() {
      return {
        value: value.value(),
        list: list.get(),
        mapIsEmpty: map.isEmpty(),
        mapEntries: [...map.entries()],
        mapContains: map.contains(MAP_KEY),
        reducing: reducing.get(),
        aggregating: aggregating.get(),
      }
    },
    clear() {
      for (const state of all) state.clear()
    },
  }
}

/** What `read` returns after `write(v)`. */
const written = (v: Buffer) => ({
  value: v,
  list: [v, v],
  mapIsEmpty: false,
  // a map iterates in the order of its serialized user keys
  mapEntries: [v, MAP_KEY].sort((a, b) => Buffer.compare(serialize(S.bytes, a), serialize(S.bytes, b))).map((k) => [k, v]),
  mapContains: true,
  reducing: concat(v, v),
  aggregating: v,
})
const cleared = { value: undefined, list: [], mapIsEmpty: true, mapEntries: [], mapContains: false, reducing: undefined, aggregating: undefined }

/**
 * Writes a distinct value under every (key, namespace) and reads each back, then clears every
 * other one, then the rest: a clear removes exactly its own state, never a neighbour's.
 */
async function checkIsolation<K, N>(keySerializer: Serializer<K>, keys: K[], namespaceSerializer: Serializer<N>, namespaces: N[]) {
  const target = await open<K>({ keySerializer, maxParallelism: 1 })
  backend = target
  const states = statesOf(target, namespaceSerializer, namespaces[0])
  const cells = keys.flatMap((key) => namespaces.map((namespace) => ({ key, namespace })))
  const visit = (index: number) => {
    target.setCurrentKey(cells[index].key)
    states.setNamespace(cells[index].namespace)
  }
  const expectCells = (isCleared: (index: number) => boolean) => {
    for (let i = 0; i < cells.length; i++) {
      visit(i)
      expect(states.read(), `key ${label(cells[i].key)}, namespace ${label(cells[i].namespace)}`).toEqual(
        isCleared(i) ? cleared : written(valueFor(i)),
      )
    }
  }
  for (let i = 0; i < cells.length; i++) {
    visit(i)
    states.write(valueFor(i))
  }
  expectCells(() => false)
  for (let i = 0; i < cells.length; i += 2) {
    visit(i)
    states.clear()
  }
  expectCells((i) => i % 2 === 0)
  for (let i = 1; i < cells.length; i += 2) {
    visit(i)
    states.clear()
  }
  expectCells(() => true)
  expect(target.numEntries()).toBe(0)
}

describe('state at byte boundaries', () => {
  it('int32 keys ending in 0x00 and 0xFF (255, 256, -1, ...) keep their own state', async () => {
    await checkIsolation(S.int32, INT32_BOUNDARIES, S.void, [undefined])
  })

  it('byte keys ending in 0x00 and 0xFF, up to 256 bytes, keep their own state', async () => {
    await checkIsolation(S.bytes, BOUNDARY_BYTES, S.void, [undefined])
  })

  it('byte namespaces ending in 0x00 and 0xFF keep their own state', async () => {
    await checkIsolation(S.int32, [255, 256, -1], S.bytes, BOUNDARY_BYTES)
  })

  it('int32 namespaces ending in 0x00 and 0xFF keep their own state', async () => {
    await checkIsolation(S.int32, [-1, 0], S.int32, INT32_BOUNDARIES)
  })

  it('string keys and namespaces of 0 to 256 bytes (varint and length-suffix widths) keep their own state', async () => {
    await checkIsolation(S.string, LENGTHS.map(ascii), S.string, LENGTHS.map(ascii))
  })

  it('the map prefix of int32 key -1 does end in 0xFF (the case above is the boundary case)', async () => {
    const target = await open<number>({ keySerializer: S.int32, maxParallelism: 1 })
    backend = target
    const map = target.mapState('map', S.int32, S.int32)
    target.setCurrentKey(-1)
    map.put(7, 7)
    const [[rawKey]] = [...target.db.columnFamily('map').iterator()]
    // key group 0 (one byte), the key, no namespace bytes, then the user key
    expect(rawKey).toEqual(Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 7]))
  })
})
