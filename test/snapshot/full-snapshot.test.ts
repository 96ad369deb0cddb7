import { existsSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  ClosedError,
  CorruptCheckpointError,
  IncompatibleStateError,
  KeyGroupRange,
  ManualClock,
  Serializers as S,
  assignToKeyGroup,
  KeyedStateBackend,
  type FullKeyedStateHandle,
} from '../../lib'
import { reseal } from './reseal'
import { expectContents, expectEachKeyOnExactlyOneWorker, fill, keys, registerAll } from './snapshot-contents'
import { MAX_PARALLELISM, useSnapshotFixture } from './snapshot-fixture'

const fixture = useSnapshotFixture()
const START = 1_700_000_000


describe('full snapshot and restore', () => {
  it('round-trips every state kind', async () => {
    const source = await fixture.backend()
    fill(source, keys)
    const handle = (await source.snapshot(1, fixture.storage())) as FullKeyedStateHandle
    expect(handle).toMatchObject({ kind: 'full', checkpointId: 1, keyGroupRange: { start: 0, end: 127 } })
    expect(handle.keyGroupOffsets).toHaveLength(MAX_PARALLELISM)
    expect(handle.stream.size).toBeGreaterThan(0)
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle)

    const restored = await fixture.backend({ restoreFrom: [JSON.parse(JSON.stringify(handle))] })
    expectContents(restored, keys, keys)
    expect(restored.numEntries()).toBe(source.numEntries())
    expect([...restored.getKeys('value')].sort()).toEqual([...keys].sort())
  })

  it('reflects exactly the state when snapshot() was called, while writes go on', async () => {
    const source = await fixture.backend()
    const counter = source.valueState('counter', S.int32)
    for (let i = 0; i < 1000; i++) {
      source.setCurrentKey(`k${i}`)
      counter.update(0)
    }
    const pending = source.snapshot(7, fixture.storage())
    for (let round = 1; round <= 10; round++) {
      for (let i = 0; i < 1000; i++) {
        source.setCurrentKey(`k${i}`)
        counter.update(round)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    const restored = await fixture.backend({ restoreFrom: [await pending] })
    const restoredCounter = restored.valueState('counter', S.int32)
    for (let i = 0; i < 1000; i++) {
      restored.setCurrentKey(`k${i}`)
      expect(restoredCounter.value()).toBe(0)
    }
    source.setCurrentKey('k1')
    expect(counter.value()).toBe(10)
  })

  for (const workers of [1, 2, 3]) {
    it(`rescales one snapshot and several snapshots into ${workers} worker(s)`, async () => {
      // One snapshot of everything, and 2 snapshots of a 2-worker job.
      const single = await fixture.backend()
      fill(single, keys)
      const oneHandle = await single.snapshot(1, fixture.storage())
      const twoHandles: unknown[] = []
      for (let index = 0; index < 2; index++) {
        const range = KeyGroupRange.forOperator(MAX_PARALLELISM, 2, index)
        const backend = await fixture.backend({ range })
        const mine = keys.filter((key) => range.contains(assignToKeyGroup(key, MAX_PARALLELISM, S.string)))
        fill(backend, [])
        const states = registerAll(backend)
        for (const key of mine) {
          const i = keys.indexOf(key)
          backend.setCurrentKey(key)
          states.value.update(BigInt(i))
          states.list.addAll([`${key}-a`, `${key}-b`])
          states.map.put('x', i)
          states.map.put('y', 1000 - i)
          states.reducing.add(i + 1)
          states.aggregating.add(i)
        }
        twoHandles.push(await backend.snapshot(1, fixture.storage()))
      }
      for (const handles of [[oneHandle], twoHandles]) {
        await expectEachKeyOnExactlyOneWorker(MAX_PARALLELISM, workers, keys, (range) => fixture.backend({ range, restoreFrom: handles }))
      }
    })
  }

  it('keeps TTL write times: an entry 50 s into a 60 s TTL expires 10 s after restore', async () => {
    const clock = new ManualClock(START)
    const source = await fixture.backend({ clock })
    const state = source.valueState('session', S.string, { ttl: { seconds: 60, visibility: 'neverReturnExpired' } })
    source.setCurrentKey('old')
    state.update('written at START')
    clock.advance(50)
    source.setCurrentKey('new')
    state.update('written at START+50')
    const handle = await source.snapshot(3, fixture.storage())

    const restoredClock = new ManualClock(START + 50)
    const restored = await fixture.backend({ clock: restoredClock, restoreFrom: [handle] })
    const restoredState = restored.valueState('session', S.string, { ttl: { seconds: 60, visibility: 'neverReturnExpired' } })
    restoredClock.advance(9)
    restored.setCurrentKey('old')
    expect(restoredState.value()).toBe('written at START')
    restoredClock.advance(1) // START + 60: write time + ttl
    expect(restoredState.value()).toBeUndefined()
    restored.setCurrentKey('new')
    expect(restoredState.value()).toBe('written at START+50')
    restoredClock.advance(50)
    expect(restoredState.value()).toBeUndefined()
  })

  it('runs several snapshots at once, and aborts one through its signal', async () => {
    const source = await fixture.backend()
    fill(source, keys)
    const controller = new AbortController()
    const aborted = source.snapshot(11, fixture.storage(), { signal: controller.signal }).catch((error: unknown) => error)
    controller.abort()
    const [a, b, c] = await Promise.all([
      source.snapshot(12, fixture.storage()),
      source.snapshot(13, fixture.storage(), { compression: 'deflate' }),
      source.snapshot(14, fixture.storage(), { compression: 'snappy' }),
    ])
    expect(await aborted).toMatchObject({ name: 'AbortError' })
    for (const handle of [a, b, c]) {
      const restored = await fixture.backend({ restoreFrom: [handle] })
      expectContents(restored, keys.slice(0, 50), keys)
    }
    expect(readdirSync(`${source.workDirectory}`, { withFileTypes: true }).filter((f) => f.isFile())).toEqual([])
  })

  it('reports progress while snapshotting and restoring', async () => {
    const source = await fixture.backend()
    fill(source, keys)
    const snapshotProgress: { entries: number; keyGroups: number; bytes: number }[] = []
    const handle = await source.snapshot(15, fixture.storage(), { onProgress: (p) => snapshotProgress.push({ ...p }) })
    const last = snapshotProgress.at(-1)!
    expect(last.entries).toBe(source.numEntries())
    expect(last.keyGroups).toBe((handle as FullKeyedStateHandle).keyGroupOffsets.filter((offset) => offset > 0).length)
    expect(last.bytes).toBeGreaterThan(0)
    const restoreProgress: { entries: number; keyGroups: number }[] = []
    const restored = await KeyedStateBackend.open({
      path: fixture.tempDir('progress'),
      keySerializer: S.string,
      maxParallelism: MAX_PARALLELISM,
      keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1),
      restoreFrom: [handle],
      storage: fixture.storage(),
      onRestoreProgress: (p) => restoreProgress.push({ ...p }),
    })
    // Every key group of the range, the empty ones the snapshot did not write included.
    expect(restoreProgress.at(-1)).toEqual({ entries: last.entries, keyGroups: MAX_PARALLELISM })
    await restored.close()
  })

  it("notifyCheckpointAborted aborts that checkpoint's running snapshot only", async () => {
    const source = await fixture.backend()
    fill(source, keys)
    const doomed = source.snapshot(51, fixture.storage()).catch((error: unknown) => error)
    const kept = source.snapshot(52, fixture.storage())
    await source.notifyCheckpointAborted(51)
    expect(await doomed).toMatchObject({ code: 'Aborted' })
    await expect(kept).resolves.toMatchObject({ checkpointId: 52 })
    await source.notifyCheckpointComplete(52)
    expect(source.lastCompletedCheckpointId).toBe(52)
  })

  it('regression: a snapshot aborted before its first chunk arrived left that chunk\'s rejection unhandled', async () => {
    const source = await fixture.backend()
    const value = source.valueState('big', S.bytes)
    for (let i = 0; i < 40_000; i++) {
      source.setCurrentKey(`key-${i}`)
      value.update(Buffer.alloc(200, i))
    }
    await source.db.flush(source.db.columnFamily('big')) // read from SST blocks: a slower first chunk
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      // Whether the first chunk is still being framed when the stream closes is a race: many rounds.
      for (let round = 0; round < 60; round++) {
        const controller = new AbortController()
        const aborted = source.snapshot(40 + round, fixture.storage(), { signal: controller.signal }).catch((error: unknown) => error)
        controller.abort() // seen by the loop before it awaits the first chunk
        expect(await aborted).toMatchObject({ name: 'AbortError' })
      }
      await source.close() // waits for the chunks still being framed; they reject once released
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve))
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    expect(unhandled).toEqual([])
  })

  it('close() aborts running snapshots cleanly', async () => {
    const source = await fixture.backend()
    fill(source, keys)
    const pending = source.snapshot(21, fixture.storage()).catch((error: unknown) => error)
    await source.close()
    expect(await pending).toBeInstanceOf(ClosedError)
    await expect(source.snapshot(22, fixture.storage())).rejects.toBeInstanceOf(ClosedError)
    expect(existsSync(source.workDirectory)).toBe(false)
  })

  it('refuses corrupt, missing and foreign handles and leaves no instance behind', async () => {
    const source = await fixture.backend()
    fill(source, keys.slice(0, 20))
    const handle = (await source.snapshot(31, fixture.storage())) as FullKeyedStateHandle
    const instance = fixture.tempDir('restored')
    const attempt = (restoreFrom: unknown[]) => fixture.backend({ path: instance, restoreFrom })
    await expect(attempt([reseal({ ...handle, stream: { ...handle.stream, sha256: '0'.repeat(64) } })])).rejects.toThrow(/SHA-256/)
    expect(existsSync(instance)).toBe(false)
    await expect(attempt([reseal({ ...handle, stream: { ...handle.stream, key: '../../etc/passwd' } })])).rejects.toThrow(/segments must not start/)
    await expect(attempt([reseal({ ...handle, stream: { ...handle.stream, key: 'chk-31/nope/missing.rksf' } })])).rejects.toThrow(/missing/)
    await expect(attempt([{ ...handle, kind: 'nonsense' }])).rejects.toBeInstanceOf(CorruptCheckpointError)
    await expect(attempt([{ ...handle, version: 99 }])).rejects.toThrow(/newer/)
    await expect(attempt([reseal({ ...handle, keyGroupOffsets: [1] })])).rejects.toThrow(/one entry per key group/)
    await expect(attempt(['not a handle'])).rejects.toBeInstanceOf(CorruptCheckpointError)
    // A handle whose offsets point into the middle of the stream.
    const shifted = reseal({ ...handle, keyGroupOffsets: handle.keyGroupOffsets.map((offset) => (offset === 0 ? 0 : offset + 3)) })
    await expect(attempt([shifted])).rejects.toBeInstanceOf(CorruptCheckpointError)
    expect(existsSync(instance)).toBe(false)
    // A range no handle covers.
    const half = reseal({ ...handle, keyGroupRange: { start: 0, end: 63 }, keyGroupOffsets: handle.keyGroupOffsets.slice(0, 64) })
    await expect(fixture.backend({ range: new KeyGroupRange(64, 127), restoreFrom: [half] })).rejects.toThrow(/64-127 are in no handle/)
  })

  it('a state restored with another serializer is refused', async () => {
    const source = await fixture.backend()
    source.valueState('value', S.int64)
    source.setCurrentKey('k')
    source.valueState('value', S.int64).update(1n)
    const restored = await fixture.backend({ restoreFrom: [await source.snapshot(41, fixture.storage())] })
    expect(() => restored.valueState('value', S.string)).toThrow(IncompatibleStateError)
    expect(() => restored.listState('value', S.int64)).toThrow(IncompatibleStateError)
    expect(() => [...restored.getKeys('value')]).toThrow(/not registered yet/)
    restored.setCurrentKey('k')
    expect(restored.valueState('value', S.int64).value()).toBe(1n)
  })
})
