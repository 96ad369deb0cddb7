import { afterEach, describe, expect, it } from 'vitest'
import {
  ClosedError,
  IncompatibleStateError,
  KeyGroupOutOfRangeError,
  KeyGroupRange,
  KeyedStateBackend,
  Serializers as S,
  assignToKeyGroup,
} from '../../lib'
import { useBackends } from './backend-fixture'

const open = useBackends()
let backend: KeyedStateBackend<string>
afterEach(async () => backend?.close())

describe('ValueState', () => {
  it('keeps one value per key', async () => {
    backend = await open()
    const clicks = backend.valueState('clicks', S.int64)
    backend.setCurrentKey('user-1')
    expect(clicks.value()).toBeUndefined()
    clicks.update((clicks.value() ?? 0n) + 1n)
    clicks.update((clicks.value() ?? 0n) + 1n)
    backend.setCurrentKey('user-2')
    clicks.update(10n)
    backend.setCurrentKey('user-1')
    expect(clicks.value()).toBe(2n)
    clicks.clear()
    expect(clicks.value()).toBeUndefined()
    backend.setCurrentKey('user-2')
    expect(clicks.value()).toBe(10n)
    clicks.update(undefined)
    expect(clicks.value()).toBeUndefined()
  })

  it('scopes values by namespace', async () => {
    backend = await open()
    const perWindow = backend.valueState('sum', S.int32, { namespaceSerializer: S.int64, defaultNamespace: 0n })
    backend.setCurrentKey('k')
    perWindow.update(1)
    perWindow.setCurrentNamespace(1000n)
    expect(perWindow.value()).toBeUndefined()
    perWindow.update(2)
    perWindow.setCurrentNamespace(0n)
    expect(perWindow.value()).toBe(1)
    expect(perWindow.currentNamespace).toBe(0n)
  })

  it('keeps states in separate column families', async () => {
    backend = await open()
    const a = backend.valueState('a', S.string)
    const b = backend.valueState('b', S.string)
    backend.setCurrentKey('k')
    a.update('in a')
    expect(b.value()).toBeUndefined()
    expect(backend.db.columnFamilies().map((cf) => cf.name)).toEqual(['default', 'a', 'b'])
  })

  it('stores values under prefix | key | namespace', async () => {
    backend = await open({ maxParallelism: 128 })
    const state = backend.valueState('s', S.int32)
    backend.setCurrentKey('key')
    state.update(7)
    const [[rocksKey, value]] = [...backend.db.columnFamily('s').iterator()]
    const keyGroup = assignToKeyGroup('key', 128, S.string)
    expect(rocksKey[0]).toBe(keyGroup)
    expect(rocksKey.subarray(1).equals(Buffer.from([3, ...Buffer.from('key')]))).toBe(true)
    expect(value).toEqual(Buffer.from([0, 0, 0, 7]))
    expect(backend.currentKeyGroup).toBe(keyGroup)
  })

  it('refuses keys outside the key-group range', async () => {
    backend = await open({ maxParallelism: 128, keyGroupRange: KeyGroupRange.forOperator(128, 2, 0) })
    const outside = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => assignToKeyGroup(k, 128, S.string) >= 64)!
    expect(() => backend.setCurrentKey(outside)).toThrow(KeyGroupOutOfRangeError)
    expect(() => backend.setCurrentKey(outside)).toThrow(/outside this backend's range/)
  })

  it('re-registering a state checks compatibility', async () => {
    backend = await open()
    const first = backend.valueState('s', S.int32)
    const again = backend.valueState('s', S.int32)
    backend.setCurrentKey('k')
    first.update(5)
    expect(again.value()).toBe(5)
    expect(() => backend.valueState('s', S.string)).toThrow(IncompatibleStateError)
    expect(() => backend.listState('s', S.int32)).toThrow(IncompatibleStateError)
    expect(() => backend.valueState('s', S.int32, { namespaceSerializer: S.string, defaultNamespace: '' })).toThrow(/namespaceSerializer/)
  })

  it('validates names, serializers and use before setCurrentKey', async () => {
    backend = await open()
    expect(() => backend.valueState('default', S.int32)).toThrow(TypeError)
    expect(() => backend.valueState('', S.int32)).toThrow(TypeError)
    expect(() => backend.valueState('a/b', S.int32)).toThrow(TypeError)
    expect(() => backend.valueState('s', {} as never)).toThrow(TypeError)
    const state = backend.valueState('s', S.int32)
    expect(() => state.value()).toThrow(/setCurrentKey/)
    expect(() => backend.valueState('t', S.int32, { ttl: { seconds: 0 } })).toThrow(RangeError)
  })

  it('state use after close throws ClosedError', async () => {
    backend = await open()
    const state = backend.valueState('s', S.int32)
    backend.setCurrentKey('k')
    state.update(1)
    await backend.close()
    expect(() => state.value()).toThrow(ClosedError)
    expect(() => state.update(2)).toThrow(ClosedError)
    expect(() => backend.valueState('x', S.int32)).toThrow(ClosedError)
  })

  it('validates open options', async () => {
    await expect(open({ maxParallelism: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(open({ maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 128) })).rejects.toBeInstanceOf(RangeError)
    await expect(KeyedStateBackend.open({ path: '' } as never)).rejects.toBeInstanceOf(TypeError)
  })
})
