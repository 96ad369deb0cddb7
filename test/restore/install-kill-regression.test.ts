import { rmSync, unlinkSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { FsCheckpointStorage, InterruptedRestoreError, KeyedStateBackend, Serializers as S } from '../../lib'
import { openIncrementalBackend } from './incremental-backend'
import { runScript } from '../helpers/run-script'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const worker = path.join(__dirname, 'install-kill-worker.ts')
const KEYS = 2000

const open = openIncrementalBackend

function write(backend: KeyedStateBackend<string>, round: number): void {
  const state = backend.valueState('v', S.int32)
  for (let i = 0; i < KEYS; i++) {
    backend.setCurrentKey(`k${i}`)
    state.update(round * 10_000 + i)
  }
}

function values(backend: KeyedStateBackend<string>): (number | undefined)[] {
  const state = backend.valueState('v', S.int32)
  return Array.from({ length: KEYS }, (_, i) => {
    backend.setCurrentKey(`k${i}`)
    return state.value()
  })
}

/** An instance that completed checkpoint 1, then wrote more, closed: a restore of 1 replaces its database. */
async function instanceAfterCheckpoint(storage: FsCheckpointStorage): Promise<string> {
  const instance = tempDir('instance')
  const backend = await open(instance, storage)
  write(backend, 1)
  const handle = await backend.snapshot(1)
  await storage.completeCheckpoint('job', 1, [handle])
  await backend.notifyCheckpointComplete(1)
  write(backend, 2)
  await backend.close()
  return instance
}

const expected = Array.from({ length: KEYS }, (_, i) => 10_000 + i)

describe('SIGKILL during the same-range install of an incremental restore', () => {
  it('regression: a kill after CURRENT was renamed in before its MANIFEST left an instance no open accepted', async () => {
    let killed = 0
    for (let n = 1; ; n++) {
      const storage = new FsCheckpointStorage(tempDir('checkpoints'))
      const instance = await instanceAfterCheckpoint(storage)
      const result = runScript(worker, [storage.root, instance, String(n)])
      if (result.signal === null) {
        expect(result.stdout, result.stderr).toContain('installed')
        break
      }
      expect(result.signal).toBe('SIGKILL')
      killed++
      // Without the checkpoint to restore: the instance opens (empty) or says how to recover, never a RocksDB error.
      await open(instance, storage).then(
        (backend) => backend.close(),
        (error) => expect(error, `killed after rename ${n}`).toBeInstanceOf(InterruptedRestoreError),
      )
      const restored = await open(instance, storage, (await storage.latestCheckpoint('job'))!.handles)
      expect(values(restored), `killed after rename ${n}`).toEqual(expected)
      await restored.close()
    }
    expect(killed).toBeGreaterThanOrEqual(3) // SST files, MANIFEST, CURRENT at least
  })

  it('an instance whose CURRENT names a missing MANIFEST is an InterruptedRestoreError without restoreFrom, and is restored with it', async () => {
    const storage = new FsCheckpointStorage(tempDir('checkpoints'))
    const instance = await instanceAfterCheckpoint(storage)
    unlinkSync(path.join(instance, readFileSync(path.join(instance, 'CURRENT'), 'utf8').trim()))
    rmSync(path.join(instance, 'keyed-state-checkpoints'), { recursive: true })
    const refused = await open(instance, storage).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(InterruptedRestoreError)
    expect((refused as Error).message).toMatch(/restoreFrom/)
    const restored = await open(instance, storage, (await storage.latestCheckpoint('job'))!.handles)
    expect(values(restored)).toEqual(expected)
    await restored.close()
  })
})
