import { afterEach, describe, expect, it } from 'vitest'
import { IncompatibleStateError, KeyedStateBackend, ManualClock, Serializers as S } from '../../lib'
import { START, useBackends } from './backend-fixture'
import { kinds } from './ttl-kinds'

const open = useBackends()
let backend: KeyedStateBackend<string>
afterEach(async () => backend?.close())

const updates = ['onCreateAndWrite', 'onReadAndWrite'] as const
const visibilities = ['returnExpiredIfNotCleanedUp', 'neverReturnExpired'] as const

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
