import { existsSync } from 'node:fs'
import path from 'node:path'
import { expect, it } from 'vitest'
import { RocksDB } from '../../lib/native'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

// RocksDB creates only the last directory of a path: the guide's RocksDB.open('/var/lib/app/state')
// was an IOError ("While mkdir if missing") on a machine without /var/lib/app. createIfMissing
// (the default) now means the whole path, as classic-level's does.
it('regression: RocksDB.open with createIfMissing creates the missing parent directories', async () => {
  const dir = path.join(path.dirname(tempDir()), 'var', 'lib', 'app', 'state')
  const db = await RocksDB.open(dir)
  db.columnFamily().put('k', 'v')
  await db.close()
  expect(existsSync(path.join(dir, 'CURRENT'))).toBe(true)
})

it('creates nothing without createIfMissing or when only reading', async () => {
  const parent = path.join(path.dirname(tempDir()), 'missing')
  await expect(RocksDB.open(path.join(parent, 'db'), { createIfMissing: false })).rejects.toThrow(/does not exist|No such file/)
  await expect(RocksDB.open(path.join(parent, 'db'), { readOnly: true })).rejects.toThrow(/No such file|does not exist/)
  expect(existsSync(parent)).toBe(false)
})

// The guide's db.checkpoint('/backups/chk-17') was an IOError ("While mkdir") without /backups.
it('regression: db.checkpoint creates the missing parent directories of its target, and still refuses an existing target', async () => {
  const base = path.dirname(tempDir())
  const db = await RocksDB.open(path.join(base, 'db'))
  db.columnFamily().put('k', 'v')
  const target = path.join(base, 'backups', 'daily', 'chk-17')
  await db.checkpoint(target)
  await expect(db.checkpoint(target)).rejects.toThrow(/exists/)
  await db.close()
  const copy = await RocksDB.open(target, { readOnly: true })
  expect(copy.columnFamily().get('k')?.toString()).toBe('v')
  await copy.close()
})
