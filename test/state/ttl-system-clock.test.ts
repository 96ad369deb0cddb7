import { afterEach, describe, expect, it } from 'vitest'
import { KeyedStateBackend, Serializers as S } from '../../lib'
import { useBackends } from './backend-fixture'

// TTL once on the real system clock (no ManualClock): RocksDB stamps and compares whole seconds of
// wall time. The checks depend only on how much time has passed, never on how fast anything ran: a
// read less than ttl-1 s after the write must see the value, a read more than ttl+1 s after it must not.

const open = useBackends()
let backend: KeyedStateBackend<string> | undefined
afterEach(async () => backend?.close())

const TTL_SECONDS = 3
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('TTL on the system clock', () => {
  it('a value is there within ttl-1 s of its write and gone after ttl+1 s', async () => {
    backend = await open()
    const state = backend.valueState('v', S.int32, { ttl: { seconds: TTL_SECONDS, visibility: 'neverReturnExpired' } })
    backend.setCurrentKey('k')
    // A loaded machine may stall between write and read: such an attempt proves nothing, so try again.
    let writtenAt = 0
    let inTime: { wrote: number; read: number | undefined } | undefined
    for (let attempt = 0; attempt < 5 && inTime === undefined; attempt++) {
      writtenAt = Date.now()
      state.update(attempt)
      const read = state.value()
      if (Date.now() - writtenAt < (TTL_SECONDS - 1) * 1000) inTime = { wrote: attempt, read }
    }
    expect(inTime, 'no write and read within ttl-1 s in 5 attempts').toBeDefined()
    expect(inTime!.read).toBe(inTime!.wrote)
    while (Date.now() - writtenAt <= (TTL_SECONDS + 1) * 1000) await sleep(250)
    expect(state.value()).toBeUndefined()
  })
})
