import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ClosedError, ColumnFamilyNotFoundError, LockedError, RocksDB, RocksDBError } from '../../lib'
import { useTempDirs } from '../helpers/temp-dir'

const tempDir = useTempDirs()

describe('RocksDB.open and close', () => {
  it('creates a database with column families that each have their own TTL', async () => {
    const db = await RocksDB.open(tempDir(), {
      columnFamilies: [
        { name: 'clicks', ttlSeconds: 3600 },
        { name: 'sessions', ttlSeconds: 0 },
      ],
    })
    expect(db.columnFamilies().map((cf) => [cf.name, cf.ttlSeconds])).toEqual([
      ['default', 0],
      ['clicks', 3600],
      ['sessions', 0],
    ])
    await db.close()
  })

  it('keeps data across close and reopen (WAL off: close flushes memtables)', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { wal: false, columnFamilies: [{ name: 'a' }] })
    for (let i = 0; i < 1000; i++) db.columnFamily('a').put(`key-${i}`, `value-${i}`)
    db.columnFamily().put('in-default', 'yes')
    await db.close()

    const reopened = await RocksDB.open(dir, { columnFamilies: [{ name: 'a' }] })
    expect(reopened.columnFamily('a').get('key-999')?.toString()).toBe('value-999')
    expect(reopened.columnFamily().get('in-default')?.toString()).toBe('yes')
    await reopened.close()
  })

  it('opens existing column families that were not listed, without TTL', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { columnFamilies: [{ name: 'kept', ttlSeconds: 10 }] })
    db.columnFamily('kept').put('k', 'v')
    await db.close()
    expect((await RocksDB.listColumnFamilies(dir)).sort()).toEqual(['default', 'kept'])

    const reopened = await RocksDB.open(dir)
    expect(reopened.columnFamily('kept').ttlSeconds).toBe(0)
    expect(reopened.columnFamily('kept').get('k')?.toString()).toBe('v')
    await reopened.close()
  })

  it('creates and drops column families on an open database', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    const made = await db.createColumnFamily('made', { ttlSeconds: 5 })
    made.put('x', '1')
    expect(made.ttlSeconds).toBe(5)
    await expect(db.createColumnFamily('made')).rejects.toMatchObject({ code: 'InvalidArgument' })
    await db.dropColumnFamily('made')
    expect(db.hasColumnFamily('made')).toBe(false)
    expect(() => made.get('x')).toThrow(ColumnFamilyNotFoundError)
    await expect(db.dropColumnFamily('default')).rejects.toMatchObject({ code: 'InvalidArgument' })
    await db.close()
    expect(await RocksDB.listColumnFamilies(dir)).toEqual(['default'])
  })

  it('names a missing column family in a typed error', async () => {
    const db = await RocksDB.open(tempDir())
    expect(() => db.columnFamily('nope')).toThrow(ColumnFamilyNotFoundError)
    expect(() => db.columnFamily('nope')).toThrow(/'nope'/)
    await db.close()
  })

  it('refuses a second open of the same directory with LockedError', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    const second = RocksDB.open(dir)
    await expect(second).rejects.toBeInstanceOf(LockedError)
    await expect(second).rejects.toMatchObject({ code: 'Locked' })
    db.columnFamily().put('still', 'works')
    await db.close()
    const again = await RocksDB.open(dir)
    expect(again.columnFamily().get('still')?.toString()).toBe('works')
    await again.close()
  })

  it('reports RocksDB statuses with their code', async () => {
    const dir = tempDir()
    await expect(RocksDB.open(dir, { createIfMissing: false })).rejects.toMatchObject({ code: 'InvalidArgument' })
    const db = await RocksDB.open(dir)
    await db.close()
    const error = await RocksDB.open(dir, { errorIfExists: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RocksDBError)
    expect((error as RocksDBError).message).toMatch(/exists/)
  })

  it('opens read-only and refuses writes', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir)
    db.columnFamily().put('k', 'v')
    await db.close()
    const readOnly = await RocksDB.open(dir, { readOnly: true })
    expect(readOnly.columnFamily().get('k')?.toString()).toBe('v')
    expect(() => readOnly.columnFamily().put('k', 'w')).toThrow(RocksDBError)
    await readOnly.close()
  })

  it('validates options', async () => {
    await expect(RocksDB.open('')).rejects.toBeInstanceOf(TypeError)
    await expect(RocksDB.open(tempDir(), { colmnFamilies: [] } as never)).rejects.toThrow(/unknown option 'colmnFamilies'/)
    await expect(RocksDB.open(tempDir(), { columnFamilies: 'x' } as never)).rejects.toBeInstanceOf(TypeError)
    await expect(RocksDB.open(tempDir(), { mergeDelimiter: 'ab' })).rejects.toBeInstanceOf(RangeError)
    await expect(RocksDB.open(tempDir(), { clock: {} } as never)).rejects.toBeInstanceOf(TypeError)
  })

  it('close is idempotent and everything after it throws ClosedError', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 'a' }] })
    const untouched = tempDir('untouched') // nothing may be created here after close
    const cf = db.columnFamily('a')
    const batch = db.batch()
    await Promise.all([db.close(), db.close()])
    await db.close()
    const calls: Array<() => unknown> = [
      () => cf.get('k'),
      () => cf.getMany(['k']),
      () => cf.put('k', 'v'),
      () => cf.putRaw('k', Buffer.alloc(4)),
      () => cf.merge('k', 'v'),
      () => cf.delete('k'),
      () => cf.deleteRange('a', 'b'),
      () => cf.iterator(),
      () => db.snapshot(),
      () => db.batch(),
      () => db.write(batch),
      () => batch.put(cf, 'k', 'v'),
      () => db.liveFiles(),
      () => db.getProperty('rocksdb.stats'),
      () => db.approximateSize(cf, 'a', 'b'),
      () => db.sstWriter(cf, `${untouched}.sst`),
    ]
    for (const call of calls) expect(call).toThrow(ClosedError)
    for (const call of [
      () => db.flush(),
      () => db.compactRange(cf),
      () => db.checkpoint(untouched),
      () => db.ingest(cf, []),
      () => db.createColumnFamily('b'),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(ClosedError)
    }
    expect(existsSync(untouched)).toBe(false)
    expect(existsSync(`${untouched}.sst`)).toBe(false)
  })
})
