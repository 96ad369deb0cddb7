import { existsSync, openSync, readdirSync, statSync, writeSync, closeSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { assignToKeyGroup, CorruptCheckpointError, KeyGroupRange, ManualClock, RocksDB, Serializers as S, type RestoreProgress } from '../../lib'
import { contents, keysOutsideRange, T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()
const MAX_PARALLELISM = 128

const threeWorkers = (clock: ManualClock) => fixture.workersCheckpoint(3, clock)

/** Every file under `dir` with its size and modification time. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name)
      const stats = statSync(file)
      return `${file}:${stats.size}:${stats.mtimeMs}`
    })
    .sort()
}

describe('rescaled incremental restore: clipping, progress, abort and failure', () => {
  it('clipping drops the files wholly outside the new range, their storage copies intact', async () => {
    const clock = new ManualClock(T0)
    const whole = await fixture.backend({ maxParallelism: MAX_PARALLELISM, clock })
    const value = whole.valueState('v', S.int32)
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`)
    const low = (key: string) => assignToKeyGroup(key, MAX_PARALLELISM, S.string) < 64
    const cf = whole.db.columnFamily('v')
    // One file per half of the key groups, compacted below level 0 (deleteFilesInRange leaves level 0 alone).
    const parts = [
      { keys: keys.filter(low), range: [Buffer.from([0]), Buffer.from([64])] },
      { keys: keys.filter((key) => !low(key)), range: [Buffer.from([64]), Buffer.from([128])] },
    ]
    for (const part of parts) {
      for (const key of part.keys) {
        whole.setCurrentKey(key)
        value.update(part.keys.length)
      }
      await whole.db.flush(cf)
      await whole.db.compactRange(cf, part.range[0], part.range[1])
    }
    expect(whole.db.liveFiles().filter((file) => file.columnFamily === 'v')).toHaveLength(2)
    const handle = await whole.snapshot(1)
    if (handle.kind !== 'incremental') throw new Error('expected an incremental handle')
    await fixture.close(whole)
    const half = await fixture.backend({ maxParallelism: MAX_PARALLELISM, range: new KeyGroupRange(0, 63), restoreFrom: [handle], clock })
    const live = half.db.liveFiles().filter((file) => file.columnFamily === 'v')
    // The file of key groups 64-127 is gone, not just hidden.
    expect(live).toHaveLength(1)
    expect(live[0]!.largestKey[0]).toBeLessThan(64)
    expect(keysOutsideRange(half).outside).toBe(0)
    for (const ref of Object.values(handle.sharedFiles)) await fixture.storage().localPath(ref)
  })

  it('reports progress after the base and after each other handle, up to every key group', async () => {
    const clock = new ManualClock(T0)
    const handles = await threeWorkers(clock)
    const reports: RestoreProgress[] = []
    const merged = await fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock, onRestoreProgress: (progress) => reports.push({ ...progress }) })
    // The base (first of the largest overlaps): its key groups, no entry copied.
    expect(reports[0]).toEqual({ entries: 0, keyGroups: 43 })
    expect(reports.map((report) => report.keyGroups)).toEqual([43, 86, 128])
    expect(reports[2]!.entries).toBeGreaterThan(reports[1]!.entries)
    expect(Object.values(contents(merged)).some((entries) => entries.length > 0)).toBe(true)
  })

  it('rescaleOverlapThreshold: a base only where the handle shares that much of its own key groups; bad options are TypeErrors', async () => {
    const clock = new ManualClock(T0)
    const handles = await threeWorkers(clock)
    // [40, 50] shares 3 of [0, 42]'s 43 key groups and 8 of [43, 85]'s.
    const restore = async (rescaleOverlapThreshold: number) => {
      const reports: RestoreProgress[] = []
      const backend = await fixture.backend({
        maxParallelism: MAX_PARALLELISM,
        range: new KeyGroupRange(40, 50),
        restoreFrom: handles,
        clock,
        rescaleOverlapThreshold,
        onRestoreProgress: (progress) => reports.push({ ...progress }),
      })
      return { reports, contents: contents(backend) }
    }
    const based = await restore(0.15)
    const unbased = await restore(0.2)
    // The base, clipped, comes first and copies nothing; without one, the first handle is exported first.
    expect(based.reports[0]).toEqual({ entries: 0, keyGroups: 8 })
    expect(unbased.reports[0]!.keyGroups).toBe(3)
    expect(unbased.reports[0]!.entries).toBeGreaterThan(0)
    expect(unbased.contents).toEqual(based.contents)
    for (const bad of [{ rescaleOverlapThreshold: 1.5 }, { rescaleOverlapThreshold: Number.NaN }, { rescaleStrategy: 'fast' }]) {
      await expect(fixture.backend({ maxParallelism: MAX_PARALLELISM, restoreFrom: handles, clock, ...(bad as object) })).rejects.toBeInstanceOf(TypeError)
    }
  })

  for (const abortAt of [1, 2]) {
    it(`aborted at progress report ${abortAt} (${abortAt === 1 ? 'after the base' : 'after the first other handle'}): the new instance directory is gone, the storage unchanged`, async () => {
      const clock = new ManualClock(T0)
      const handles = await threeWorkers(clock)
      const storageFiles = files(fixture.storageRoot())
      const controller = new AbortController()
      let reports = 0
      const instance = fixture.tempDir('aborted')
      const open = fixture.backend({
        maxParallelism: MAX_PARALLELISM,
        path: instance,
        restoreFrom: handles,
        clock,
        signal: controller.signal,
        onRestoreProgress: () => {
          if (++reports === abortAt) controller.abort()
        },
      })
      await expect(open).rejects.toThrow(/abort/i)
      expect(reports).toBe(abortAt)
      expect(existsSync(instance)).toBe(false)
      expect(files(fixture.storageRoot())).toEqual(storageFiles)
    })
  }

  for (const abortAfter of [1, 3]) {
    it(`aborted while the base and the other handles are fetched and hashed at once (at download ${abortAfter}): the new instance directory is gone, the storage unchanged`, async () => {
      const clock = new ManualClock(T0)
      const handles = await threeWorkers(clock)
      const storageFiles = files(fixture.storageRoot())
      const controller = new AbortController()
      const storage = fixture.storage()
      const download = storage.downloadFile.bind(storage)
      let downloads = 0
      storage.downloadFile = async (ref, localPath, options) => {
        if (++downloads === abortAfter) controller.abort()
        return download(ref, localPath, options)
      }
      try {
        const instance = fixture.tempDir('aborted-fetch')
        const open = fixture.backend({ maxParallelism: MAX_PARALLELISM, path: instance, range: new KeyGroupRange(0, 63), restoreFrom: handles, clock, signal: controller.signal })
        await expect(open).rejects.toThrow(/abort/i)
        expect(existsSync(instance)).toBe(false)
        expect(files(fixture.storageRoot())).toEqual(storageFiles)
      } finally {
        storage.downloadFile = download
      }
    })
  }

  // handles[0] ([0, 42]) is the base of [0, 63]; handles[1] shares 21 key groups with it.
  for (const [which, what] of [
    [0, 'the base fails while the other handles are fetched'],
    [1, 'a handle other than the base fails before the old database is closed'],
  ] as const) {
    it(`a corrupt file of ${what}: an existing instance keeps its state, no work directory is left`, async () => {
      const clock = new ManualClock(T0)
      const handles = await threeWorkers(clock)
      const instance = fixture.tempDir(`existing-${which}`)
      const existing = await fixture.backend({ maxParallelism: MAX_PARALLELISM, path: instance, clock })
      existing.valueState('earlier', S.int32)
      await fixture.close(existing)
      const [ref] = Object.values(handles[which]!.kind === 'incremental' ? handles[which]!.sharedFiles : {})
      const file = await fixture.storage().localPath(ref!)
      const fd = openSync(file, 'r+')
      writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, 100)
      closeSync(fd)
      const open = fixture.backend({ maxParallelism: MAX_PARALLELISM, path: instance, range: new KeyGroupRange(0, 63), restoreFrom: handles, clock })
      await expect(open).rejects.toBeInstanceOf(CorruptCheckpointError)
      expect(await RocksDB.listColumnFamilies(instance)).toContain('earlier')
      expect(readdirSync(instance)).not.toContain('keyed-state-work')
    })
  }
})
