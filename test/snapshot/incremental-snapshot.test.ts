import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock, Serializers as S, type KeyedStateBackend } from '../../lib'
import { incremental, rawDump, useIncrementalFixture } from './incremental-fixture'

const fixture = useIncrementalFixture()

function write(backend: KeyedStateBackend<string>, from: number, to: number, value = 1): void {
  const state = backend.valueState('v', S.int32)
  for (let i = from; i < to; i++) {
    backend.setCurrentKey(`k${i}`)
    state.update(i * value)
  }
}

/** Checkpoint `id` of job 'job': snapshot, complete in storage, notify. */
async function checkpoint(backend: KeyedStateBackend<string>, id: number) {
  const handle = incremental(await backend.snapshot(id))
  await fixture.storage().completeCheckpoint('job', id, [handle])
  await backend.notifyCheckpointComplete(id)
  return handle
}

function sizeOf(files: Record<string, { size: number }>): number {
  return Object.values(files).reduce((sum, file) => sum + file.size, 0)
}

describe('incremental snapshots', () => {
  it('the second checkpoint uploads only the new SST files, and references the others', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 0, 2000)
    const first = await checkpoint(backend, 1)
    expect(Object.keys(first.sharedFiles).length).toBeGreaterThan(0)
    expect(storage.uploadedBytes).toBe(sizeOf(first.sharedFiles) + sizeOf(first.privateFiles) + first.metadata.size)

    storage.reset()
    write(backend, 2000, 2100)
    const second = await checkpoint(backend, 2)
    const firstKeys = new Set(Object.values(first.sharedFiles).map((ref) => ref.key))
    const reused = Object.entries(second.sharedFiles).filter(([, ref]) => firstKeys.has(ref.key))
    const fresh = Object.entries(second.sharedFiles).filter(([, ref]) => !firstKeys.has(ref.key))
    // Every file of the first checkpoint is still live (no compaction yet): referenced under its first key.
    expect(reused.map(([name]) => name).sort()).toEqual(Object.keys(first.sharedFiles).sort())
    expect(fresh.length).toBeGreaterThan(0)
    expect(fresh.every(([name]) => first.sharedFiles[name] === undefined)).toBe(true)
    const freshBytes = fresh.reduce((sum, [, ref]) => sum + ref.size, 0)
    expect(storage.uploadedBytes).toBe(freshBytes + sizeOf(second.privateFiles) + second.metadata.size)
    expect(freshBytes).toBeLessThan(sizeOf(first.sharedFiles))
  })

  it('nothing changed: the next checkpoint uploads no SST bytes', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 0, 500)
    const first = await checkpoint(backend, 1)
    storage.reset()
    const second = await checkpoint(backend, 2)
    expect(second.sharedFiles).toEqual(first.sharedFiles)
    expect(storage.uploadedKeys.filter((key) => key.startsWith('shared/'))).toEqual([])
  })

  it('a snapshot taken before the previous one completed references the files that one uploaded, under the same keys', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 0, 500)
    const first = incremental(await backend.snapshot(1))
    storage.reset()
    const second = incremental(await backend.snapshot(2))
    expect(second.sharedFiles).toEqual(first.sharedFiles)
    expect(storage.uploadedKeys.filter((key) => key.startsWith('shared/'))).toEqual([])
  })

  it('the synchronous part fixes the content: writes after snapshot() returns are not in it', async () => {
    const clock = new ManualClock(1000)
    const backend = await fixture.backend({ clock })
    write(backend, 0, 100)
    const before = rawDump(backend)
    const pending = backend.snapshot(1)
    write(backend, 0, 200, 7)
    const handle = incremental(await pending)
    await fixture.storage().completeCheckpoint('job', 1, [handle])
    const restored = await fixture.backend({ restoreFrom: [handle], clock })
    expect(rawDump(restored)).toEqual(before)
  })

  it('a cancelled snapshot deletes what it uploaded, never what it referenced', async () => {
    const storage = fixture.storage()
    const backend = await fixture.backend()
    write(backend, 0, 500)
    const first = await checkpoint(backend, 1)
    write(backend, 500, 600)
    storage.reset()
    const controller = new AbortController()
    // Cancelled once a file is uploaded.
    const onProgress = () => storage.uploadedKeys.length > 0 && controller.abort()
    const cancelled = backend.snapshot(2, { signal: controller.signal, onProgress })
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' })
    expect(storage.uploadedKeys.length).toBeGreaterThan(0)
    const kept = [...Object.values(first.sharedFiles), ...Object.values(first.privateFiles), first.metadata].map((ref) => ref.key)
    expect([...(await storage.list('shared/')), ...(await storage.list('chk-'))].sort()).toEqual(kept.sort())
  })

  it('savepoints and type full stay full, self-contained snapshots', async () => {
    const backend = await fixture.backend()
    write(backend, 0, 100)
    expect((await backend.snapshot(1, undefined, { type: 'savepoint' })).kind).toBe('full')
    expect((await backend.snapshot(2, { type: 'full' })).kind).toBe('full')
    expect((await backend.snapshot(3)).kind).toBe('incremental')
  })

  it('notifyCheckpointComplete drops older local checkpoint directories; notifyCheckpointAborted discards its uploads', async () => {
    const storage = fixture.storage()
    const instance = fixture.tempDir('instance')
    const backend = await fixture.backend({ path: instance })
    const local = path.join(instance, 'keyed-state-checkpoints')
    write(backend, 0, 300)
    await checkpoint(backend, 1)
    write(backend, 300, 400)
    await checkpoint(backend, 2)
    expect(readdirSync(local)).toEqual(['chk-2'])
    write(backend, 400, 500)
    const aborted = incremental(await backend.snapshot(3))
    await backend.notifyCheckpointAborted(3)
    expect(readdirSync(local)).toEqual(['chk-2'])
    const live = await checkpoint(backend, 4)
    for (const [name, ref] of Object.entries(aborted.sharedFiles)) {
      // Files only the aborted snapshot uploaded are gone; files it referenced stay.
      const referenced = Object.values(live.sharedFiles).some((other) => other.key === ref.key)
      expect(existsSync(path.join(storage.root, ref.key)), name).toBe(referenced)
    }
    for (const ref of [...Object.values(aborted.privateFiles), aborted.metadata]) expect(existsSync(path.join(storage.root, ref.key))).toBe(false)
  })
})
