import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { KeyGroupRange, KeyedStateBackend, RocksDB, Serializers as S } from '../../lib'
import { writeBufferSizes } from '../helpers/rocksdb-options-file'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

/** Bytes in the directory's write-ahead logs (RocksDB's `N.log` files). */
function walBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .reduce((total, name) => total + fs.statSync(path.join(dir, name)).size, 0)
}

describe("the backend's durability is its checkpoint: its instances run with the WAL off", () => {
  const VALUE = 'x'.repeat(100)

  it('1,000 state updates leave the instance write-ahead log empty', async () => {
    const dir = tempDir()
    const backend = await KeyedStateBackend.open({
      path: dir,
      keySerializer: S.string,
      maxParallelism: 128,
      keyGroupRange: new KeyGroupRange(0, 127),
    })
    const state = backend.valueState('v', S.string)
    for (let i = 0; i < 1000; i++) {
      backend.setCurrentKey(`key-${i}`)
      state.update(VALUE)
    }
    expect(walBytes(dir)).toBe(0)
    await backend.close()
  })

  it('the same writes on a RocksDB opened with its defaults go to the WAL (the measure above can see one)', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    const cf = db.createColumnFamilySync('v')
    for (let i = 0; i < 1000; i++) cf.put(`key-${i}`, VALUE)
    expect(walBytes(dir)).toBeGreaterThan(1000 * VALUE.length)
    await db.close()
  })
})

describe("the backend's instances keep RocksDB's 64 MiB memtables", () => {
  it('regression: they got the addon\'s 8 MiB ones, and incremental checkpoints uploaded about twice as much (level 0 compacted every 1-2 checkpoints instead of every 4)', async () => {
    const dir = tempDir()
    const backend = await KeyedStateBackend.open({ path: dir, keySerializer: S.string, maxParallelism: 128, keyGroupRange: new KeyGroupRange(0, 127) })
    backend.valueState('v', S.string)
    for (const size of Object.values(writeBufferSizes(dir))) expect(size).toBe(64 * 2 ** 20)
    await backend.close()
  })
})
