import { readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, ManualClock, Serializers as S, type KeyedStateBackend, type KeyedStateHandle } from '../../lib'
import { incremental, MAX_PARALLELISM, rawDump, useIncrementalFixture, withoutHeapTimers } from '../snapshot/incremental-fixture'

const fixture = useIncrementalFixture()
const ttl = { seconds: 100 }

/** Value, list (per-element TTL), map and reducing state, some with TTL, written at the clock's time. */
function write(backend: KeyedStateBackend<string>, round: number, keys: number): void {
  const value = backend.valueState('value', S.int32, { ttl })
  const list = backend.listState('list', S.string, { ttl })
  const map = backend.mapState('map', S.string, S.int32)
  const sum = backend.reducingState('sum', S.int32, (a, b) => a + b)
  for (let i = 0; i < keys; i++) {
    backend.setCurrentKey(`k${(i * 7 + round) % 500}`)
    value.update(round * 1000 + i)
    list.add(`r${round}-${i}`)
    map.put(`m${i % 5}`, round)
    sum.add(i)
  }
}

function timers(backend: KeyedStateBackend<string>, queue: 'heap' | 'rocksdb') {
  return backend.timerService<string>({ name: `t-${queue}`, namespaceSerializer: S.string, queue, onTimer: () => undefined })
}

async function complete(backend: KeyedStateBackend<string>, id: number, handle: KeyedStateHandle): Promise<void> {
  await fixture.storage().completeCheckpoint('job', id, [handle])
  await backend.notifyCheckpointComplete(id)
}

describe('incremental restore', () => {
  it('restoring each of several checkpoints gives exactly its state, TTL write times and timers included', async () => {
    const clock = new ManualClock(10_000)
    fixture.storage({ retain: 3 })
    const backend = await fixture.backend({ clock })
    const heap = timers(backend, 'heap')
    const rocks = timers(backend, 'rocksdb')
    const expected: { handle: KeyedStateHandle; dump: Record<string, string[]>; timers: [number, number] }[] = []
    for (let id = 1; id <= 3; id++) {
      clock.advance(30)
      write(backend, id, 300)
      backend.setCurrentKey(`k${id}`)
      heap.registerEventTimeTimer(`w${id}`, id * 10)
      rocks.registerProcessingTimeTimer(`p${id}`, id * 20)
      if (id === 2) await backend.db.compactRange(backend.db.columnFamily('list'))
      const counts: [number, number] = [heap.numEventTimeTimers(), rocks.numProcessingTimeTimers()]
      const dump = rawDump(backend)
      const handle = await backend.snapshot(id)
      expected.push({ handle, dump, timers: counts })
      await complete(backend, id, handle)
    }
    for (const { handle, dump, timers: [heapCount, rocksCount] } of expected) {
      const restored = await fixture.backend({ restoreFrom: [handle], clock })
      const restoredDump = rawDump(restored)
      // A restored backend holds heap timers in their column family until the service is created.
      expect(restoredDump['_timer_t-heap_event']).toHaveLength(heapCount)
      expect(withoutHeapTimers(restoredDump)).toEqual(withoutHeapTimers(dump))
      expect(timers(restored, 'heap').numEventTimeTimers()).toBe(heapCount)
      expect(timers(restored, 'rocksdb').numProcessingTimeTimers()).toBe(rocksCount)
      expect(restored.restoredCheckpointId).toBe(handle.checkpointId)
      await restored.close()
    }
  })

  it('a restored backend continues: its next checkpoint references the shared files it restored', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 1, 400)
    const first = incremental(await backend.snapshot(1))
    await complete(backend, 1, first)
    await backend.close()

    const restored = await fixture.backend({ restoreFrom: [first] })
    storage.reset()
    write(restored, 2, 50)
    const second = incremental(await restored.snapshot(2))
    for (const [name, ref] of Object.entries(first.sharedFiles)) expect(second.sharedFiles[name]).toEqual(ref)
    const firstKeys = new Set(Object.values(first.sharedFiles).map((ref) => ref.key))
    const uploadedShared = storage.uploadedKeys.filter((key) => key.startsWith('shared/'))
    expect(uploadedShared.length).toBeGreaterThan(0)
    expect(uploadedShared.every((key) => !firstKeys.has(key) && key.startsWith(`shared/${restored.backendId}/`))).toBe(true)
  })

  it('a savepoint restores into an incremental backend, whose checkpoints are incremental from then on', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 1, 300)
    const savepoint = await backend.snapshot(1, { type: 'savepoint' })
    const dump = rawDump(backend)
    const restored = await fixture.backend({ restoreFrom: [savepoint] })
    expect(rawDump(restored)).toEqual(dump)
    const first = incremental(await restored.snapshot(2))
    await complete(restored, 2, first)
    storage.reset()
    const second = incremental(await restored.snapshot(3))
    expect(second.sharedFiles).toEqual(first.sharedFiles)
    expect(storage.uploadedKeys.filter((key) => key.startsWith('shared/'))).toEqual([])
  })

  it('local recovery: the instance directory of the completed checkpoint is reused and nothing is fetched', async () => {
    const storage = fixture.storage()
    const instance = fixture.tempDir('instance')
    const backend = await fixture.backend({ path: instance })
    write(backend, 1, 300)
    const handle = await backend.snapshot(1)
    await complete(backend, 1, handle)
    const dump = rawDump(backend)
    write(backend, 2, 300) // not in the checkpoint
    await backend.close()

    storage.reset()
    const recovered = await fixture.backend({ path: instance, restoreFrom: [handle] })
    expect(storage.reads).toBe(0)
    expect(rawDump(recovered)).toEqual(dump)
    expect(readdirSync(path.join(instance, 'keyed-state-checkpoints'))).toEqual(['chk-1'])
    await recovered.close()

    // A local copy that no longer matches the handle is not trusted: the files are fetched.
    const local = path.join(instance, 'keyed-state-checkpoints', 'chk-1', 'CURRENT')
    writeFileSync(local, 'MANIFEST-999999\n')
    storage.reset()
    const fetched = await fixture.backend({ path: instance, restoreFrom: [handle] })
    expect(storage.reads).toBeGreaterThan(0)
    expect(rawDump(fetched)).toEqual(dump)
    expect(readdirSync(path.join(instance, 'keyed-state-checkpoints'))).toEqual([])
  })

  it('rescaling: incremental handles restore into other key-group ranges key by key, TTL write times kept', async () => {
    const clock = new ManualClock(5000)
    const whole = await fixture.backend({ clock })
    write(whole, 1, 500)
    clock.advance(10)
    write(whole, 2, 100)
    const heap = timers(whole, 'heap')
    for (let i = 0; i < 50; i++) {
      whole.setCurrentKey(`k${i}`)
      heap.registerEventTimeTimer('w', i)
    }
    const handle = await whole.snapshot(1)
    await complete(whole, 1, handle)
    const dump = withoutHeapTimers(rawDump(whole))
    const halves = [0, 1].map((i) => KeyGroupRange.forOperator(MAX_PARALLELISM, 2, i))
    const parts: Record<string, string[]>[] = []
    const handles: KeyedStateHandle[] = []
    let restoredTimers = 0
    for (const range of halves) {
      const half = await fixture.backend({ range, restoreFrom: [handle], clock })
      // Creating the heap service moves the restored timers out of their column family.
      restoredTimers += timers(half, 'heap').numEventTimeTimers()
      parts.push(rawDump(half))
      handles.push(await half.snapshot(2))
    }
    expect(restoredTimers).toBe(50)
    for (const name of Object.keys(dump)) expect([...parts[0]![name]!, ...parts[1]![name]!]).toEqual(dump[name])
    expect(parts[0]!.value!.length).toBeGreaterThan(0)
    expect(parts[1]!.value!.length).toBeGreaterThan(0)
    // And back: two incremental handles into one backend.
    const merged = await fixture.backend({ restoreFrom: handles, clock })
    expect(timers(merged, 'heap').numEventTimeTimers()).toBe(50)
    expect(withoutHeapTimers(rawDump(merged))).toEqual(dump)
  })
})
