import { expect } from 'vitest'
import { assignToKeyGroup, KeyGroupRange, type KeyedStateBackend, Serializers as S } from '../../lib'

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

/**
 * Restores `workers` backends over the whole key-group space (each opened by `openWorker` for its
 * range) and checks that every key of `all` comes back on exactly one of them, in its own range, intact.
 */
export async function expectEachKeyOnExactlyOneWorker(
  maxParallelism: number,
  workers: number,
  all: string[],
  openWorker: (range: KeyGroupRange) => Promise<KeyedStateBackend<string>>,
) {
  const seen = new Map<string, number>()
  for (let index = 0; index < workers; index++) {
    const range = KeyGroupRange.forOperator(maxParallelism, workers, index)
    const worker = await openWorker(range)
    registerAll(worker)
    const workerKeys = [...worker.getKeys('value')]
    for (const key of workerKeys) {
      expect(range.contains(assignToKeyGroup(key, maxParallelism, S.string))).toBe(true)
      seen.set(key, (seen.get(key) ?? 0) + 1)
    }
    expectContents(worker, workerKeys, all)
  }
  expect(seen.size).toBe(all.length)
  expect([...seen.values()].every((count) => count === 1)).toBe(true)
}
