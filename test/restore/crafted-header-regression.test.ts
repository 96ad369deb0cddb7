import { existsSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CorruptCheckpointError, Serializers as S, type FullKeyedStateHandle } from '../../lib'
import { keyGroupPrefixBytes } from '../../lib/keygroups/key-group-prefix'
import { parseSnapshotMetadata } from '../../lib/snapshot/state-snapshot-meta'
import { useSnapshotFixture } from '../snapshot/snapshot-fixture'
import { craftStream } from './crafted-stream'

const fixture = useSnapshotFixture()

async function handleWithStates(): Promise<FullKeyedStateHandle> {
  const source = await fixture.backend()
  source.setCurrentKey('k')
  source.valueState('value', S.int32, { ttl: { seconds: 60 } }).update(1)
  source.mapState('map', S.string, S.int32).put('a', 1)
  source.timerService({ name: 'clock', queue: 'heap', namespaceSerializer: S.string, onTimer: () => undefined }).registerEventTimeTimer('ns', 5)
  return (await source.snapshot(1, fixture.storage())) as FullKeyedStateHandle
}

type Metadata = Record<string, any>

const crafted: [string, (metadata: Metadata) => void][] = [
  ['a state entry without ttl (was a TypeError)', (m) => delete m.states[0].ttl],
  ["a state named '../x'", (m) => (m.states[0].name = '../x')],
  ['a state named default', (m) => (m.states[0].name = 'default')],
  ['ttl.seconds = -5 (was accepted)', (m) => (m.states[0].ttl.seconds = -5)],
  ['ttl.seconds = 1.5', (m) => (m.states[0].ttl.seconds = 1.5)],
  ['an unknown ttl.update', (m) => (m.states[0].ttl.update = 'sometimes')],
  ['keyGroupPrefixBytes not matching maxParallelism (was accepted)', (m) => (m.keyGroupPrefixBytes = 2)],
  ['an unknown state kind', (m) => (m.states[0].kind = 'set')],
  ['a map state without userKeySerializer', (m) => delete m.states.find((s: Metadata) => s.kind === 'map').userKeySerializer],
  ['a value state with a userKeySerializer', (m) => (m.states[0].userKeySerializer = 'string')],
  ['two states with one kvStateId', (m) => (m.states[1].kvStateId = m.states[0].kvStateId)],
  ['two states with one name', (m) => (m.states[1].name = m.states[0].name)],
  ['a negative kvStateId', (m) => (m.states[0].kvStateId = -1)],
  ['an invalid timer name', (m) => (m.states.find((s: Metadata) => s.kind === 'timers').name = '_timer_../x_event')],
  ['timers with a TTL', (m) => (m.states.find((s: Metadata) => s.kind === 'timers').ttl.seconds = 5)],
  ['an empty valueSerializer', (m) => (m.states[0].valueSerializer = '')],
  ['a keyGroupRange beyond maxParallelism', (m) => (m.keyGroupRange = { start: 0, end: 200 })],
  ['maxParallelism 0', (m) => (m.maxParallelism = 0)],
  ['rawTtlValues false', (m) => (m.rawTtlValues = false)],
  ['a foreign format', (m) => (m.format = 'other')],
  ['a missing backendId', (m) => delete m.backendId],
  ['states not an array', (m) => (m.states = {})],
  ['a state that is not an object', (m) => (m.states[0] = 'value')],
]

describe('regression: a crafted snapshot header with a valid checksum is refused', () => {
  for (const [what, edit] of crafted) {
    it(`regression: ${what} is a CorruptCheckpointError and leaves nothing`, async () => {
      const handle = await craftStream(fixture.storage(), await handleWithStates(), edit)
      const instance = fixture.tempDir('restored')
      const error = await fixture.backend({ path: instance, restoreFrom: [handle] }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(CorruptCheckpointError)
      expect((error as Error).message).toMatch(/invalid snapshot metadata/)
      expect(existsSync(instance)).toBe(false)
    })
  }

  it('the unedited crafted copy restores (the harness itself is sound)', async () => {
    const handle = await craftStream(fixture.storage(), await handleWithStates(), () => undefined)
    const restored = await fixture.backend({ restoreFrom: [handle] })
    restored.setCurrentKey('k')
    expect(restored.valueState('value', S.int32, { ttl: { seconds: 60 } }).value()).toBe(1)
  })
})

describe('parseSnapshotMetadata (fuzzed)', () => {
  const valid = {
    format: 'rocksdb-keyed-state',
    checkpointId: 3,
    backendId: 'b',
    keySerializer: 'string',
    maxParallelism: 128,
    keyGroupRange: { start: 0, end: 127 },
    rawTtlValues: true,
    states: [
      { kvStateId: 0, name: 'v', kind: 'value', namespaceSerializer: 'void', valueSerializer: 'int32', ttl: { seconds: 0, update: 'onCreateAndWrite', visibility: 'returnExpiredIfNotCleanedUp' } },
      { kvStateId: 1, name: 'm', kind: 'map', namespaceSerializer: 'void', valueSerializer: 'int32', userKeySerializer: 'string', ttl: { seconds: 9, update: 'onReadAndWrite', visibility: 'neverReturnExpired' } },
      { kvStateId: 2, name: '_timer_t_event', kind: 'timers', namespaceSerializer: 'void', valueSerializer: 'timer', ttl: { seconds: 0, update: 'onCreateAndWrite', visibility: 'returnExpiredIfNotCleanedUp' } },
    ],
  }

  it('accepts a valid header and returns exactly its known fields', () => {
    expect(parseSnapshotMetadata({ ...valid, extra: 1 }, 1)).toEqual(valid)
  })

  /** Every path to a leaf of `value`, as property keys. */
  function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (typeof value !== 'object' || value === null) return [prefix]
    return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, Array.isArray(value) ? Number(key) : key]))
  }

  it('replacing any one field with any JSON value either still validates or throws CorruptCheckpointError, never anything else', () => {
    const paths = leafPaths(valid)
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), fc.constant(undefined)), fc.constantFrom(1, 2), (at, replacement, prefixBytes) => {
        const metadata = structuredClone(valid) as any
        let target = metadata
        for (const key of at.slice(0, -1)) target = target[key]
        target[at.at(-1)!] = replacement
        try {
          const parsed = parseSnapshotMetadata(metadata, prefixBytes)
          // Whatever passes is a header a restore can trust.
          expect(keyGroupPrefixBytes(parsed.maxParallelism)).toBe(prefixBytes)
          for (const state of parsed.states) expect(Number.isInteger(state.ttl.seconds) && state.ttl.seconds >= 0).toBe(true)
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptCheckpointError)
        }
      }),
      { numRuns: 3000, seed: 0x5eed },
    )
  })

  it('any JSON at all is refused with CorruptCheckpointError, never a TypeError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(() => parseSnapshotMetadata(value, 1)).toThrow(CorruptCheckpointError)
      }),
      { numRuns: 2000, seed: 0x5eed },
    )
  })
})

describe('valid headers stay restorable', () => {
  it('a state whose serializer id is long (a wide struct) restores', async () => {
    const wide = S.struct(Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`field_with_a_long_name_${i}`, S.string])))
    expect(wide.id.length).toBeGreaterThan(1000)
    const source = await fixture.backend()
    const value = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`field_with_a_long_name_${i}`, `v${i}`]))
    source.setCurrentKey('k')
    source.valueState('wide', wide).update(value)
    const restored = await fixture.backend({ restoreFrom: [await source.snapshot(1, fixture.storage())] })
    restored.setCurrentKey('k')
    expect(restored.valueState('wide', wide).value()).toEqual(value)
  })
})
