// Issue 8, "Data loss": writing a batch that still held a put for a column family dropped
// since failed inside RocksDB's write, which then refused every later write and lost the
// unflushed ones (WAL off). The batch's families are now checked before RocksDB sees it.
import { describe, expect, it } from 'vitest'
import { ColumnFamilyNotFoundError, RocksDB } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()

describe('a batch holding writes for a dropped column family', () => {
  it('regression: writing it poisoned the database; now a typed error before the write, and nothing is lost', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { wal: false, columnFamilies: [{ name: 'kept' }, { name: 'dropped' }] })
    const kept = db.columnFamily('kept')
    const dropped = db.columnFamily('dropped')
    for (let i = 0; i < 1000; i++) kept.put(`key-${i}`, 'v')
    const batch = db.batch().put(kept, 'from-batch', 'x').put(dropped, 'y', 'z')
    await db.dropColumnFamily(dropped)
    expect(() => db.write(batch)).toThrow(ColumnFamilyNotFoundError)
    expect(() => db.write(batch)).toThrow(/dropped since/)
    kept.put('after', 'ok')
    batch.clear().put(kept, 'reused', 'ok') // a cleared batch forgets the dropped family
    db.write(batch)
    await db.close()

    const reopened = await RocksDB.open(dir, { columnFamilies: [{ name: 'kept' }] })
    const cf = reopened.columnFamily('kept')
    expect([...cf.iterator()]).toHaveLength(1002)
    expect(cf.get('from-batch')).toBeUndefined() // the refused batch wrote nothing
    await reopened.close()
  })
})
