// Issue 8 review: TTL checks tested now + ttl, but a stored value may carry a later write
// time (putRaw of a value stamped ahead, a ManualClock set ahead, a reopen with another
// clock). A larger TTL set afterwards (setTtl, or reopen with a larger ttlSeconds) passed,
// DBWithTTL's int32 `timestamp + ttl` wrapped at compaction and the fresh value was deleted.
// A TTL is now refused unless it fits the latest write time stored in the family, and an
// SST file is ingested only when its latest write time fits the family's TTL.
import { describe, expect, it } from 'vitest'
import { ManualClock, RocksDB, TimestampOverflowError } from '../../../lib'
import { useTempDirs } from '../../helpers/temp-dir'

const tempDir = useTempDirs()
const INT32_MAX = 2 ** 31 - 1
const TEN_YEARS = 10 * 365 * 86400

/** A raw value 'A' stamped one hour before DBWithTTL's int32 time ends. */
function stampedLate(): Buffer {
  const raw = Buffer.alloc(5)
  raw[0] = 0x41
  raw.writeInt32LE(INT32_MAX - 3600, 1)
  return raw
}

async function survivesCompaction(db: RocksDB, name: string): Promise<string | undefined> {
  await db.flush()
  await db.compactRange(db.columnFamily(name))
  return db.columnFamily(name).get('late')?.toString()
}

describe('a TTL that does not fit the stored write times', () => {
  it('regression: setTtl checked only now + ttl, and compaction deleted a value stamped ahead', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 't', ttlSeconds: 60 }] })
    const cf = db.columnFamily('t')
    cf.putRaw('late', stampedLate())
    expect(() => cf.setTtl(TEN_YEARS)).toThrow(TimestampOverflowError)
    expect(() => cf.setTtl(3601)).toThrow(/the TTL must be at most 3600 s/)
    expect(cf.ttlSeconds).toBe(60)
    cf.setTtl(3600) // the largest that fits
    expect(await survivesCompaction(db, 't')).toBe('A')
    await db.close()
  })

  it('regression: a reopen with a larger ttlSeconds deleted a value stamped ahead (now in an SST file)', async () => {
    const dir = tempDir()
    const db = await RocksDB.open(dir, { columnFamilies: [{ name: 't', ttlSeconds: 60 }] })
    db.columnFamily('t').putRaw('late', stampedLate())
    await db.close()
    const reopen = (ttlSeconds: number) => RocksDB.open(dir, { columnFamilies: [{ name: 't', ttlSeconds }] })
    await expect(reopen(TEN_YEARS)).rejects.toThrow(TimestampOverflowError)
    const again = await reopen(3600) // the refused open released the directory
    expect(await survivesCompaction(again, 't')).toBe('A')
    await again.close()
  })

  it('regression: an ingested SST file with values stamped ahead was deleted by the next compaction', async () => {
    const db = await RocksDB.open(tempDir(), { columnFamilies: [{ name: 't', ttlSeconds: TEN_YEARS }] })
    // Written for the same family of a database where it has no TTL: the stamp is accepted there.
    const source = await RocksDB.open(tempDir('source'), { columnFamilies: [{ name: 't' }] })
    const file = `${tempDir('late')}.sst`
    const writer = source.sstWriter(source.columnFamily('t'), file)
    writer.putRaw('late', stampedLate())
    await writer.finish()
    await source.close()
    await expect(db.ingest(db.columnFamily('t'), [file])).rejects.toThrow(TimestampOverflowError)
    db.columnFamily('t').setTtl(3600)
    await db.ingest(db.columnFamily('t'), [file])
    expect(await survivesCompaction(db, 't')).toBe('A')
    await db.close()
  })

  it('regression: values written by a ManualClock set ahead were deleted after a reopen on the system clock', async () => {
    const dir = tempDir()
    const clock = new ManualClock(INT32_MAX - 3600)
    const db = await RocksDB.open(dir, { clock, columnFamilies: [{ name: 't', ttlSeconds: 60 }] })
    db.columnFamily('t').put('late', 'A')
    await db.flush()
    await db.close()
    await expect(RocksDB.open(dir, { columnFamilies: [{ name: 't', ttlSeconds: TEN_YEARS }] })).rejects.toThrow(
      TimestampOverflowError,
    )
    const again = await RocksDB.open(dir, { columnFamilies: [{ name: 't', ttlSeconds: 3600 }] })
    expect(await survivesCompaction(again, 't')).toBe('A')
    await again.close()
  })
})
