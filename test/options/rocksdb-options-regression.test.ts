// Issue 9: a misspelt or unsupported option of the RocksDB layer (open and its column family
// descriptors, createColumnFamily, memoryBudget, ingest, reads and iterators) is refused with a
// TypeError naming it, and the refused call changes nothing.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()
const opened: RocksDB[] = []
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close()
})

async function openDb(): Promise<RocksDB> {
  const db = await RocksDB.open(tempDir())
  opened.push(db)
  return db
}

describe('RocksDB.open options (issue 9)', () => {
  it('regression: a misspelt column family option (ttlSecond) is a TypeError and creates no directory', async () => {
    const dir = tempDir()
    await expect(RocksDB.open(dir, { columnFamilies: [{ name: 'a', ttlSecond: 5 } as never] })).rejects.toThrow(/unknown option 'columnFamilies\[0\]\.ttlSecond'/)
    expect(existsSync(dir)).toBe(false)
  })

  it('regression: a column family descriptor that is not an object is a TypeError', async () => {
    const dir = tempDir()
    await expect(RocksDB.open(dir, { columnFamilies: ['a' as never] })).rejects.toThrow(/option 'columnFamilies\[0\]' must be an object/)
    expect(existsSync(dir)).toBe(false)
  })

  it('an unknown top-level option is a TypeError naming it and creates no directory', async () => {
    const dir = tempDir()
    await expect(RocksDB.open(dir, { createIfMising: true } as never)).rejects.toThrow(/unknown option 'createIfMising'/)
    expect(existsSync(dir)).toBe(false)
  })
})

describe('column family, memory budget and ingest options (issue 9)', () => {
  it('regression: createColumnFamily and createColumnFamilySync with a misspelt option (ttlSecond) are a TypeError and create nothing', async () => {
    const db = await openDb()
    await expect(db.createColumnFamily('x', { ttlSecond: 5 } as never)).rejects.toThrow(/unknown option 'ttlSecond'/)
    expect(() => db.createColumnFamilySync('x', { ttlSecond: 5 } as never)).toThrow(/unknown option 'ttlSecond'/)
    expect(() => db.createColumnFamilySync('x', { name: 'y' } as never)).toThrow(/unknown option 'name'/)
    expect(db.hasColumnFamily('x')).toBe(false)
    await db.close()
    expect(await RocksDB.listColumnFamilies(db.path)).toEqual(['default'])
  })

  it('regression: memoryBudget with a misspelt option (writeBufferRation) is a TypeError and sets no budget', () => {
    expect(RocksDB.memoryBudget()).toBeNull()
    expect(() => RocksDB.memoryBudget({ bytes: 1 << 24, writeBufferRation: 0.2 } as never)).toThrow(/unknown option 'writeBufferRation'/)
    expect(RocksDB.memoryBudget()).toBeNull()
  })

  it('regression: ingest with a misspelt option (moveFile) is a TypeError and ingests nothing', async () => {
    const db = await openDb()
    const cf = db.columnFamily()
    const file = path.join(path.dirname(db.path), 'in.sst')
    const writer = db.sstWriter(cf, file)
    writer.put('a', '1')
    await writer.finish()
    await expect(db.ingest(cf, [file], { moveFile: true } as never)).rejects.toThrow(/unknown option 'moveFile'/)
    expect(existsSync(file)).toBe(true)
    expect(cf.get('a')).toBeUndefined()
  })
})

describe('read and iterator options (issue 9)', () => {
  it('regression: get and getMany with a misspelt option (skipExpird) are a TypeError', async () => {
    const cf = (await openDb()).columnFamily()
    cf.put('k', 'v')
    expect(() => cf.get('k', { skipExpird: true } as never)).toThrow(/unknown option 'skipExpird'/)
    expect(() => cf.getMany(['k'], { skipExpird: true } as never)).toThrow(/unknown option 'skipExpird'/)
  })

  it('regression: iterator with a misspelt option (revrse) is a TypeError', async () => {
    const cf = (await openDb()).columnFamily()
    expect(() => cf.iterator({ revrse: true } as never)).toThrow(/unknown option 'revrse'/)
  })

  it.each(['raw', 'skipExpired'])("regression: get's %s that is not a boolean is a TypeError (a truthy string counted as true)", async (name) => {
    const cf = (await openDb()).columnFamily()
    cf.put('k', 'v')
    expect(() => cf.get('k', { [name]: 'no' })).toThrow(new RegExp(`option '${name}' must be a boolean`))
    expect(() => cf.getMany(['k'], { [name]: 'no' })).toThrow(new RegExp(`option '${name}' must be a boolean`))
  })
})
