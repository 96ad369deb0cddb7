// Regression (review 11): a restoring open closed its database (releasing RocksDB's LOCK) while
// it swapped the restored files in; a second open of the same directory took the lock in that
// gap and cleared the scratch directory, so the restore failed with a raw ENOENT and its cleanup
// deleted the second backend's database files. One writer of an instance directory at a time:
// the instance lock is held from the start of open() to the end of close().
import { watch } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, KeyedStateBackend, LockedError, ManualClock, Serializers as S, type KeyedStateHandle } from '../../lib'
import { T0, contents, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()

function plainOpen(path: string, clock: ManualClock): Promise<KeyedStateBackend<string>> {
  return KeyedStateBackend.open({ path, keySerializer: S.string, maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 127), clock })
}

/** What restoring `handles` into a fresh directory gives. */
async function expectedContents(handles: KeyedStateHandle[], clock: ManualClock): Promise<Record<string, string[]>> {
  const backend = await fixture.backend({ maxParallelism: 128, restoreFrom: handles, clock })
  const result = contents(backend)
  await fixture.close(backend)
  return result
}

describe('a second open of an instance directory while a restoring open is in flight', () => {
  it('is refused with LockedError during the swap of the restored files, and the restore completes with exactly its contents (5 rounds)', async () => {
    const clock = new ManualClock(T0)
    const handles = await fixture.workersCheckpoint(1, clock, { keys: 3000 })
    const expected = await expectedContents(handles, clock)
    for (let round = 0; round < 5; round++) {
      const path = fixture.tempDir('instance')
      await (await plainOpen(path, clock)).close()
      // The swap starts by removing CURRENT (the old database closed): from then on, open again and again until the restore settles.
      let settled = false
      const seconds: (KeyedStateBackend<string> | Error)[] = []
      let hammer: Promise<void> | undefined
      const watcher = watch(path, (_event, name) => {
        if (name !== 'CURRENT' || hammer !== undefined) return
        hammer = (async () => {
          while (!settled) seconds.push(await plainOpen(path, clock).catch((error: Error) => error))
        })()
      })
      const restoring = fixture.backend({ maxParallelism: 128, restoreFrom: handles, clock, path }).then(
        (backend) => backend,
        (error: Error) => error,
      )
      const first = await restoring
      settled = true
      await hammer
      watcher.close()
      for (const second of seconds) if (second instanceof KeyedStateBackend) await second.close()
      expect(first).toBeInstanceOf(KeyedStateBackend)
      expect(seconds.length).toBeGreaterThan(0)
      expect(seconds.filter((second) => !(second instanceof LockedError))).toEqual([])
      expect(contents(first as KeyedStateBackend<string>)).toEqual(expected)
      await fixture.close(first as KeyedStateBackend<string>)
    }
  }, 120_000)

  it('is refused at once with LockedError mid-restore (onRestoreProgress), before RocksDB rotates the info LOG', async () => {
    const clock = new ManualClock(T0)
    const handles = await fixture.workersCheckpoint(2, clock, { keys: 3000 })
    const expected = await expectedContents(handles, clock)
    const path = fixture.tempDir('instance')
    // The first open writes its files meanwhile; only an open of RocksDB rotates LOG into LOG.old.*.
    const logs = async () => (await readdir(path)).filter((name) => name.startsWith('LOG')).sort()
    let second: Promise<{ error: unknown; before: string[]; after: string[] }> | undefined
    const first = await fixture.backend({
      maxParallelism: 128,
      restoreFrom: handles,
      clock,
      path,
      onRestoreProgress: () => {
        second ??= (async () => {
          const before = await logs()
          const error = await plainOpen(path, clock).then(
            (backend) => backend.close(),
            (e: unknown) => e,
          )
          return { error, before, after: await logs() }
        })()
      },
    })
    const { error, before, after } = await second!
    expect(error).toBeInstanceOf(LockedError)
    expect(after).toEqual(before)
    expect(contents(first)).toEqual(expected)
  })
})
