import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

describe('checkpoints and files', () => {
  it('a checkpoint directory opens as a database with the same contents', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'a', ttlSeconds: 3600 }, { name: 'b' }] })
    for (let i = 0; i < 500; i++) db.columnFamily('a').put(`a${i}`, `${i}`)
    await db.flush()
    for (let i = 0; i < 500; i++) db.columnFamily('b').put(`b${i}`, `${i}`) // still in the memtable
    const checkpointDir = path.join(path.dirname(dir), 'checkpoint')
    const { sequenceNumber } = await db.checkpoint(checkpointDir)
    expect(sequenceNumber).toBeGreaterThanOrEqual(1000)
    db.columnFamily('a').put('after', 'x')

    // SST files are hard links of the live ones.
    const sst = readdirSync(checkpointDir).filter((f) => f.endsWith('.sst'))
    expect(sst.length).toBeGreaterThan(0)
    expect(statSync(path.join(checkpointDir, sst[0])).nlink).toBeGreaterThanOrEqual(2)

    const copy = await RocksDB.open(checkpointDir, { columnFamilies: [{ name: 'a', ttlSeconds: 3600 }, { name: 'b' }] })
    const all = (name: string) => [...copy.columnFamily(name).iterator()].length
    expect(all('a')).toBe(500)
    expect(all('b')).toBe(500)
    expect(copy.columnFamily('a').get('after')).toBeUndefined()
    await Promise.all([copy.close(), db.close()])
  })

  it('refuses to checkpoint into an existing directory', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    await expect(db.checkpoint(dir)).rejects.toMatchObject({ code: 'InvalidArgument' })
    await db.close()
  })

  it('lists live SST files with their column family, level and key range', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 'a' }] })
    const cf = db.columnFamily('a')
    cf.put('k1', 'v')
    cf.put('k9', 'v')
    expect(db.liveFiles()).toEqual([])
    await db.flush(cf)
    const [file] = db.liveFiles()
    expect(file).toMatchObject({ columnFamily: 'a', level: 0, entries: 2, deletions: 0 })
    expect(file.name).toMatch(/^\d+\.sst$/)
    expect(file.smallestKey.toString()).toBe('k1')
    expect(file.largestKey.toString()).toBe('k9')
    expect(statSync(path.join(file.directory, file.name)).size).toBe(file.size)
    await db.compactRange(cf)
    expect(db.liveFiles()[0].level).toBeGreaterThan(0)
    await db.close()
  })

  it('reports properties and approximate sizes', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    for (let i = 0; i < 1000; i++) cf.put(`k${String(i).padStart(4, '0')}`, Buffer.alloc(100, 1))
    await db.flush()
    expect(Number(db.getProperty('rocksdb.estimate-num-keys', cf))).toBeGreaterThan(500)
    expect(db.getProperty('rocksdb.no-such-property')).toBeUndefined()
    expect(db.approximateSize(cf, 'k', 'l')).toBeGreaterThan(0)
    expect(db.approximateSize(cf, 'x', 'y')).toBe(0)
    await db.close()
  })

  it('writes SST files and ingests them, keeping raw TTL timestamps', async () => {
    const clock = new ManualClock(1_000_000)
    const db = await RocksDB.open(tempDir(), { clock, columnFamilies: [{ name: 't', ttlSeconds: 100 }] })
    const cf = db.columnFamily('t')
    const file = path.join(path.dirname(db.path), 'in.sst')
    const writer = db.sstWriter(cf, file)
    writer.put('a', 'stamped now')
    const raw = Buffer.alloc(4 + 3)
    raw.write('old')
    raw.writeInt32LE(1_000_000 - 90, 3)
    writer.putRaw('b', raw)
    expect(() => writer.put('a', 'out of order')).toThrow(/InvalidArgument|order|increasing/i)
    const info = await writer.finish()
    expect(info).toMatchObject({ path: file, entries: 2 })
    expect(info.smallestKey.toString()).toBe('a')
    expect(info.largestKey.toString()).toBe('b')
    await db.ingest(cf, [file], { moveFiles: true })
    expect(existsSync(file)).toBe(false)
    expect(cf.get('a')?.toString()).toBe('stamped now')
    expect(cf.get('b', { raw: true })).toEqual(raw)
    clock.advance(11)
    expect(cf.getFresh('b')).toBeUndefined()
    expect(cf.getFresh('a')?.toString()).toBe('stamped now')
    await db.close()
  })

  it('an empty SST file is refused and the writer can be abandoned', async () => {
    const db = await RocksDB.open(tempDir())
    const writer = db.sstWriter(db.columnFamily(), path.join(path.dirname(db.path), 'empty.sst'))
    await expect(writer.finish()).rejects.toMatchObject({ code: 'InvalidArgument' })
    const abandoned = db.sstWriter(db.columnFamily(), path.join(path.dirname(db.path), 'abandoned.sst'))
    abandoned.put('a', 'b')
    abandoned.close()
    expect(() => abandoned.put('c', 'd')).toThrow(/closed/)
    await db.close()
  })

  it('deleteFilesInRange drops whole files below L0 after a range delete', async () => {
    const db = await RocksDB.open(tempDir())
    const cf = db.columnFamily()
    for (let i = 0; i < 1000; i++) cf.put(`a${String(i).padStart(4, '0')}`, Buffer.alloc(100))
    await db.flush()
    await db.compactRange(cf) // moves the file out of L0
    for (let i = 0; i < 10; i++) cf.put(`z${i}`, 'keep')
    await db.flush()
    expect(db.liveFiles()).toHaveLength(2)
    await db.deleteFilesInRange(cf, 'a', 'b')
    expect(db.liveFiles()).toHaveLength(1)
    expect(cf.get('a0001')).toBeUndefined()
    expect(cf.get('z1')?.toString()).toBe('keep')
    await db.close()
  })
})
