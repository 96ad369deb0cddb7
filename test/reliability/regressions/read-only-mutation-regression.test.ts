// Issue 8 review: a database opened { readOnly: true } still changed the database on disk.
// RocksDB refuses writes in read-only mode but let dropColumnFamily, createColumnFamily and
// deleteFilesInRange through, so a read-only open beside the writing process could drop the
// writer's column family and lose its acknowledged writes. Every changing call is refused now.
import { describe, expect, it } from 'vitest'
import { RocksDB, RocksDBError } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()

async function seeded(dir: string): Promise<RocksDB> {
  const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'x' }] })
  for (let i = 0; i < 100; i++) {
    db.columnFamily().put(`k${i}`, 'v')
    db.columnFamily('x').put(`k${i}`, 'v')
  }
  await db.flush()
  return db
}

async function contents(dir: string): Promise<string[]> {
  const db = await RocksDB.open(dir, { readOnly: true })
  const families = db.columnFamilies().map((cf) => `${cf.name}:${[...cf.iterator()].length}`)
  await db.close()
  return families
}

const refused = { name: 'RocksDBError', code: 'NotSupported' }

async function outcome(run: () => unknown): Promise<unknown> {
  try {
    await run()
    return 'ok'
  } catch (error) {
    return { name: (error as Error).name, code: (error as RocksDBError).code }
  }
}

describe('a readOnly database', () => {
  it('regression: readOnly dropped and created column families and deleted SST files', async () => {
    const dir = tempDir()
    await (await seeded(dir)).close()
    const sst = `${tempDir('ingest')}.sst`
    const ro = await RocksDB.open(dir, { readOnly: true, columnFamilies: [{ name: 'x', ttlSeconds: 10 }] })
    const cf = ro.columnFamily()
    const writer = ro.sstWriter(cf, sst) // writes a file outside the database: allowed
    writer.put('zz', '1')
    await writer.finish()
    const outcomes = {
      dropColumnFamily: await outcome(() => ro.dropColumnFamily('x')),
      createColumnFamily: await outcome(() => ro.createColumnFamily('n')),
      createColumnFamilySync: await outcome(() => ro.createColumnFamilySync('m')),
      deleteFilesInRange: await outcome(() => ro.deleteFilesInRange(cf, '', '\xff\xff')),
      setTtl: await outcome(() => ro.columnFamily('x').setTtl(5)),
      ingest: await outcome(() => ro.ingest(cf, [sst])),
      checkpoint: await outcome(() => ro.checkpoint(tempDir('checkpoint'))),
      checkpointSync: await outcome(() => ro.checkpointSync(tempDir('checkpoint-sync'))),
      compactRange: await outcome(() => ro.compactRange(cf)),
      flush: await outcome(() => ro.flush()),
      put: await outcome(() => cf.put('a', 'b')),
      deleteRange: await outcome(() => cf.deleteRange('a', 'z')),
    }
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((name) => [name, refused])))
    expect(cf.get('k1')?.toString()).toBe('v') // reads still work
    await ro.close()
    expect(await contents(dir)).toEqual(['default:100', 'x:100'])
  })

  it("regression: a readOnly open beside the writer dropped the writer's column family", async () => {
    const dir = tempDir()
    const db = await seeded(dir)
    const ro = await RocksDB.open(dir, { readOnly: true })
    await expect(ro.dropColumnFamily('x')).rejects.toMatchObject(refused)
    await ro.close()
    for (let i = 0; i < 100; i++) db.columnFamily('x').put(`j${i}`, 'v')
    await db.flush()
    await db.compactRange(db.columnFamily('x'))
    await db.close()
    expect(await contents(dir)).toEqual(['default:100', 'x:200'])
  })
})
