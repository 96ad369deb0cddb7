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

// A directory that nobody, root included, may make entries in: sysfs refuses mkdir (EPERM, or
// EACCES/EROFS elsewhere), never with ENOENT.
const unwritable = `/sys/rks-test-${process.pid}`

// The failure to make a missing directory was ignored and RocksDB's own mkdir of the last one
// reported "No such file or directory" for its missing parent: the cause (permission) was lost.
it('regression: a missing directory that cannot be made was reported as "No such file or directory"', async () => {
  await expect(RocksDB.open(path.join(unwritable, 'app', 'state'))).rejects.toThrow(/missing parent directories of .*app\/state: (Operation not permitted|Permission denied|Read-only)/)
  const db = await RocksDB.open(tempDir())
  await expect(db.checkpoint(path.join(unwritable, 'backups', 'chk-1'))).rejects.toThrow(/missing parent directories of .*chk-1: (Operation not permitted|Permission denied|Read-only)/)
  expect(() => db.checkpointSync(path.join(unwritable, 'backups', 'chk-2'))).toThrow(/missing parent directories of .*chk-2: (Operation not permitted|Permission denied|Read-only)/)
  await db.close()
})

it('accepts trailing separators, dot segments and relative targets', async () => {
  const base = path.dirname(tempDir())
  for (const dir of [path.join(base, 'a', 'b') + '/', path.join(base, 'c', 'd') + '//', path.join(base, 'e', 'f', '.'), path.join(base, 'g', 'h', '..', 'i')]) {
    const db = await RocksDB.open(dir)
    await db.close()
  }
  const db = await RocksDB.open(path.join(base, 'db'))
  // Relative to the working directory (no chdir: vitest may run this file in a worker thread).
  const relative = (target: string) => path.relative(process.cwd(), path.join(base, target))
  await db.checkpoint(relative('single'))
  db.checkpointSync(relative('nested/one') + '/')
  await db.checkpoint(relative('slashes/two') + '//')
  await db.close()
  for (const target of ['single', 'nested/one', 'slashes/two']) expect(existsSync(path.join(base, target, 'CURRENT'))).toBe(true)
})
