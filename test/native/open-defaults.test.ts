import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const MiB = 1 << 20

afterEach(() => {
  RocksDB.memoryBudget(null)
})

/** write_buffer_size of every column family, from the OPTIONS file RocksDB writes at open and at each family's creation. */
function writeBufferSizes(dir: string): Record<string, number> {
  const newest = fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('OPTIONS-'))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .at(-1)!
  const sizes: Record<string, number> = {}
  let family = ''
  for (const line of fs.readFileSync(path.join(dir, newest), 'utf8').split('\n')) {
    const section = /^\[CFOptions "(.*)"\]$/.exec(line)
    if (section) family = section[1]!
    const size = /^\s*write_buffer_size=(\d+)$/.exec(line)
    if (size && family) sizes[family] = Number(size[1])
  }
  return sizes
}

describe('open defaults', () => {
  it('gives every column family an 8 MiB memtable without a memory budget (RocksDB 64 MiB ones wrote batches half as fast)', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'listed' }] })
    db.createColumnFamilySync('created')
    expect(writeBufferSizes(dir)).toEqual({ default: 8 * MiB, listed: 8 * MiB, created: 8 * MiB })
    await db.close()
  })

  it('gives a database without a memory budget a block cache of 128 MiB (random gets of 1M keys missed a 64 MiB one)', async () => {
    const db = await RocksDB.open(tempDir())
    expect(Number(db.getProperty('rocksdb.block-cache-capacity'))).toBe(128 * MiB)
    await db.close()
  })

  it('gives a family a quarter of the memory budget for memtables, at most the same 8 MiB', async () => {
    RocksDB.memoryBudget({ bytes: 16 * MiB, writeBufferRatio: 0.5 })
    const small = tempDir()
    const db = await RocksDB.open(small)
    expect(writeBufferSizes(small)).toEqual({ default: 2 * MiB })
    await db.close()

    RocksDB.memoryBudget({ bytes: 256 * MiB, writeBufferRatio: 0.5 })
    const large = tempDir()
    const other = await RocksDB.open(large)
    expect(writeBufferSizes(large)).toEqual({ default: 8 * MiB })
    await other.close()
  })
})
