import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Serializers as S, UnsupportedOptionError, type KeyedStateBackend } from '../../lib'
import { CountingStorage } from '../storage/counting-storage'
import { useSnapshotFixture } from './snapshot-fixture'

const fixture = useSnapshotFixture()

async function filled(options: { incremental: boolean }) {
  const instance = fixture.tempDir('instance')
  const storage = new CountingStorage(fixture.tempDir('checkpoints'))
  const backend = await fixture.backend({ path: instance, storage, incremental: options.incremental })
  const state = backend.valueState('v', S.int32)
  for (let i = 0; i < 200; i++) {
    backend.setCurrentKey(`k${i}`)
    state.update(i)
  }
  return { instance, storage, backend, nextId: 1 }
}

/** Files in `dir` and below; none for a missing directory. */
function filesUnder(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : []
}

/**
 * `snapshot(id, storage, options)` is refused with `expected`, and refused before anything
 * happened: nothing uploaded, no local checkpoint or stream file, and `id` still free.
 */
async function expectRefusedUpfront(
  target: { instance: string; storage: CountingStorage; backend: KeyedStateBackend<string>; nextId: number },
  options: unknown,
  expected: RegExp,
  errorClass: new (...args: never[]) => Error = TypeError,
): Promise<void> {
  const { instance, storage, backend } = target
  const id = target.nextId++
  const attempt = backend.snapshot(id, storage, options as never)
  await expect(attempt).rejects.toBeInstanceOf(errorClass)
  await expect(attempt).rejects.toThrow(expected)
  expect(storage.uploadedKeys).toEqual([])
  expect(filesUnder(path.join(instance, 'keyed-state-checkpoints'))).toEqual([])
  expect(filesUnder(backend.workDirectory)).toEqual([])
  // The id was not consumed: a snapshot with it and valid options is taken.
  const handle = await backend.snapshot(id, storage)
  expect(handle.checkpointId).toBe(id)
  await backend.notifyCheckpointAborted(id)
  storage.reset()
}

describe('snapshot options are checked before the snapshot starts (issue 9)', () => {
  it('regression: an unknown option was silently ignored; it is a TypeError naming it and the known ones', async () => {
    for (const incremental of [false, true]) {
      const target = await filled({ incremental })
      await expectRefusedUpfront(target, { compresion: 'deflate' }, /unknown option 'compresion' \(known: type, compression, signal, onProgress\)/)
      await expectRefusedUpfront(target, { type: 'savepoint', incremental: false }, /unknown option 'incremental'/)
    }
  })

  it('regression: on an incremental backend any type (a typo, or "incremental") silently gave a full snapshot', async () => {
    const target = await filled({ incremental: true })
    for (const type of ['incremental', 'savpoint', 'checkpoint', 1]) {
      await expectRefusedUpfront(target, { type }, /option 'type' must be 'full' or 'savepoint'/)
    }
    const onFull = await filled({ incremental: false })
    await expectRefusedUpfront(onFull, { type: 'incremental' }, /option 'type' must be 'full' or 'savepoint'/)
  })

  it('regression: compression was silently ignored on an incremental checkpoint; it is an UnsupportedOptionError', async () => {
    const target = await filled({ incremental: true })
    await expectRefusedUpfront(target, { compression: 'deflate' }, /incremental checkpoints upload RocksDB's SST files as they are/, UnsupportedOptionError)
    // A full snapshot or savepoint of the same backend honours it.
    for (const [id, type] of [[100, 'full'], [101, 'savepoint']] as const) {
      const handle = await target.backend.snapshot(id, target.storage, { type, compression: 'deflate' })
      expect(handle.kind).toBe('full')
      if (handle.kind === 'full') expect(handle.stream.size).toBeGreaterThan(0)
    }
    // Absent (undefined) is no compression asked for.
    expect((await target.backend.snapshot(102, target.storage, { compression: undefined })).kind).toBe('incremental')
  })

  it('regression: options of the wrong type were used as they came (an unknown codec failed only after the snapshot started)', async () => {
    const target = await filled({ incremental: false })
    await expectRefusedUpfront(target, { compression: 'gzip' }, /option 'compression' must be one of 'none', /)
    await expectRefusedUpfront(target, { signal: 'stop' }, /option 'signal' must be an AbortSignal/)
    await expectRefusedUpfront(target, { onProgress: 1 }, /option 'onProgress' must be a function/)
    await expectRefusedUpfront(target, 'savepoint', /options must be an object/)
    // Options in place of the storage, then options again: the second object was ignored.
    const { storage, backend } = target
    const twice = backend.snapshot(100, { type: 'full' } as never, { compression: 'deflate' })
    await expect(twice).rejects.toThrow(/snapshot takes one options object/)
    expect(storage.uploadedKeys).toEqual([])
  })
})
