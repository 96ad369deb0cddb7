// The instance lock (KEYED_STATE_LOCK in the instance directory): held by a backend from the
// start of open() to the end of close(), released by every failed open.
import { existsSync, symlinkSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, KeyedStateBackend, LockedError, ManualClock, Serializers as S, type IncrementalKeyedStateHandle } from '../../lib'
import { flipBit } from '../storage/helpers'
import { T0, useRescaleFixture } from './rescale-fixture'

const fixture = useRescaleFixture()

function plainOpen(dir: string): Promise<KeyedStateBackend<string>> {
  return KeyedStateBackend.open({ path: dir, keySerializer: S.string, maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 127) })
}

/** The handles of one worker's checkpoint, the first of its shared files flipped (found corrupt while verifying, after the lock is taken). */
async function corruptHandles(clock: ManualClock): Promise<IncrementalKeyedStateHandle[]> {
  const handles = (await fixture.workersCheckpoint(1, clock)) as IncrementalKeyedStateHandle[]
  flipBit(path.join(fixture.storageRoot(), Object.values(handles[0]!.sharedFiles)[0]!.key), 10)
  return handles
}

describe('the instance lock', () => {
  it('refuses a second open with LockedError until close() releases it, whatever the spelling of the path (relative, through a symbolic link)', async () => {
    const dir = fixture.tempDir('instance')
    const first = await plainOpen(dir)
    const link = fixture.tempDir('link')
    symlinkSync(dir, link)
    for (const other of [dir, path.relative(process.cwd(), dir), link]) await expect(plainOpen(other), other).rejects.toBeInstanceOf(LockedError)
    await first.close()
    await (await plainOpen(link)).close()
  })

  it('is released by an open that fails: a new directory is removed whole, an existing instance opens again', async () => {
    const clock = new ManualClock(T0)
    const handles = await corruptHandles(clock)
    const created = path.join(fixture.tempDir('parent'), 'instance')
    await expect(fixture.backend({ maxParallelism: 128, restoreFrom: handles, clock, path: created })).rejects.toThrow(/SHA-256/)
    expect(existsSync(created)).toBe(false)
    const existing = fixture.tempDir('instance')
    await (await plainOpen(existing)).close()
    await expect(fixture.backend({ maxParallelism: 128, restoreFrom: handles, clock, path: existing })).rejects.toThrow(/SHA-256/)
    await (await plainOpen(existing)).close()
  })

  it('is refused to an open whose options are invalid, which touches nothing', async () => {
    const dir = fixture.tempDir('instance')
    const first = await plainOpen(dir)
    const before = (await readdir(dir)).sort()
    await expect(KeyedStateBackend.open({ path: dir, keySerializer: S.string, maxParallelism: 0, keyGroupRange: new KeyGroupRange(0, 127) })).rejects.toThrow()
    expect((await readdir(dir)).sort()).toEqual(before)
    await first.close()
  })
})
