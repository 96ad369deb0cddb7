import { describe, expect, it } from 'vitest'
import { Serializers as S } from '../../lib'
import { writeBufferSizes } from '../helpers/rocksdb-options-file'
import { incremental, useIncrementalFixture } from '../snapshot/incremental-fixture'

const fixture = useIncrementalFixture()

describe("a restore's installed database is opened as the backend's own", () => {
  it("regression: keeps RocksDB's 64 MiB memtables, not the addon's 8 MiB default (incremental checkpoints uploaded twice as much)", async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    const value = backend.valueState('value', S.string)
    for (let i = 0; i < 1000; i++) {
      backend.setCurrentKey(`k${i}`)
      value.update(`v${i}`)
    }
    const handle = incremental(await backend.snapshot(1))
    await storage.completeCheckpoint('job', 1, [handle])
    await backend.close()

    const instance = fixture.tempDir('restored')
    const restored = await fixture.backend({ path: instance, restoreFrom: [handle] })
    const sizes = writeBufferSizes(instance)
    expect(Object.keys(sizes)).toContain('value')
    for (const size of Object.values(sizes)) expect(size).toBe(64 * 2 ** 20)
    restored.setCurrentKey('k7')
    expect(restored.valueState('value', S.string).value()).toBe('v7')
    await restored.close()
  })
})
