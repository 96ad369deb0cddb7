// Registering states: what registeredStates/restoredStates report, and which TTL changes a
// registration may make (Flink's rule: TTL settings are not part of a checkpoint, except
// whether the state has a TTL at all).
import { describe, expect, it } from 'vitest'
import { IncompatibleStateError, ManualClock, Serializers as S, type KeyedStateBackend } from '../../lib'
import { useSnapshotFixture } from '../snapshot/snapshot-fixture'
import { START } from './backend-fixture'

const fixture = useSnapshotFixture()

async function restoredFrom(source: KeyedStateBackend<string>, clock?: ManualClock) {
  const handle = await source.snapshot(1, fixture.storage())
  return fixture.backend({ clock, restoreFrom: [handle] })
}

describe('state registration', () => {
  it('registeredStates lists registered states only; restoredStates the restored ones not registered again', async () => {
    const source = await fixture.backend()
    source.valueState('a', S.string, { ttl: { seconds: 60 } })
    source.listState('b', S.int32)
    expect(source.registeredStates().map((meta) => meta.name)).toEqual(['a', 'b'])
    expect(source.restoredStates()).toEqual([])

    const restored = await restoredFrom(source)
    expect(restored.registeredStates()).toEqual([])
    expect(restored.restoredStates().map(({ name, kind, ttl }) => ({ name, kind, seconds: ttl.seconds }))).toEqual([
      { name: 'a', kind: 'value', seconds: 60 },
      { name: 'b', kind: 'list', seconds: 0 },
    ])
    restored.listState('b', S.int32)
    expect(restored.registeredStates().map((meta) => meta.name)).toEqual(['b'])
    expect(restored.restoredStates().map((meta) => meta.name)).toEqual(['a'])
  })

  it('a restored state takes the TTL it is registered with, applied to the restored write times', async () => {
    const clock = new ManualClock(START)
    const source = await fixture.backend({ clock })
    source.setCurrentKey('k')
    source.valueState('v', S.string, { ttl: { seconds: 1000 } }).update('x')
    source.listState('l', S.string, { ttl: { seconds: 1000 } }).add('x')
    const restored = await restoredFrom(source, clock)
    restored.setCurrentKey('k')
    const ttl = { seconds: 10, update: 'onReadAndWrite', visibility: 'neverReturnExpired' } as const
    const value = restored.valueState('v', S.string, { ttl })
    const list = restored.listState('l', S.string, { ttl })
    expect(value.ttl).toEqual(ttl)
    clock.advance(9)
    expect([value.value(), list.get()]).toEqual(['x', ['x']]) // refreshed by these reads
    clock.advance(10)
    expect([value.value(), list.get()]).toEqual([undefined, []])
  })

  it('turning TTL on or off for a restored state is an IncompatibleStateError', async () => {
    const source = await fixture.backend()
    source.valueState('withTtl', S.string, { ttl: { seconds: 60 } })
    source.listState('withoutTtl', S.string)
    const restored = await restoredFrom(source)
    expect(() => restored.valueState('withTtl', S.string)).toThrow(IncompatibleStateError)
    expect(() => restored.listState('withoutTtl', S.string, { ttl: { seconds: 60 } })).toThrow(IncompatibleStateError)
    expect(restored.valueState('withTtl', S.string, { ttl: { seconds: 5 } }).ttl.seconds).toBe(5)
  })
})
