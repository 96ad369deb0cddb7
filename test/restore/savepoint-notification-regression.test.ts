import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Serializers as S } from '../../lib'
import { incremental, rawDump, useIncrementalFixture } from '../snapshot/incremental-fixture'

const fixture = useIncrementalFixture()

describe('local recovery after a savepoint', () => {
  it('regression: notifyCheckpointComplete of a savepoint removed the local directory of the last completed checkpoint', async () => {
    const storage = fixture.storage()
    const instance = fixture.tempDir('instance')
    const backend = await fixture.backend({ path: instance })
    const value = backend.valueState('v', S.int32)
    for (let i = 0; i < 300; i++) {
      backend.setCurrentKey(`k${i}`)
      value.update(i)
    }
    const handle = incremental(await backend.snapshot(1))
    await storage.completeCheckpoint('job', 1, [handle])
    await backend.notifyCheckpointComplete(1)
    await backend.snapshot(2, { type: 'savepoint' })
    await backend.notifyCheckpointComplete(2) // Flink notifies savepoints too
    expect(existsSync(path.join(instance, 'keyed-state-checkpoints', 'chk-1'))).toBe(true)
    const dump = rawDump(backend)
    await backend.close()

    storage.reset()
    const recovered = await fixture.backend({ path: instance, restoreFrom: [handle] })
    expect(storage.reads).toBe(0)
    expect(rawDump(recovered)).toEqual(dump)
  })
})
