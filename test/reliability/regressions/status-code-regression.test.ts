// Issue 8, "Smaller": errors with the wrong code.
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { LockedError, RocksDB, RocksDBError } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()

describe('status codes', () => {
  it('regression: any IOError whose text contains "lock" was a LockedError ("blockstore" + "Not a directory")', async () => {
    const parent = path.dirname(tempDir())
    mkdirSync(parent, { recursive: true })
    writeFileSync(path.join(parent, 'blockstore'), 'a file, not a directory')
    const opening = RocksDB.open(path.join(parent, 'blockstore', 'db'))
    await expect(opening).rejects.toThrow(/Not a directory/)
    await expect(opening).rejects.toMatchObject({ code: 'IOError' })
    await expect(opening).rejects.not.toBeInstanceOf(LockedError)
  })

  it("RocksDB's real lock failure is still a LockedError", async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    await expect(RocksDB.open(dir)).rejects.toBeInstanceOf(LockedError)
    await db.close()
  })

  it('regression: putRaw of a value shorter than its 4-byte timestamp was Corruption, not InvalidArgument', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    const short = Buffer.alloc(3)
    const invalid = { code: 'InvalidArgument' }
    expect(() => cf.putRaw('k', short)).toThrow(RocksDBError)
    expect(() => cf.putRaw('k', short)).toThrow(expect.objectContaining(invalid))
    expect(() => db.batch().putRaw(cf, 'k', short)).toThrow(expect.objectContaining(invalid))
    const writer = db.sstWriter(cf, `${tempDir('w')}.sst`)
    expect(() => writer.putRaw('k', short)).toThrow(expect.objectContaining(invalid))
    writer.close()
    await db.close()
  })
})
