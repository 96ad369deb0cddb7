// Issue 9: a misspelt or unsupported option of the keyed layer (state options, TTL config, timer
// service options) is refused with a typed error naming it, and the refused call registers nothing.
import { describe, expect, it } from 'vitest'
import { Serializers as S, type KeyedStateBackend } from '../../lib'
import { useBackends } from '../state/backend-fixture'

const open = useBackends()

const sum = { createAccumulator: () => 0, add: (value: number, acc: number) => acc + value, getResult: (acc: number) => acc }

/** Registers a state of each kind with `options` as its StateOptions. */
const KINDS: [string, (backend: KeyedStateBackend<string>, options: object) => unknown][] = [
  ['valueState', (backend, options) => backend.valueState('s', S.int32, options)],
  ['listState', (backend, options) => backend.listState('s', S.int32, options)],
  ['mapState', (backend, options) => backend.mapState('s', S.string, S.int32, options)],
  ['reducingState', (backend, options) => backend.reducingState('s', S.int32, (a, b) => a + b, options)],
  ['aggregatingState', (backend, options) => backend.aggregatingState('s', S.int32, sum, options)],
]

/** Nothing of the refused registration is left: no state, no column family; the name is still free. */
async function expectRefusedWithoutTrace(backend: KeyedStateBackend<string>, register: () => unknown, message: RegExp, type: ErrorConstructor = TypeError) {
  expect(register).toThrow(type)
  expect(register).toThrow(message)
  expect(backend.registeredStates()).toEqual([])
  expect(backend.db.hasColumnFamily('s')).toBe(false)
}

describe('state options (issue 9)', () => {
  it.each(KINDS)('regression: %s with a misspelt option (tll) is a TypeError and registers nothing', async (_, register) => {
    const backend = await open()
    await expectRefusedWithoutTrace(backend, () => register(backend, { tll: { seconds: 5 } }), /unknown option 'tll'/)
    register(backend, { ttl: { seconds: 5 } })
    expect(backend.registeredStates().map((meta) => meta.ttl.seconds)).toEqual([5])
  })

  it.each(KINDS)('regression: %s with a misspelt TTL key (upadte) is a TypeError and registers nothing', async (_, register) => {
    const backend = await open()
    await expectRefusedWithoutTrace(backend, () => register(backend, { ttl: { seconds: 5, upadte: 'onReadAndWrite' } }), /unknown option 'ttl.upadte'/)
  })

  it('regression: state options that are not an object are a TypeError', async () => {
    const backend = await open()
    await expectRefusedWithoutTrace(backend, () => backend.valueState('s', S.int32, 'ttl' as never), /options must be an object/)
  })
})

describe('timer service options (issue 9)', () => {
  const base = { name: 't', namespaceSerializer: S.string, onTimer() {} }

  it.each(['heap', 'rocksdb'] as const)('regression: a misspelt option (qeue) is a TypeError; the %s service can then be created', async (queue) => {
    const backend = await open()
    expect(() => backend.timerService({ ...base, qeue: queue } as never)).toThrow(/unknown option 'qeue'/)
    expect(backend.db.hasColumnFamily('_timer_t_event')).toBe(false)
    expect(backend.timerService({ ...base, queue }).queueKind).toBe(queue)
  })

  it('regression: an invalid cacheSize is refused before the event-time column family is created', async () => {
    const backend = await open()
    expect(() => backend.timerService({ ...base, queue: 'rocksdb', cacheSize: 0 })).toThrow(RangeError)
    expect(backend.db.hasColumnFamily('_timer_t_event')).toBe(false)
    expect(backend.timerService({ ...base, queue: 'rocksdb' }).queueKind).toBe('rocksdb')
  })

  it("regression: cacheSize on a 'heap' service (where it means nothing) is a TypeError", async () => {
    const backend = await open()
    expect(() => backend.timerService({ ...base, queue: 'heap', cacheSize: 16 })).toThrow(/'cacheSize' applies to queue 'rocksdb' only/)
    expect(backend.timerService({ ...base, queue: 'heap' }).queueKind).toBe('heap')
  })
})
