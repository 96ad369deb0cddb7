import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CheckpointStorage, KeyGroupRange, KeyedStateBackend, LockedError, NotAnInstanceError, Serializers as S } from '../../lib'
import { INSTANCE_MARKER } from '../../lib/storage/instance-directory'
import { MAX_PARALLELISM, useSnapshotFixture } from '../snapshot/snapshot-fixture'

const fixture = useSnapshotFixture()

function options(instance: string) {
  return { path: instance, keySerializer: S.string, maxParallelism: MAX_PARALLELISM, keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1) }
}

async function aHandle(): Promise<unknown> {
  const source = await fixture.backend()
  source.setCurrentKey('k')
  source.valueState('v', S.int32).update(1)
  return source.snapshot(1, fixture.storage())
}

/**
 * A storage whose download (the restore's first disk write after the claim) waits until the test
 * has done its part, then fails like a lost network: `reached` resolves once the open has claimed
 * its directory and opened RocksDB in it, so the race is played out without timing.
 */
function failingOnceReleased() {
  let reached!: () => void
  let release!: () => void
  const downloadStarted = new Promise<void>((resolve) => (reached = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  const storage = {
    uploadFile: () => Promise.reject(new Error('not used')),
    downloadFile: async () => {
      reached()
      await released
      throw new Error('network down')
    },
  } as unknown as CheckpointStorage
  return { storage, downloadStarted, release }
}

describe('regression: a failed open removes only what it created', () => {
  it('regression: a failed open removed the parent it created (rm -r), with another worker\'s instance and user files in it', async () => {
    const parent = path.join(fixture.tempDir('jobs'), 'state')
    const gate = failingOnceReleased()
    const failing = KeyedStateBackend.open({ ...options(path.join(parent, 'worker-1')), restoreFrom: [await aHandle()], storage: gate.storage })
    await gate.downloadStarted
    const neighbour = await fixture.backend({ path: path.join(parent, 'worker-2') })
    neighbour.setCurrentKey('k')
    neighbour.valueState('v', S.string).update('precious')
    mkdirSync(path.join(parent, 'logs'))
    writeFileSync(path.join(parent, 'logs', 'app.log'), 'user data\n')
    gate.release()
    await expect(failing).rejects.toThrow(/network down/)
    expect(readdirSync(parent).sort()).toEqual(['logs', 'worker-2'])
    expect(readFileSync(path.join(parent, 'logs', 'app.log'), 'utf8')).toBe('user data\n')
    expect(readdirSync(path.join(parent, 'worker-2'))).toContain(INSTANCE_MARKER)
    expect(neighbour.valueState('v', S.string).value()).toBe('precious')
  })

  it('regression: a failed open into an empty directory removed files others wrote there during the restore', async () => {
    const dir = fixture.tempDir('empty')
    mkdirSync(dir)
    const gate = failingOnceReleased()
    const failing = KeyedStateBackend.open({ ...options(dir), restoreFrom: [await aHandle()], storage: gate.storage })
    await gate.downloadStarted
    writeFileSync(path.join(dir, 'written-by-someone-else.txt'), 'not yours')
    mkdirSync(path.join(dir, 'their-directory'))
    gate.release()
    await expect(failing).rejects.toThrow(/network down/)
    expect(readdirSync(dir).sort()).toEqual(['their-directory', 'written-by-someone-else.txt'])
    expect(readFileSync(path.join(dir, 'written-by-someone-else.txt'), 'utf8')).toBe('not yours')
  })

  it('a failed open still removes the directory and the empty parents it created', async () => {
    const root = fixture.tempDir('root')
    mkdirSync(root)
    const gate = failingOnceReleased()
    const failing = KeyedStateBackend.open({ ...options(path.join(root, 'a', 'b', 'instance')), restoreFrom: [await aHandle()], storage: gate.storage })
    await gate.downloadStarted
    gate.release()
    await expect(failing).rejects.toThrow(/network down/)
    expect(readdirSync(root)).toEqual([])
  })
})

describe('regression: concurrent opens of one new directory', () => {
  it('regression: the losers got NotAnInstanceError naming the winner\'s .tmp- marker; now LockedError, and nothing is deleted', async () => {
    for (let round = 0; round < 5; round++) {
      const dir = fixture.tempDir(`concurrent-${round}`)
      const results = await Promise.allSettled([0, 1, 2].map(() => KeyedStateBackend.open(options(dir))))
      const opened = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
      const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
      expect(opened).toHaveLength(1)
      for (const error of errors) expect(error).toBeInstanceOf(LockedError)
      const winner = opened[0]!
      winner.setCurrentKey('k')
      winner.valueState('v', S.int32).update(round)
      await winner.db.flush()
      expect(readdirSync(dir)).toEqual(expect.arrayContaining([INSTANCE_MARKER, 'CURRENT']))
      await winner.close()
      const again = await KeyedStateBackend.open(options(dir))
      again.setCurrentKey('k')
      // A fresh open drops the earlier states: the instance is still there and usable.
      expect(again.valueState('v', S.int32).value()).toBeUndefined()
      await again.close()
    }
  })

  it('a symbolic link to nothing is a NotAnInstanceError (was a raw ENOENT), the link left as it was', async () => {
    const link = fixture.tempDir('dangling')
    symlinkSync(path.join(path.dirname(link), 'nowhere'), link)
    await expect(KeyedStateBackend.open(options(link))).rejects.toBeInstanceOf(NotAnInstanceError)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(existsSync(path.join(path.dirname(link), 'nowhere'))).toBe(false)
  })

  it('a directory another open is claiming (its claim file present) is LockedError, untouched', async () => {
    const dir = fixture.tempDir('claimed')
    mkdirSync(dir)
    writeFileSync(path.join(dir, `${INSTANCE_MARKER}.claim`), '')
    const error = await KeyedStateBackend.open(options(dir)).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(LockedError)
    expect((error as Error).message).toMatch(/another open is claiming/)
    expect(readdirSync(dir)).toEqual([`${INSTANCE_MARKER}.claim`])
    expect(existsSync(path.join(dir, INSTANCE_MARKER))).toBe(false)
  })
})
