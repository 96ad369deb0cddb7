import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  assignToKeyGroup,
  CorruptCheckpointError,
  IncompatibleStateError,
  InvalidHandleSetError,
  KeyGroupRange,
  ManualClock,
  RocksDB,
  Serializers as S,
  type KeyedStateBackend,
  type KeyedStateHandle,
} from '../../lib'
import type { RescaleStrategy } from '../../lib'
import { contents, expectedAfterRound1Expired, keysOutsideRange, readKey, ROUND_GAP, T0, timerServices, TTL, union, useRescaleFixture, writeState } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128
const KEYS = 600
type Kind = 'full' | 'incremental'

/**
 * Checkpoint 2 of one job whose workers (one per entry of `kinds`) took snapshots of both kinds:
 * each restored from checkpoint 1 of one backend that wrote `writeState`, ran `prepare`, compacted
 * every column family (so an incremental handle's files can be ingested as they are on RocksDB 9.10)
 * and snapshotted. `expected`: the raw contents of that one backend.
 */
async function mixedCheckpoint(kinds: Kind[], clock: ManualClock, prepare?: (worker: KeyedStateBackend<string>, i: number) => void) {
  const whole = await fixture.backend({ maxParallelism: MAX_PARALLELISM, clock })
  const { heapTimers } = writeState(whole, clock, KEYS)
  const expected = contents(whole)
  const first = await whole.snapshot(1)
  await fixture.close(whole)
  const handles: KeyedStateHandle[] = []
  for (const [i, kind] of kinds.entries()) {
    const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: KeyGroupRange.forOperator(MAX_PARALLELISM, kinds.length, i), restoreFrom: [first], clock })
    prepare?.(worker, i)
    for (const cf of worker.db.columnFamilies()) await worker.db.compactRange(cf)
    const handle = await worker.snapshot(2, kind === 'full' ? { type: 'full' } : {})
    expect(handle.kind).toBe(kind)
    handles.push(handle)
    await fixture.close(worker)
  }
  return { handles, expected, heapTimers }
}


/** Restores `handles` into `parallelism` workers; each must hold only its key groups. Returns their contents and heap timers. */
async function restoreInto(handles: KeyedStateHandle[], parallelism: number, strategy: RescaleStrategy, clock: ManualClock) {
  const parts: Record<string, string[]>[] = []
  let heapTimers = 0
  for (let i = 0; i < parallelism; i++) {
    const range = KeyGroupRange.forOperator(MAX_PARALLELISM, parallelism, i)
    const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock, rescaleStrategy: strategy })
    expect(keysOutsideRange(worker).outside, `${strategy}: worker ${i}/${parallelism} (${range}) holds keys of other key groups`).toBe(0)
    parts.push(contents(worker))
    heapTimers += timerServices(worker).heap.numEventTimeTimers()
    await fixture.close(worker)
  }
  return { parts, heapTimers }
}

/**
 * An existing instance holding state 'earlier' (in an SST file); `unchanged()` checks that its
 * column families and the bytes of every SST file are what they were.
 */
async function existingInstance(clock: ManualClock) {
  const instance = fixture.tempDir('existing')
  const backend = await fixture.backend({ maxParallelism: MAX_PARALLELISM, path: instance, clock })
  const earlier = backend.valueState('earlier', S.int32)
  for (let i = 0; i < 100; i++) {
    backend.setCurrentKey(`e${i}`)
    earlier.update(i)
  }
  await backend.db.flush(backend.db.columnFamily('earlier'))
  await fixture.close(backend)
  const state = async () => ({
    families: await RocksDB.listColumnFamilies(instance),
    files: readdirSync(instance)
      .filter((name) => name.endsWith('.sst'))
      .map((name) => `${name}:${createHash('sha256').update(readFileBytes(path.join(instance, name))).digest('hex')}`)
      .sort(),
  })
  const before = await state()
  expect(before.families).toContain('earlier')
  expect(before.files.length).toBeGreaterThan(0)
  return {
    instance,
    unchanged: async () => {
      expect(await state()).toEqual(before)
      expect(existsSync(path.join(instance, 'keyed-state-work'))).toBe(false)
    },
  }
}

/** Every file under `dir` with its size and modification time. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const stats = statSync(path.join(entry.parentPath, entry.name))
      return `${path.join(entry.parentPath, entry.name)}:${stats.size}:${stats.mtimeMs}`
    })
    .sort()
}

function readFileBytes(file: string): Buffer {
  const bytes = Buffer.alloc(statSync(file).size)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, bytes, 0, bytes.length, 0)
  } finally {
    closeSync(fd)
  }
  return bytes
}

/** The keys `k<i>` of `range`. */
function keysIn(range: KeyGroupRange): number[] {
  return Array.from({ length: KEYS }, (_, i) => i).filter((i) => range.contains(assignToKeyGroup(`k${i}`, MAX_PARALLELISM, S.string)))
}

describe(`restoring a checkpoint whose handles mix full and incremental snapshots (RocksDB ${RocksDB.version}, ${RocksDB.build})`, () => {
  for (const [kinds, into] of [
    [['incremental', 'full', 'incremental'], [1, 2]],
    [['full', 'incremental'], [3, 1]],
    [['incremental', 'full'], [3]],
  ] as [Kind[], number[]][]) {
    it(`${kinds.length} workers (${kinds.join(', ')}) → ${into.join(' and → ')}: every entry in exactly one worker with its raw value, timers of both kinds, ingest and copy alike`, async () => {
      const clock = new ManualClock(T0)
      const { handles, expected, heapTimers } = await mixedCheckpoint(kinds, clock)
      for (const parallelism of into) {
        const ingest = await restoreInto(handles, parallelism, 'ingest', clock)
        const copy = await restoreInto(handles, parallelism, 'copy', clock)
        expect(union(ingest.parts), `ingest → ${parallelism}`).toEqual(expected)
        expect(ingest.parts).toEqual(copy.parts)
        expect(ingest.heapTimers).toBe(heapTimers)
        expect(copy.heapTimers).toBe(heapTimers)
      }
    })
  }

  it('TTL write times and list elements’ times are kept: round 1 expires at its own write time + TTL, not the restore’s', async () => {
    const clock = new ManualClock(T0)
    const { handles } = await mixedCheckpoint(['full', 'incremental', 'full'], clock)
    const one = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock })
    clock.advance(TTL.seconds - ROUND_GAP - 1)
    for (const i of [0, 1, 2]) expect(readKey(one, i)).toMatchObject({ value: i % 3 === 0 ? 1000 + i : i, list: i % 3 === 0 ? [`a${i}`, `b${i}`] : [`a${i}`] })
    clock.advance(1)
    for (let i = 0; i < KEYS; i++) expect(readKey(one, i)).toEqual(expectedAfterRound1Expired(i))
  })

  it('states present in only one kind of handle are created and restored (in one worker, and across three: where a worker reads that handle)', async () => {
    const clock = new ManualClock(T0)
    const { handles } = await mixedCheckpoint(['full', 'incremental'], clock, (worker, i) => {
      const onlyFull = i === 0 ? worker.valueState('onlyFull', S.int32, { ttl: TTL }) : undefined
      const onlyIncremental = i === 1 ? worker.listState('onlyIncremental', S.string, { ttl: TTL }) : undefined
      for (const key of keysIn(worker.keyGroupRange)) {
        worker.setCurrentKey(`k${key}`)
        onlyFull?.update(key)
        onlyIncremental?.add(`only${key}`)
      }
    })
    const low = keysIn(new KeyGroupRange(0, 63))
    const high = keysIn(new KeyGroupRange(64, 127))
    for (const strategy of ['ingest', 'copy'] as const) {
      for (const parallelism of [1, 3]) {
        const found = { onlyFull: 0, onlyIncremental: 0 }
        for (let w = 0; w < parallelism; w++) {
          const range = KeyGroupRange.forOperator(MAX_PARALLELISM, parallelism, w)
          const worker = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range, restoreFrom: handles, clock, rescaleStrategy: strategy })
          // A worker reads the handles its range overlaps: the full one holds key groups 0-63, the incremental one 64-127.
          const recorded = [...(range.start <= 63 ? ['onlyFull'] : []), ...(range.end >= 64 ? ['onlyIncremental'] : [])]
          expect(worker.restoredStates().map((state) => state.name).filter((name) => name.startsWith('only')).sort()).toEqual(recorded.sort())
          const onlyFull = worker.valueState('onlyFull', S.int32, { ttl: TTL })
          const onlyIncremental = worker.listState('onlyIncremental', S.string, { ttl: TTL })
          for (const key of keysIn(range)) {
            worker.setCurrentKey(`k${key}`)
            expect(onlyFull.value()).toBe(low.includes(key) ? key : undefined)
            expect(onlyIncremental.get() ?? []).toEqual(high.includes(key) ? [`only${key}`] : [])
            if (low.includes(key)) found.onlyFull++
            if (high.includes(key)) found.onlyIncremental++
          }
          await fixture.close(worker)
        }
        expect(found).toEqual({ onlyFull: low.length, onlyIncremental: high.length })
      }
    }
  })

  for (const [conflict, register, message] of [
    ['another serializer', (worker: KeyedStateBackend<string>, i: number) => (i === 0 ? worker.valueState('x', S.int32) : worker.valueState('x', S.string)), /disagree about state 'x': valueSerializer/],
    ['TTL in one, none in the other', (worker: KeyedStateBackend<string>, i: number) => worker.valueState('x', S.int32, i === 0 ? { ttl: TTL } : {}), /disagree about state 'x': it is with(out)? (a )?TTL, requested with(out)? (a )?TTL/],
  ] as const) {
    it(`a state recorded with ${conflict} by a full and an incremental handle: IncompatibleStateError, nothing changed`, async () => {
      const clock = new ManualClock(T0)
      const { handles } = await mixedCheckpoint(['full', 'incremental'], clock, register)
      for (const strategy of ['ingest', 'copy'] as const) {
        const existing = await existingInstance(clock)
        const open = fixture.backend({ maxParallelism: MAX_PARALLELISM, path: existing.instance, restoreFrom: handles, clock, rescaleStrategy: strategy })
        await expect(open).rejects.toBeInstanceOf(IncompatibleStateError)
        await expect(open).rejects.toThrow(message)
        await existing.unchanged()
        const fresh = fixture.tempDir('fresh')
        await expect(fixture.backend({ maxParallelism: MAX_PARALLELISM, path: fresh, restoreFrom: handles, clock, rescaleStrategy: strategy })).rejects.toBeInstanceOf(IncompatibleStateError)
        expect(existsSync(fresh)).toBe(false)
      }
    })
  }

  it('TTL settings that differ only in length: the restore takes those of the handle restored first (the base), registering the state again sets its own', async () => {
    const clock = new ManualClock(T0)
    const { handles } = await mixedCheckpoint(['full', 'incremental'], clock, (worker, i) => {
      const state = worker.valueState('x', S.int32, { ttl: { seconds: i === 0 ? 100 : 200 } })
      for (const key of keysIn(worker.keyGroupRange)) {
        worker.setCurrentKey(`k${key}`)
        state.update(key)
      }
    })
    // [0, 127]: the incremental handle (TTL 200) is the base.
    const one = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock })
    expect(one.restoredStates().find((state) => state.name === 'x')?.ttl.seconds).toBe(200)
    const x = one.valueState('x', S.int32, { ttl: { seconds: 100 } })
    expect(one.registeredStates().find((state) => state.name === 'x')?.ttl.seconds).toBe(100)
    one.setCurrentKey('k0')
    expect(x.value()).toBe(0)
  })

  it('aborted while writing the full stream’s key groups onto the installed base: the new instance directory is gone, the storage unchanged', async () => {
    const clock = new ManualClock(T0)
    const { handles } = await mixedCheckpoint(['incremental', 'full', 'incremental'], clock)
    const storageFiles = listing(fixture.storageRoot())
    const controller = new AbortController()
    const instance = fixture.tempDir('aborted')
    // Reports: the base clipped (43 key groups), the other incremental handle (85), then each of the stream's key groups.
    const open = fixture.backend({
      maxParallelism: MAX_PARALLELISM,
      path: instance,
      restoreFrom: handles,
      clock,
      signal: controller.signal,
      onRestoreProgress: (progress) => {
        if (progress.keyGroups >= 90) controller.abort()
      },
    })
    await expect(open).rejects.toThrow(/abort/i)
    expect(existsSync(instance)).toBe(false)
    expect(listing(fixture.storageRoot())).toEqual(storageFiles)
  })

  it('a corrupt full stream among incremental handles: CorruptCheckpointError before the base is installed, nothing changed', async () => {
    const clock = new ManualClock(T0)
    const { handles } = await mixedCheckpoint(['incremental', 'full', 'incremental'], clock)
    const full = handles[1]!
    if (full.kind !== 'full') throw new Error('expected a full handle')
    const file = await fixture.storage().localPath(full.stream)
    const fd = openSync(file, 'r+')
    writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, Math.floor(full.stream.size / 2))
    closeSync(fd)
    // [0, 127]: handles[0] is the base; [0, 63]: the base clipped and the stream's key groups 43-63.
    for (const range of [new KeyGroupRange(0, 127), new KeyGroupRange(0, 63)]) {
      const existing = await existingInstance(clock)
      const open = fixture.backend({ maxParallelism: MAX_PARALLELISM, path: existing.instance, range, restoreFrom: handles, clock })
      await expect(open).rejects.toBeInstanceOf(CorruptCheckpointError)
      await existing.unchanged()
    }
  })

  it('key groups not covered exactly once by a mixed set: InvalidHandleSetError naming them, before the disk is touched', async () => {
    const clock = new ManualClock(T0)
    const { handles } = await mixedCheckpoint(['incremental', 'full', 'incremental'], clock)
    const fresh = fixture.tempDir('fresh')
    const missing = fixture.backend({ maxParallelism: MAX_PARALLELISM, path: fresh, restoreFrom: [handles[0]!, handles[2]!], clock })
    await expect(missing).rejects.toBeInstanceOf(InvalidHandleSetError)
    await expect(missing).rejects.toThrow(/key groups 43-85 are in no handle/)
    const twice = fixture.backend({ maxParallelism: MAX_PARALLELISM, path: fresh, restoreFrom: [...handles, handles[1]!], clock })
    await expect(twice).rejects.toThrow(/key groups 43-85 are in more than one handle/)
    expect(existsSync(fresh)).toBe(false)
  })
})
