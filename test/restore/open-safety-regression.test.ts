import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  KeyGroupRange,
  KeyedStateBackend,
  LockedError,
  NotAnInstanceError,
  RocksDB,
  RocksDBError,
  Serializers as S,
} from '../../lib'
import { filesUnder, sha256 } from '../storage/helpers'
import { MAX_PARALLELISM, useSnapshotFixture } from '../snapshot/snapshot-fixture'

const fixture = useSnapshotFixture()

function options(instance: string) {
  return { path: instance, keySerializer: S.string, maxParallelism: MAX_PARALLELISM, keyGroupRange: new KeyGroupRange(0, MAX_PARALLELISM - 1) }
}

/** A directory holding the user's own file, which no open may remove. */
function userDirectory(): string {
  const dir = fixture.tempDir('user-data')
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'precious.txt'), 'not yours')
  return dir
}

/**
 * Every file under `dir` with its SHA-256, except RocksDB's info log: any open attempt, even one
 * refused for the lock, rotates LOG to LOG.old.<time> (RocksDB's doing, no data involved).
 */
function contentsOf(dir: string): Record<string, string> {
  const files = filesUnder(dir).filter((name) => !/^LOG(\.old\.\d+)?$/.test(name))
  return Object.fromEntries(files.map((name) => [name, sha256(readFileSync(path.join(dir, name)))]))
}

/** A snapshot of `keys` keys (spread over many key groups when more than one). */
async function aHandle(keys = 1): Promise<unknown> {
  const source = await fixture.backend()
  const state = source.valueState('v', S.int32)
  for (let i = 0; i < keys; i++) {
    source.setCurrentKey(`k${i}`)
    state.update(i)
  }
  return source.snapshot(1, fixture.storage())
}

describe('regression: a failed open never deletes what it did not create', () => {
  it('regression: restoreFrom without storage used to rm -r the user directory; now refused before touching the disk', async () => {
    const dir = userDirectory()
    const handle = await aHandle()
    await expect(KeyedStateBackend.open({ ...options(dir), restoreFrom: [handle] })).rejects.toThrow(/storage/)
    expect(filesUnder(dir)).toEqual(['precious.txt'])
    expect(readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('not yours')
  })

  it('regression: a directory of foreign files used to be taken as an instance; now NotAnInstanceError, untouched', async () => {
    const dir = userDirectory()
    await expect(KeyedStateBackend.open(options(dir))).rejects.toBeInstanceOf(NotAnInstanceError)
    expect(filesUnder(dir)).toEqual(['precious.txt'])
  })

  it('a RocksDB database this library did not create is refused, its data intact', async () => {
    const dir = fixture.tempDir('plain-rocksdb')
    const db = await RocksDB.open(dir)
    db.columnFamily().put('key', 'value')
    await db.close()
    const before = filesUnder(dir)
    await expect(KeyedStateBackend.open(options(dir))).rejects.toThrow(/not an instance directory/)
    expect(filesUnder(dir)).toEqual(before)
    const reopened = await RocksDB.open(dir)
    expect(reopened.columnFamily().get('key')?.toString()).toBe('value')
    await reopened.close()
  })

  it('a regular file at path is refused, untouched', async () => {
    const file = fixture.tempDir('a-file')
    writeFileSync(file, 'data')
    await expect(KeyedStateBackend.open(options(file))).rejects.toBeInstanceOf(NotAnInstanceError)
    expect(readFileSync(file, 'utf8')).toBe('data')
  })

  it('regression: the sibling "<path>.work" used to be removed by every open; it is the user\'s', async () => {
    const instance = fixture.tempDir('instance')
    mkdirSync(`${instance}.work`)
    writeFileSync(`${instance}.work/mine.txt`, 'mine')
    const backend = await KeyedStateBackend.open(options(instance))
    await backend.snapshot(1, fixture.storage())
    await backend.close()
    await expect(KeyedStateBackend.open({ ...options(instance), restoreFrom: [{ kind: 'bad' }], storage: fixture.storage() })).rejects.toThrow()
    expect(readFileSync(`${instance}.work/mine.txt`, 'utf8')).toBe('mine')
    expect(backend.workDirectory.startsWith(instance + path.sep)).toBe(true)
  })

  it('refuses unknown options and a non-boolean incremental, naming them, before creating anything', async () => {
    const instance = fixture.tempDir('instance')
    await expect(KeyedStateBackend.open({ ...options(instance), restorFrom: [] } as never)).rejects.toThrow(/unknown option 'restorFrom'/)
    const incremental = KeyedStateBackend.open({ ...options(instance), incremental: 'yes' } as never)
    await expect(incremental).rejects.toBeInstanceOf(TypeError)
    await expect(incremental).rejects.toThrow(/'incremental'/)
    await expect(KeyedStateBackend.open({ ...options(instance), clock: Date } as never)).rejects.toThrow(/clock/)
    await expect(KeyedStateBackend.open({ ...options(instance), storage: {} } as never)).rejects.toThrow(/storage/)
    expect(existsSync(instance)).toBe(false)
  })

  it('a failed restore removes the directory it created, and the parents it created', async () => {
    const parent = fixture.tempDir('new-parent')
    const instance = path.join(parent, 'deeper', 'instance')
    const corrupt = { ...((await aHandle()) as object), checksum: '0'.repeat(64) }
    await expect(KeyedStateBackend.open({ ...options(instance), restoreFrom: [corrupt], storage: fixture.storage() })).rejects.toThrow(/checksum/)
    expect(existsSync(parent)).toBe(false)
    // A restore that fails after the directory exists (a file the handle names is gone).
    const handle = (await aHandle()) as { stream: { key: string } }
    const storage = fixture.storage()
    await storage.deleteFile(handle.stream.key)
    await expect(KeyedStateBackend.open({ ...options(instance), restoreFrom: [handle], storage })).rejects.toThrow(/missing/)
    expect(existsSync(parent)).toBe(false)
  })

  it('an empty directory is taken, and left empty when the restore fails', async () => {
    const dir = fixture.tempDir('empty')
    mkdirSync(dir)
    const handle = (await aHandle()) as { stream: { key: string } }
    await fixture.storage().deleteFile(handle.stream.key)
    await expect(KeyedStateBackend.open({ ...options(dir), restoreFrom: [handle], storage: fixture.storage() })).rejects.toThrow(/missing/)
    expect(readdirSync(dir)).toEqual([])
    const backend = await KeyedStateBackend.open(options(dir))
    expect(readdirSync(dir)).toContain('KEYED_STATE_INSTANCE')
    await backend.close()
  })

  it('an existing instance is reused: a restore refused before writing keeps its states, one failing while writing leaves it empty', async () => {
    const instance = fixture.tempDir('instance')
    const writeEarlierState = async () => {
      const earlier = await KeyedStateBackend.open(options(instance))
      earlier.setCurrentKey('k')
      earlier.valueState('old', S.int32).update(1)
      await earlier.close()
    }
    await writeEarlierState()
    const missing = (await aHandle()) as { stream: { key: string } }
    await fixture.storage().deleteFile(missing.stream.key)
    await expect(KeyedStateBackend.open({ ...options(instance), restoreFrom: [missing], storage: fixture.storage() })).rejects.toThrow(/missing/)
    expect(readdirSync(instance)).toContain('KEYED_STATE_INSTANCE')
    expect(await RocksDB.listColumnFamilies(instance)).toEqual(['default', 'old'])
    // Fails while writing: the earlier states were already replaced, and what was written is dropped.
    const controller = new AbortController()
    const failing = KeyedStateBackend.open({
      ...options(instance),
      restoreFrom: [await aHandle(100)],
      storage: fixture.storage(),
      signal: controller.signal,
      onRestoreProgress: () => controller.abort(),
    })
    await expect(failing).rejects.toMatchObject({ name: 'AbortError' })
    expect(readdirSync(instance)).toContain('KEYED_STATE_INSTANCE')
    expect(await RocksDB.listColumnFamilies(instance)).toEqual(['default'])
    const again = await KeyedStateBackend.open(options(instance))
    expect(again.registeredStates()).toEqual([])
    await again.close()
  })

  it('a directory locked by another backend: LockedError, the directory and the running backend untouched', async () => {
    const instance = fixture.tempDir('instance')
    const owner = await KeyedStateBackend.open(options(instance))
    owner.setCurrentKey('k')
    const state = owner.valueState('v', S.int32)
    state.update(7)
    await owner.db.flush()
    const handle = await owner.snapshot(3, fixture.storage())
    const before = contentsOf(instance)
    await expect(KeyedStateBackend.open(options(instance))).rejects.toBeInstanceOf(LockedError)
    await expect(KeyedStateBackend.open({ ...options(instance), restoreFrom: [handle], storage: fixture.storage() })).rejects.toBeInstanceOf(LockedError)
    expect(contentsOf(instance)).toEqual(before)
    expect(state.value()).toBe(7)
    await owner.close()
  })

  it('a corrupt RocksDB directory: a typed RocksDBError and nothing deleted', async () => {
    const instance = fixture.tempDir('instance')
    const backend = await KeyedStateBackend.open(options(instance))
    await backend.close()
    const manifest = readdirSync(instance).find((name) => name.startsWith('MANIFEST-'))!
    writeFileSync(path.join(instance, manifest), Buffer.alloc(200, 0x5a))
    const before = contentsOf(instance)
    const error = await KeyedStateBackend.open(options(instance)).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RocksDBError)
    expect((error as RocksDBError).code).toBe('Corruption')
    expect(contentsOf(instance)).toEqual(before)
  })
})
