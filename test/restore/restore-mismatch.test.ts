import { existsSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CorruptCheckpointError,
  FsCheckpointStorage,
  IncompatibleStateError,
  KeyGroupRange,
  KeyedStateBackend,
  type KeyedStateBackendOptions,
  RocksDB,
  Serializers as S,
  type CheckpointStorage,
  type FullKeyedStateHandle,
} from '../../lib'
import { MAX_PARALLELISM, useSnapshotFixture } from '../snapshot/snapshot-fixture'
import { craftStream } from './crafted-stream'

const fixture = useSnapshotFixture()
const keys = Array.from({ length: 200 }, (_, i) => `key-${i}`)

async function handleOf(fill: (backend: KeyedStateBackend<string>) => void, range?: KeyGroupRange, id = 1): Promise<FullKeyedStateHandle> {
  const source = await fixture.backend({ range })
  fill(source)
  return (await source.snapshot(id, fixture.storage())) as FullKeyedStateHandle
}

function fillValues(backend: KeyedStateBackend<string>) {
  const state = backend.valueState('v', S.int32)
  for (const [i, key] of keys.entries()) {
    if (!backend.keyGroupRange.contains(keyGroupOf(backend, key))) continue
    backend.setCurrentKey(key)
    state.update(i)
  }
}

function keyGroupOf(backend: KeyedStateBackend<string>, key: string): number {
  try {
    backend.setCurrentKey(key)
    return backend.currentKeyGroup
  } catch {
    return -1
  }
}

/** Opens `instance` restoring `restoreFrom`, with the fixture's layout unless `overrides` says otherwise. */
function restore(instance: string, restoreFrom: unknown[], overrides: Partial<KeyedStateBackendOptions<unknown>> = {}) {
  return KeyedStateBackend.open<unknown>({
    path: instance,
    keySerializer: S.string,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1),
    restoreFrom,
    storage: fixture.storage(),
    ...overrides,
  })
}

describe('restore mismatches are typed errors and leave nothing', () => {
  it('another maxParallelism', async () => {
    const handle = await handleOf(fillValues)
    const instance = fixture.tempDir('restored')
    const attempt = restore(instance, [handle], { maxParallelism: 256, keyGroupRange: new KeyGroupRange(0, 127) })
    await expect(attempt).rejects.toBeInstanceOf(IncompatibleStateError)
    await expect(attempt).rejects.toThrow(/maxParallelism 128, this backend 256/)
    expect(existsSync(instance)).toBe(false)
  })

  it('another key serializer', async () => {
    const handle = await handleOf(fillValues)
    const instance = fixture.tempDir('restored')
    const attempt = restore(instance, [handle], { keySerializer: S.json })
    await expect(attempt).rejects.toThrow(/keys use serializer 'string', this backend 'json'/)
    expect(existsSync(instance)).toBe(false)
  })

  it('another (newer) format version', async () => {
    const handle = await craftStream(fixture.storage(), await handleOf(fillValues), () => undefined, 99)
    const instance = fixture.tempDir('restored')
    await expect(fixture.backend({ path: instance, restoreFrom: [handle] })).rejects.toThrow(/format version 99 was written by a newer version/)
    expect(existsSync(instance)).toBe(false)
  })

  it('a kvStateId the body uses but the header does not announce', async () => {
    const handle = await craftStream(fixture.storage(), await handleOf(fillValues), (metadata) => {
      metadata.states[0].kvStateId = 5
    })
    const instance = fixture.tempDir('restored')
    await expect(fixture.backend({ path: instance, restoreFrom: [handle] })).rejects.toThrow(/kvStateId 0 .* is not a state of this snapshot/)
    expect(existsSync(instance)).toBe(false)
  })

  it('handles that disagree about a state\'s kind or serializer, before any state is created', async () => {
    const halves = [0, 1].map((index) => KeyGroupRange.forOperator(MAX_PARALLELISM, 2, index))
    const asValue = await handleOf(fillValues, halves[0])
    const instance = fixture.tempDir('restored')
    for (const register of [
      (backend: KeyedStateBackend<string>) => backend.listState('v', S.int32),
      (backend: KeyedStateBackend<string>) => backend.valueState('v', S.string),
    ]) {
      const other = await handleOf(register, halves[1])
      const attempt = fixture.backend({ path: instance, restoreFrom: [asValue, other] })
      await expect(attempt).rejects.toBeInstanceOf(IncompatibleStateError)
      await expect(attempt).rejects.toThrow(/disagree about state 'v'/)
      expect(existsSync(instance)).toBe(false)
    }
  })

  it('regression: an invalid timer name used to be an IncompatibleStateError after states were created; now refused with the header', async () => {
    const handle = await craftStream(
      fixture.storage(),
      await handleOf((backend) => {
        fillValues(backend)
        backend.timerService({ name: 't', queue: 'rocksdb', namespaceSerializer: S.string, onTimer: () => undefined }).registerProcessingTimeTimer('ns', 10)
      }),
      (metadata) => {
        metadata.states.find((state: { kind: string }) => state.kind === 'timers').name = '_timer_x/../y_event'
      },
    )
    const instance = fixture.tempDir('restored')
    await expect(fixture.backend({ path: instance, restoreFrom: [handle] })).rejects.toThrow(CorruptCheckpointError)
    expect(existsSync(instance)).toBe(false)
  })
})

/** A real FsCheckpointStorage reached the way a remote one is (downloads, no local path), with a hook after each download. */
function downloadingStorage(root: string, afterDownload: (count: number) => void): CheckpointStorage {
  const storage = new FsCheckpointStorage(root)
  let downloads = 0
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'localPath') return undefined
      if (property === 'downloadFile') {
        return async (...args: Parameters<CheckpointStorage['downloadFile']>) => {
          await target.downloadFile(...args)
          afterDownload(++downloads)
        }
      }
      const value = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('cancelling a restore through signal leaves nothing behind, at each phase', () => {
  async function twoHandles(): Promise<FullKeyedStateHandle[]> {
    const handles: FullKeyedStateHandle[] = []
    for (const index of [0, 1]) handles.push(await handleOf(fillValues, KeyGroupRange.forOperator(MAX_PARALLELISM, 2, index)))
    return handles
  }

  async function expectNothingLeft(instance: string, storageRoot: string, storedBefore: string[]) {
    expect(existsSync(instance)).toBe(false)
    expect(readdirSync(storageRoot, { recursive: true, encoding: 'utf8' }).sort()).toEqual(storedBefore)
  }

  const phases: [string, (controller: AbortController) => { storage?: (root: string) => CheckpointStorage; onRestoreProgress?: () => void }][] = [
    ['before open starts', (controller) => (controller.abort(), {})],
    ['while the first stream downloads', (controller) => ({ storage: (root) => downloadingStorage(root, (count) => count === 1 && controller.abort()) })],
    ['after every stream is verified, before states are created', (controller) => ({ storage: (root) => downloadingStorage(root, (count) => count === 2 && controller.abort()) })],
    ['while key groups are written', (controller) => ({ onRestoreProgress: () => controller.abort() })],
  ]

  for (const [phase, setUp] of phases) {
    it(`aborted ${phase}`, async () => {
      const handles = await twoHandles()
      const root = fixture.storage().root
      const storedBefore = readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()
      const controller = new AbortController()
      const { storage, onRestoreProgress } = setUp(controller)
      const instance = fixture.tempDir('restored')
      const attempt = restore(instance, handles, { storage: storage?.(root) ?? fixture.storage(), signal: controller.signal, onRestoreProgress })
      await expect(attempt).rejects.toMatchObject({ name: 'AbortError' })
      await expectNothingLeft(instance, root, storedBefore)
    })
  }

  it('aborted while restoring into an existing instance: the instance stays, with no state', async () => {
    const handles = await twoHandles()
    const instance = fixture.tempDir('existing')
    const earlier = await fixture.backend({ path: instance })
    earlier.setCurrentKey('k')
    earlier.valueState('earlier', S.int32).update(1)
    await earlier.close()
    const controller = new AbortController()
    const attempt = restore(instance, handles, { signal: controller.signal, onRestoreProgress: () => controller.abort() })
    await expect(attempt).rejects.toMatchObject({ name: 'AbortError' })
    expect(await RocksDB.listColumnFamilies(instance)).toEqual(['default'])
  })
})
