import { readdirSync } from 'node:fs'
import { expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

// On RocksDB 7.8, reading back a new OPTIONS file failed to create DBWithTTL's wrapped merge
// operator ("Missing configurable object: user_operator"): every open and every column family
// created left an OPTIONS-*.dbtmp file behind (5 opens, 11 files) and the database had no OPTIONS
// file, so incremental checkpoints carried none.
it('regression: opens and created column families left OPTIONS-*.dbtmp files piling up', async () => {
  const dir = tempDir()
  for (let i = 0; i < 3; i++) {
    const db = await RocksDB.open(dir, {
      columnFamilies: [
        { name: 'values', ttlSeconds: 60 },
        { name: 'lists', ttlSeconds: 60, timestampedList: true },
      ],
    })
    await db.createColumnFamily(`created-${i}`, { ttlSeconds: 10 })
    await db.createColumnFamily(`list-${i}`, { timestampedList: true })
    await db.close()
  }
  const files = readdirSync(dir)
  expect(files.filter((f) => f.endsWith('.dbtmp'))).toEqual([])
  expect(files.filter((f) => /^OPTIONS-\d+$/.test(f)).length).toBeGreaterThan(0)
})
