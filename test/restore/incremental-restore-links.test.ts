import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Serializers as S } from '../../lib'
import { incremental, useIncrementalFixture } from '../snapshot/incremental-fixture'

const fixture = useIncrementalFixture()

/** The file of the instance directory whose name is `name`, wherever RocksDB's files sit in it. */
function instanceFile(instance: string, name: string): string {
  const found = readdirSync(instance, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === name)
  expect(found).toHaveLength(1)
  return path.join(instance, found[0])
}

describe('same-range incremental restore from a local storage', () => {
  it("hard-links the shared SST files instead of copying them", async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    const value = backend.valueState('value', S.string)
    for (let i = 0; i < 2000; i++) {
      backend.setCurrentKey(`k${i}`)
      value.update(`v${i}`.repeat(20))
    }
    const handle = incremental(await backend.snapshot(1))
    await storage.completeCheckpoint('job', 1, [handle])
    await backend.notifyCheckpointComplete(1)
    await backend.close()

    const instance = fixture.tempDir('restored')
    const restored = await fixture.backend({ path: instance, restoreFrom: [handle] })
    const shared = Object.entries(handle.sharedFiles)
    expect(shared.length).toBeGreaterThan(0)
    for (const [name, ref] of shared) {
      const stored = statSync(path.join(storage.root, ref.key))
      const installed = statSync(instanceFile(instance, name))
      expect(installed.ino).toBe(stored.ino)
    }
    restored.setCurrentKey('k7')
    expect(restored.valueState('value', S.string).value()).toBe('v7'.repeat(20))
  })
})
