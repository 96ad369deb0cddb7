import { afterEach, describe, expect, it } from 'vitest'
import { KeyedStateBackend, Serializers as S } from '../../lib'
import { useBackends } from './backend-fixture'

const open = useBackends()
let backend: KeyedStateBackend<string>
afterEach(async () => backend?.close())

describe('ListState', () => {
  it('adds through merge, reads back in order, updates and clears', async () => {
    backend = await open()
    const list = backend.listState('events', S.string)
    backend.setCurrentKey('k')
    expect(list.get()).toEqual([])
    list.add('a,b') // the delimiter inside an element is harmless: elements are length-prefixed
    list.add('')
    list.addAll(['c', 'd'])
    expect(list.get()).toEqual(['a,b', '', 'c', 'd'])
    list.addAll([])
    expect(list.get()).toHaveLength(4)
    list.update(['x'])
    expect(list.get()).toEqual(['x'])
    list.update([])
    expect(list.get()).toEqual([])
    list.add('y')
    list.clear()
    expect(list.get()).toEqual([])
  })

  it('holds fixed-length and composite elements', async () => {
    backend = await open()
    const ints = backend.listState('ints', S.int32)
    const pairs = backend.listState('pairs', S.tuple(S.string, S.int64))
    backend.setCurrentKey('k')
    for (let i = -5; i < 5; i++) ints.add(i * 1000)
    expect(ints.get()).toEqual(Array.from({ length: 10 }, (_, i) => (i - 5) * 1000))
    pairs.add(['a', 1n])
    pairs.add(['', -1n])
    expect(pairs.get()).toEqual([
      ['a', 1n],
      ['', -1n],
    ])
  })

  it('adds do not read: 10k appends stay one merged value', async () => {
    backend = await open()
    const list = backend.listState('l', S.int32)
    backend.setCurrentKey('k')
    for (let i = 0; i < 10_000; i++) list.add(i)
    const values = list.get()
    expect(values).toHaveLength(10_000)
    expect(values[9_999]).toBe(9_999)
    expect(backend.numEntries('l')).toBe(1)
  })
})

describe('MapState', () => {
  it('gets, puts, removes and checks user keys', async () => {
    backend = await open()
    const map = backend.mapState('m', S.string, S.int32)
    backend.setCurrentKey('k')
    expect(map.isEmpty()).toBe(true)
    map.put('a', 1)
    map.putAll([
      ['b', 2],
      ['c', 3],
    ])
    map.putAll(new Map([['d', 4]]))
    expect(map.get('a')).toBe(1)
    expect(map.get('zz')).toBeUndefined()
    expect(map.contains('b')).toBe(true)
    map.remove('b')
    expect(map.contains('b')).toBe(false)
    expect(map.isEmpty()).toBe(false)
    expect([...map.entries()]).toEqual([
      ['a', 1],
      ['c', 3],
      ['d', 4],
    ])
    expect([...map.keys()]).toEqual(['a', 'c', 'd'])
    expect([...map.values()]).toEqual([1, 3, 4])
    expect([...map]).toHaveLength(3)
  })

  it('iterates and clears only the current key and namespace', async () => {
    backend = await open()
    const map = backend.mapState('m', S.int32, S.string, { namespaceSerializer: S.string, defaultNamespace: 'ns1' })
    for (const key of ['a', 'ab', 'b']) {
      backend.setCurrentKey(key)
      for (const ns of ['ns1', 'ns2']) {
        map.setCurrentNamespace(ns)
        for (let i = 0; i < 3; i++) map.put(i, `${key}/${ns}/${i}`)
      }
    }
    backend.setCurrentKey('a')
    map.setCurrentNamespace('ns1')
    expect([...map.values()]).toEqual(['a/ns1/0', 'a/ns1/1', 'a/ns1/2'])
    map.clear()
    expect(map.isEmpty()).toBe(true)
    map.setCurrentNamespace('ns2')
    expect([...map.values()]).toHaveLength(3)
    backend.setCurrentKey('ab')
    map.setCurrentNamespace('ns1')
    expect([...map.values()]).toEqual(['ab/ns1/0', 'ab/ns1/1', 'ab/ns1/2'])
    expect(backend.numEntries('m')).toBe(15)
  })

  it('can write while iterating', async () => {
    backend = await open()
    const map = backend.mapState('m', S.int32, S.int32)
    backend.setCurrentKey('k')
    for (let i = 0; i < 3000; i++) map.put(i, i)
    let seen = 0
    for (const [userKey, value] of map.entries()) {
      map.put(userKey, value * 2)
      seen++
    }
    expect(seen).toBe(3000)
    expect(map.get(2999)).toBe(5998)
  })
})

describe('ReducingState and AggregatingState', () => {
  it('reduces added values', async () => {
    backend = await open()
    const max = backend.reducingState('max', S.int32, (a, b) => Math.max(a, b))
    backend.setCurrentKey('k')
    expect(max.get()).toBeUndefined()
    for (const v of [3, 9, 1]) max.add(v)
    expect(max.get()).toBe(9)
    max.clear()
    expect(max.get()).toBeUndefined()
  })

  it('aggregates into an accumulator and reads the result', async () => {
    backend = await open()
    const average = backend.aggregatingState('avg', S.tuple(S.float64, S.int32), {
      createAccumulator: () => [0, 0] as [number, number],
      add: (value: number, [sum, count]: [number, number]) => [sum + value, count + 1] as [number, number],
      getResult: ([sum, count]: [number, number]) => (count === 0 ? 0 : sum / count),
    })
    backend.setCurrentKey('k')
    expect(average.get()).toBeUndefined()
    for (const v of [1, 2, 6]) average.add(v)
    expect(average.get()).toBe(3)
    expect(() => backend.aggregatingState('bad', S.int32, {} as never)).toThrow(TypeError)
  })
})

describe('getKeys, applyToAllKeys, numEntries', () => {
  it('lists every key with state in a namespace once, across states kinds', async () => {
    backend = await open({ maxParallelism: 16 })
    const value = backend.valueState('v', S.int32, { namespaceSerializer: S.string, defaultNamespace: 'w1' })
    const map = backend.mapState('m', S.string, S.int32, { namespaceSerializer: S.string, defaultNamespace: 'w1' })
    const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`)
    for (const [i, key] of keys.entries()) {
      backend.setCurrentKey(key)
      value.setCurrentNamespace(i % 2 === 0 ? 'w1' : 'w2')
      value.update(i)
      map.put('x', 1)
      map.put('y', 2)
    }
    expect([...backend.getKeys('v', 'w1')].sort()).toEqual(keys.filter((_, i) => i % 2 === 0).sort())
    expect([...backend.getKeys('v', 'w2')]).toHaveLength(100)
    expect([...backend.getKeys('v', 'w')]).toHaveLength(0)
    const mapKeys = [...backend.getKeys('m', 'w1')]
    expect(mapKeys).toHaveLength(200)
    expect(new Set(mapKeys).size).toBe(200)
    expect(backend.numEntries('m')).toBe(400)
    expect(backend.numEntries()).toBe(600)
    expect(() => [...backend.getKeys('nope')]).toThrow(/no state named 'nope'/)

    backend.setCurrentKey('key-7')
    const visited: string[] = []
    backend.applyToAllKeys('v', 'w2', (key) => {
      visited.push(key)
      expect(backend.currentKey).toBe(key)
      value.setCurrentNamespace('w2')
      value.clear()
    })
    expect(visited).toHaveLength(100)
    expect([...backend.getKeys('v', 'w2')]).toHaveLength(0)
    expect(backend.currentKey).toBe('key-7')
  })

  it('works with keys and namespaces that need length suffixes', async () => {
    backend = await open()
    const state = backend.valueState('v', S.int32, { namespaceSerializer: S.bytes, defaultNamespace: Buffer.alloc(0) })
    const longKey = 'k'.repeat(300) // its length needs two bytes
    for (const key of [longKey, 'a', 'ab']) {
      backend.setCurrentKey(key)
      state.setCurrentNamespace(Buffer.from('n'))
      state.update(1)
    }
    expect([...backend.getKeys('v', Buffer.from('n'))].sort()).toEqual(['a', 'ab', longKey].sort())
    expect([...backend.getKeys('v', Buffer.from(''))]).toEqual([])
  })
})
