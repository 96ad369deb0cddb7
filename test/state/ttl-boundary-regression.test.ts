// Flink's TtlUtils.expired: expired once writeTime + ttl <= now. DBWithTTL's compaction keeps an
// entry while writeTime + ttl >= now, so it drops it one second after reads stopped showing it.
import { afterEach, describe, expect, it } from 'vitest'
import { KeyedStateBackend, ManualClock, Serializers as S } from '../../lib'
import { START, useBackends } from './backend-fixture'
import { kinds } from './ttl-kinds'

const open = useBackends()
let backend: KeyedStateBackend<string>
afterEach(async () => backend?.close())

const TTL = 100

async function writtenAtStart(kind: (typeof kinds)[number]) {
  const clock = new ManualClock(START)
  backend = await open({ clock })
  const state = kind.make(backend, { seconds: TTL, visibility: 'neverReturnExpired' })
  backend.setCurrentKey('k')
  state.write()
  return { clock, state }
}

describe.each(kinds)('TTL boundary of $name state', (kind) => {
  it('regression: an entry was still visible at exactly write time + ttl (DBWithTTL\'s rule); now hidden, as Flink\'s', async () => {
    const { clock, state } = await writtenAtStart(kind)
    clock.advance(TTL - 1)
    expect(state.read()).toBe(true)
    clock.advance(1)
    expect(state.read()).toBe(false)
  })

  it('compaction keeps an unread entry at write time + ttl and drops it one second later at the earliest', async () => {
    const { clock } = await writtenAtStart(kind)
    const cf = backend.db.columnFamily('s')
    clock.advance(TTL)
    await backend.db.compactRange(cf)
    expect(backend.numEntries('s')).toBe(1)
    clock.advance(1)
    await backend.db.compactRange(cf)
    expect(backend.numEntries('s')).toBe(0)
  })
})

describe('TTL boundary of accumulators', () => {
  it('regression: add at exactly write time + ttl folded into the expired accumulator', async () => {
    const clock = new ManualClock(START)
    backend = await open({ clock })
    backend.setCurrentKey('k')
    const sum = backend.reducingState('sum', S.int32, (x, y) => x + y, { ttl: { seconds: TTL } })
    const count = backend.aggregatingState('count', S.int32, { createAccumulator: () => 0, add: (_: number, a: number) => a + 1, getResult: (a: number) => a }, { ttl: { seconds: TTL } })
    sum.add(1)
    count.add(1)
    clock.advance(TTL)
    sum.add(5)
    count.add(5)
    expect(sum.get()).toBe(5)
    expect(count.get()).toBe(1)
  })
})
