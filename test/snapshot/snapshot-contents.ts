import { expect } from 'vitest'
import { type KeyedStateBackend, Serializers as S } from '../../lib'

/** The states every snapshot test fills and checks: one of each kind, values derived from each key's index in `keys`. */
export function registerAll(backend: KeyedStateBackend<string>) {
  return {
    value: backend.valueState('value', S.int64),
    list: backend.listState('list', S.string),
    map: backend.mapState('map', S.string, S.int32, { namespaceSerializer: S.string, defaultNamespace: 'ns' }),
    reducing: backend.reducingState('reducing', S.int32, (a, b) => a + b),
    aggregating: backend.aggregatingState('aggregating', S.int32, { createAccumulator: () => 0, add: (v: number, a: number) => a + v, getResult: (a: number) => `sum=${a}` }),
  }
}

export function fill(backend: KeyedStateBackend<string>, keys: string[], all: string[] = keys) {
  const states = registerAll(backend)
  for (const key of keys) {
    const i = all.indexOf(key)
    backend.setCurrentKey(key)
    states.value.update(BigInt(i))
    states.list.addAll([`${key}-a`, `${key}-b`])
    states.map.put('x', i)
    states.map.put('y', 1000 - i)
    states.reducing.add(i)
    states.reducing.add(1)
    states.aggregating.add(i)
  }
}

export function expectContents(backend: KeyedStateBackend<string>, keys: string[], all: string[]) {
  const states = registerAll(backend)
  for (const key of keys) {
    const i = all.indexOf(key)
    backend.setCurrentKey(key)
    expect(states.value.value()).toBe(BigInt(i))
    expect(states.list.get()).toEqual([`${key}-a`, `${key}-b`])
    expect([...states.map.entries()]).toEqual([
      ['x', i],
      ['y', 1000 - i],
    ])
    expect(states.reducing.get()).toBe(i + 1)
    expect(states.aggregating.get()).toBe(`sum=${i}`)
  }
}

export const keys = Array.from({ length: 500 }, (_, i) => `key-${i}`)
