import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
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

// The fix above stopped new OPTIONS-*.dbtmp files, but RocksDB 7.8 removes none of those an
// earlier build left, at open or later: an instance directory kept its pile after the upgrade.
it('regression: OPTIONS-*.dbtmp files an earlier build left stayed after the upgrade', async () => {
  const dir = tempDir()
  const families = [{ name: 'values', ttlSeconds: 60 }]
  let db = await RocksDB.open(dir, { columnFamilies: families })
  db.columnFamily('values').put('k', 'v')
  await db.close()
  // What the earlier build left: no OPTIONS file, one unchecked OPTIONS-*.dbtmp per open.
  const options = readdirSync(dir).filter((f) => f.startsWith('OPTIONS-'))
  const content = readFileSync(path.join(dir, options[0]!))
  for (const name of options) rmSync(path.join(dir, name))
  for (const n of ['000007', '000012', '000013']) writeFileSync(path.join(dir, `OPTIONS-${n}.dbtmp`), content)
  writeFileSync(path.join(dir, 'OPTIONS-notes.dbtmp'), 'not RocksDB')
  db = await RocksDB.open(dir, { readOnly: true })
  await db.close()
  expect(readdirSync(dir).filter((f) => f.endsWith('.dbtmp')).length).toBe(4)
  db = await RocksDB.open(dir, { columnFamilies: families })
  expect(db.columnFamily('values').get('k')?.toString()).toBe('v')
  await db.close()
  expect(readdirSync(dir).filter((f) => f.endsWith('.dbtmp'))).toEqual(['OPTIONS-notes.dbtmp'])
})
